import CFileShim
#if canImport(Glibc)
import Glibc
#endif

/// Every call tnx makes on files and descriptors, in one place: the rest of tnx never calls
/// the C library for files directly. (tnx is built and tested on Linux; a port fills in this
/// file, `Signals.swift`, `Terminal.swift` and `Executable.swift`.)
public enum FileDescriptor {
    /// Writes all of `bytes`, retrying after EINTR and short writes. Returns nil on success,
    /// else the `errno` of the failed write.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        guard var base = bytes.baseAddress else { return nil }
        var left = bytes.count
        while left > 0 {
            let n = write(fd, base, left)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            base += n
            left -= n
        }
        return nil
    }

    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    @discardableResult
    public static func writeAll(_ fd: Int32, _ text: String) -> Int32? {
        var text = text
        return text.withUTF8 { writeAll(fd, UnsafeRawBufferPointer($0)) }
    }

    /// Reads up to `count` bytes into `buffer`, retrying after EINTR. Returns the count read
    /// (0 at the end), or `-errno`.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int) -> Int {
        while true {
            let n = Glibc.read(fd, buffer, count)
            if n < 0 && errno == EINTR { continue }
            return n < 0 ? -Int(errno) : n
        }
    }

    /// Waits until `fd` has input (or its end) for at most `milliseconds`; true when it has.
    public static func waitForInput(_ fd: Int32, milliseconds: Int32) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, milliseconds)
        return ready > 0
    }

    /// Opens `path` for reading; the descriptor, or `errno`. Never waits: a FIFO with no
    /// writer yet opens at once (a blocking open could not be stopped), and reads of it then
    /// wait in `waitForInput`, where a stop is seen.
    public static func openForReading(_ path: String) -> Result<Int32, SystemError> {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return .failure(SystemError(errno)) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return .success(fd)
    }

    /// Opens (creating with `mode`) `path` for appending — and reading, so that `lastByte`
    /// can look at how it ends; the descriptor, or `errno`.
    public static func openForAppending(_ path: String, mode: mode_t = 0o600) -> Result<Int32, SystemError> {
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, mode)
        return fd >= 0 ? .success(fd) : .failure(SystemError(errno))
    }

    /// Creates `path` (which must not exist: never follows a link an attacker left there) for
    /// writing with `mode`; the descriptor, or `errno` (`EEXIST` when it exists).
    public static func createNew(_ path: String, mode: mode_t = 0o600) -> Result<Int32, SystemError> {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        return fd >= 0 ? .success(fd) : .failure(SystemError(errno))
    }

    /// Creates `path` like `createNew`, already locked (`tryLock`): the name never exists
    /// unlocked, so a run that removes the unlocked `.partial` files other runs left can never
    /// take a live one in the moment between its creation and its lock. The file is made
    /// without a name (`O_TMPFILE`), locked, then linked into place (`linkat`, which fails
    /// with `EEXIST` like `O_EXCL`); where the file system cannot (no `O_TMPFILE`, no `/proc`)
    /// it is created and then locked at once.
    public static func createNewLocked(_ path: String, mode: mode_t = 0o600) -> Result<Int32, SystemError> {
        // O_TMPFILE is `__O_TMPFILE | O_DIRECTORY`, a macro Swift does not import;
        // __O_TMPFILE is 020000000 in Linux's generic and x86 headers alike.
        let temporaryFile: Int32 = 0o20000000 | O_DIRECTORY
        let fd = open(Directories.containing(path), temporaryFile | O_WRONLY | O_CLOEXEC, mode)
        if fd >= 0 {
            _ = tryLock(fd)  // unnamed: nobody else can hold it
            if linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 { return .success(fd) }
            let error = errno
            _ = Glibc.close(fd)
            if error != ENOENT && error != EXDEV && error != EPERM && error != EOPNOTSUPP { return .failure(SystemError(error)) }
        }
        return createNew(path, mode: mode).map { fd in
            _ = tryLock(fd)
            return fd
        }
    }

    /// Starts writing `count` bytes at `offset` of the file open as `fd` to the disk, without
    /// waiting (Linux `sync_file_range`): the `fsync` at the end then has little left to do.
    /// Best effort: an error here shows again at the `fsync`.
    public static func startWriteback(_ fd: Int32, offset: Int, count: Int) {
        _ = tnx_start_writeback(fd, Int64(offset), Int64(count))
    }

    /// Empties the file open as `fd` and moves to its start; nil, or the error.
    public static func truncate(_ fd: Int32) -> SystemError? {
        guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else { return SystemError(errno) }
        return nil
    }

    /// Renames `from` to `to` (replacing it, atomically); nil, or the error.
    public static func rename(_ from: String, to: String) -> SystemError? {
        Glibc.rename(from, to) == 0 ? nil : SystemError(errno)
    }

    /// Renames `from` to `to` only if `to` does not exist: `.exists` when it does (nothing was
    /// renamed). Where the file system cannot say so atomically (no `renameat2`), it checks
    /// first, then renames: a race with another process is then possible, and rare.
    public static func renameNoReplace(_ from: String, to: String) -> RenameResult {
        if tnx_rename_noreplace(from, to) == 0 { return .renamed }
        let error = errno
        if error == EEXIST { return .exists }
        guard error == EINVAL || error == ENOSYS else { return .failed(SystemError(error)) }
        if case .missing = FileKind.of(to) {
            return Glibc.rename(from, to) == 0 ? .renamed : .failed(SystemError(errno))
        }
        return .exists
    }

    public enum RenameResult: Sendable, Equatable {
        case renamed
        case exists
        case failed(SystemError)
    }

    /// `fsync` of a directory, so that a rename in it survives a power cut; nil, or the error.
    public static func syncDirectory(_ directory: String) -> SystemError? {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return SystemError(errno) }
        defer { _ = Glibc.close(fd) }
        return sync(fd)
    }

    public static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// An anonymous file in memory (`memfd_create`), and the path that opens it again from this
    /// process (`/proc/self/fd/N`, valid while `fd` is open): it never has a name on a disk,
    /// and goes with its last descriptor, also when the process is killed.
    public static func createInMemory(name: String) -> Result<(fd: Int32, path: String), SystemError> {
        let fd = tnx_memory_file(name)
        guard fd >= 0 else { return .failure(SystemError(errno)) }
        return .success((fd, "/proc/self/fd/\(fd)"))
    }

    /// Removes the file `path` (not a directory); whether it is gone.
    @discardableResult
    public static func remove(_ path: String) -> Bool { unlink(path) == 0 || errno == ENOENT }

    /// Flushes what was written to `fd` to the disk. nil on success, else the error.
    public static func sync(_ fd: Int32) -> SystemError? {
        while fsync(fd) != 0 {
            if errno == EINTR { continue }
            return SystemError(errno)
        }
        return nil
    }

    /// Takes an exclusive `flock` on `fd` without waiting: true when it is held now (until the
    /// descriptor is closed). The kernel releases it when the process dies, however it dies,
    /// and it holds across PID namespaces on one file system (a container on a shared volume),
    /// where a process id means nothing: a lock, not a pid, says a file belongs to a live run.
    public static func tryLock(_ fd: Int32) -> Bool {
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            return false
        }
        return true
    }


    /// The last byte of the regular file open as `fd`, nil when it is empty (or unreadable).
    public static func lastByte(_ fd: Int32) -> UInt8? {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0 else { return nil }
        var byte: UInt8 = 0
        return pread(fd, &byte, 1, info.st_size - 1) == 1 ? byte : nil
    }

    /// What kind of file `fd` is.
    public static func kind(_ fd: Int32) -> FileKind {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .missing(SystemError(errno)) }
        return FileKind(mode: info.st_mode, size: Int(info.st_size))
    }

    /// Whether `fd` is a terminal.
    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Reads `fd` to its end, at most `limit` bytes (more is `fileTooLarge`).
    public static func readToEnd(_ fd: Int32, limit: Int) -> Result<[UInt8], SystemError> {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, into: $0.baseAddress!, count: $0.count) }
            if n < 0 { return .failure(SystemError(Int32(-n))) }
            if n == 0 { return .success(bytes) }
            bytes += chunk[0..<n]
            if bytes.count > limit { return .failure(.fileTooLarge) }
        }
    }

    /// The whole regular file `path`, at most `limit` bytes; a directory is refused.
    public static func readFile(_ path: String, limit: Int) -> Result<[UInt8], ReadFileError> {
        let fd: Int32
        switch openForReading(path) {
        case .success(let opened): fd = opened
        case .failure(let error): return .failure(.system(error))
        }
        defer { close(fd) }
        if kind(fd) == .directory { return .failure(.directory) }
        return readToEnd(fd, limit: limit).mapError { $0 == .fileTooLarge ? .tooLarge(limit) : .system($0) }
    }
}

