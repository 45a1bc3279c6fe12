#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on an open file, taken without waiting, and the record of who holds
/// it. The lock is the kernel's: it belongs to the open file (not to a path or a process id),
/// lasts until the descriptor is closed, and is dropped by the kernel when the process ends,
/// however it ends (`kill -9` included). A file left on the disk never holds anything.
public enum FileLock {
    /// How an attempt to lock ended.
    public enum Attempt: Sendable, Equatable {
        /// Held now, until the descriptor is closed.
        case held
        /// Another open file (another process) holds it.
        case busy
        /// The file system cannot lock it, or another error.
        case failed(SystemError)
    }

    /// Takes an exclusive `flock` on `fd` without waiting.
    public static func tryExclusive(_ fd: Int32) -> Attempt {
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            switch errno {
            case EINTR: continue
            case EWOULDBLOCK: return .busy
            default: return .failed(SystemError(errno))
            }
        }
        return .held
    }
}

/// Who holds a lock, as its holder wrote it into a small file of its own beside the locked
/// one (`PATH.lock`): `PID START-TIME`, one line. It only names the holder for a message; the
/// lock itself is the `flock`, so a record left by a run that was killed never blocks anyone.
public struct LockHolder: Sendable, Equatable {
    public var pid: Int32
    /// When the holding process started, as `2026-12-05T09:00:00Z`.
    public var started: String

    public init(pid: Int32, started: String) {
        self.pid = pid
        self.started = started
    }

    /// This process.
    public static var current: LockHolder {
        LockHolder(pid: Executable.processID, started: WallClock.iso8601(seconds: Executable.startSeconds) + "Z")
    }

    /// The record at `path`, when it holds one whole line of it; nil otherwise.
    public static func read(_ path: String) -> LockHolder? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = buffer.withUnsafeMutableBytes { FileDescriptor.read(fd, into: $0.baseAddress!, count: $0.count) }
        guard n > 0, let end = buffer[..<n].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let parts = buffer[..<end].split(separator: UInt8(ascii: " "))
        guard parts.count == 2, let pid = Int32(String(decoding: parts[0], as: UTF8.self)), pid > 0 else { return nil }
        let started = String(decoding: parts[1], as: UTF8.self)
        guard started.utf8.count <= 40, started.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return LockHolder(pid: pid, started: started)
    }

    /// Writes this record to `path` (created mode 0600, never through a link, replacing what
    /// was there). Only the lock's holder writes it. nil, or the error.
    public func write(to path: String) -> SystemError? {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return SystemError(errno) }
        defer { close(fd) }
        return FileDescriptor.writeAll(fd, "\(pid) \(started)\n").map(SystemError.init)
    }
}
