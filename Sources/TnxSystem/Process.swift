import CFileShim
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The running executable: where it is, its environment, how it ends.
public enum Executable {
    /// The directory holding the running binary (`/proc/self/exe`, so a symbolic link on the
    /// PATH resolves to the real file), or the directory of `argv[0]`.
    public static var directory: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let me = length > 0
            ? String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            : CommandLine.arguments.first ?? "."
        return me.lastIndex(of: "/").map { String(me[..<$0]) } ?? "."
    }

    /// The process's environment variables (the first of each name wins, as in `getenv`).
    public static var environment: [String: String] {
        var variables: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                let name = String(text[..<equals])
                if variables[name] == nil { variables[name] = String(text[text.index(after: equals)...]) }
            }
            entry += 1
        }
        return variables
    }

    /// This process's id.
    public static var processID: Int32 { getpid() }

    /// When this process started, in whole seconds since 1970 (UTC): the kernel's record
    /// (`/proc/self/stat`'s start time after boot, plus `/proc/stat`'s boot time), so it is the
    /// same whenever it is asked; now, where there is no `/proc`.
    public static let startSeconds: Int64 = {
        let now = WallClock.millis / 1000
        guard case .success(let stat) = FileDescriptor.readFile("/proc/self/stat", limit: 4096),
            let close = stat.lastIndex(of: UInt8(ascii: ")"))
        else { return now }
        // After the command's name (in parentheses, which may hold spaces): field 3 onwards;
        // the start time is field 22, in clock ticks after boot.
        let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard fields.count > 19, let ticks = Int64(String(decoding: fields[19], as: UTF8.self)) else { return now }
        let hertz = Int64(sysconf(Int32(_SC_CLK_TCK)))
        guard hertz > 0, case .success(let system) = FileDescriptor.readFile("/proc/stat", limit: 1 << 20) else { return now }
        for line in system.split(separator: UInt8(ascii: "\n")) where line.starts(with: Array("btime ".utf8)) {
            guard let boot = Int64(String(decoding: line.dropFirst(6).filter { $0 != UInt8(ascii: " ") }, as: UTF8.self)) else { break }
            return boot + ticks / hertz
        }
        return now
    }()

    /// Whether a process with this id exists (it may be another user's: then it exists too).
    public static func isRunning(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno != ESRCH
    }

    /// Ends the process with `status`, running `atexit` handlers (stdio is not used by tnx).
    public static func exit(_ status: Int32) -> Never {
        Glibc.exit(status)
    }

    /// Ends the process with `status` at once, from any thread (no handlers run).
    public static func exitNow(_ status: Int32) -> Never {
        _exit(status)
    }
}

/// A child process started with pipes to its stdin and from its stdout, in its own process
/// group (a Ctrl-C typed at tnx's terminal reaches tnx only), with the default disposition of
/// every signal tnx blocks or ignores (it must not inherit them).
public struct ChildProcess: Sendable {
    public let pid: pid_t
    /// The write end of the child's stdin.
    public let stdin: Int32
    /// The read end of the child's stdout.
    public let stdout: Int32

    /// Starts `arguments[0]` (an absolute path) with `arguments`, or says why it could not.
    /// `ownGroup` false keeps it in tnx's process group: a command that asks at the terminal
    /// (a password manager) must be in the foreground group, or reading the terminal stops it.
    public static func spawn(_ arguments: [String], resetting signals: [Int32], ownGroup: Bool = true) -> Result<ChildProcess, SystemError> {
        var toChild: [Int32] = [-1, -1]
        var fromChild: [Int32] = [-1, -1]
        guard pipe(&toChild) == 0 else { return .failure(SystemError(errno)) }
        guard pipe(&fromChild) == 0 else {
            let error = SystemError(errno)
            close(toChild[0]); close(toChild[1])
            return .failure(error)
        }
        // tnx starts no other program, so no other child can inherit these between the two calls.
        for fd in toChild + fromChild { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        // Nothing else of tnx's: its sockets, event loops, the pipes its own parent gave it.
        // (Without glibc 2.34 they stay, marked close-on-exec where tnx opened them.)
        _ = tnx_spawn_close_from(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in signals { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (ownGroup ? POSIX_SPAWN_SETPGROUP : 0)))

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        close(toChild[0])
        close(fromChild[1])
        guard spawned == 0 else {
            close(toChild[1]); close(fromChild[0])
            return .failure(SystemError(spawned))
        }
        return .success(ChildProcess(pid: pid, stdin: toChild[1], stdout: fromChild[0]))
    }

    /// Waits at most `timeout` for the child to exit, and reaps it (blocking: call it off the
    /// cooperative pool). The exit status, or 128 + the signal that ended it; nil when it is
    /// still running.
    public func exitStatus(within timeout: Duration) -> Int32? {
        var status: Int32 = 0
        let deadline = ContinuousClock.now + timeout
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR { return -1 }
            guard ContinuousClock.now < deadline else { return nil }
            usleep(10_000)
        }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// Asks the child to end (SIGTERM); with `group`, its whole process group (a child started
    /// with `ownGroup`, and whatever it started).
    public func terminate(group: Bool = false) {
        Glibc.kill(group ? -pid : pid, SIGTERM)
    }

    /// Ends the child at once (SIGKILL), or its whole process group.
    public func kill(group: Bool) {
        Glibc.kill(group ? -pid : pid, SIGKILL)
    }

    /// Waits at most `timeout` for the child to exit on its own, then kills it; reaps it.
    public func waitOrKill(after timeout: Duration) {
        var status: Int32 = 0
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped < 0 && errno != EINTR) { return }
            usleep(10_000)
        }
        Glibc.kill(pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}

/// The wall clock, for timestamps.
public enum WallClock {
    /// Milliseconds since 1970 (UTC).
    public static var millis: Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Seconds since 1970 (UTC), with a fraction.
    public static var seconds: Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Now, as `2026-11-29T03:40:00.123Z`.
    public static func iso8601Now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return iso8601(seconds: Int64(ts.tv_sec)) + "." + pad(Int(ts.tv_nsec / 1_000_000), 3) + "Z"
    }

    /// A moment in whole seconds since 1970, as `2026-11-29T03:40:00` (UTC), without the `Z`
    /// (the caller adds it, after any fraction).
    public static func iso8601(seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))T"
            + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2))"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