/// Why `FileDescriptor.readFile` failed, as a person reads it.
public enum ReadFileError: Error, Sendable, CustomStringConvertible {
    case system(SystemError)
    case directory
    case tooLarge(Int)

    public var description: String {
        switch self {
        case .system(let error): error.description
        case .directory: "it is a directory"
        case .tooLarge(let limit): "it is larger than \(limit >> 20) MiB"
        }
    }
}

/// What a path names.
public enum FileKind: Sendable, Equatable {
    /// A regular file of this many bytes: it can be read twice (counted ahead, then read).
    case regular(size: Int)
    case directory
    /// A pipe, a FIFO, a terminal, a socket or a device: it can be read once only.
    case stream
    case missing(SystemError)

    init(mode: mode_t, size: Int) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular(size: size)
        case S_IFDIR: self = .directory
        default: self = .stream
        }
    }

    /// What `path` is, following symbolic links (`/dev/stdin` is the stream it points at).
    public static func of(_ path: String) -> FileKind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing(SystemError(errno)) }
        return FileKind(mode: info.st_mode, size: Int(info.st_size))
    }

    public var isRegular: Bool {
        if case .regular = self { return true }
        return false
    }
}

/// An `errno` with its text.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int32
    public init(_ code: Int32) { self.code = code }
    public var description: String { String(cString: strerror(code)) }
    public var isNoSuchFile: Bool { code == ENOENT }
    public var isExistingFile: Bool { code == EEXIST }
    /// Nothing listens there: the request was never sent.
    public var isConnectionRefused: Bool { code == ECONNREFUSED }
    /// No route to the host: the request was never sent.
    public var isUnreachable: Bool { code == ENETUNREACH || code == EHOSTUNREACH || code == EADDRNOTAVAIL }
    /// The connection broke after it was open: the request may have arrived.
    public var isConnectionLost: Bool { code == ECONNRESET || code == EPIPE }
    public static let fileTooLarge = SystemError(EFBIG)
}
