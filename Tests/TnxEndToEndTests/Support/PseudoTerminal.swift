import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program on a real pseudo-terminal, the way a person at a terminal would: it is a
/// session leader whose controlling terminal is the pty (so ^C typed on it raises SIGINT in
/// its foreground process group), with a window of `columns`×`rows`.
///
/// Spawning uses `posix_spawn` with `POSIX_SPAWN_SETSID` and opens the pty slave in the child
/// through a file action (which makes it the controlling terminal): no `fork` in the
/// multithreaded test process. Reads use `poll` with a deadline; nothing waits forever. The
/// child is killed (SIGKILL) and reaped on `deinit` if it is still running.
///
/// Not thread-safe: use one instance from one test.
final class PseudoTerminal {
    enum Failure: Error, CustomStringConvertible {
        case spawn(String)
        case timeout(waitingFor: String, output: String)
        case exited(waitingFor: String, output: String)

        var description: String {
            switch self {
            case .spawn(let message):
                return "cannot start the program: \(message)"
            case .timeout(let text, let output):
                return "timed out waiting for \(text.debugDescription); output so far:\n\(PseudoTerminal.stripANSI(output))"
            case .exited(let text, let output):
                return "the program exited while waiting for \(text.debugDescription); output:\n\(PseudoTerminal.stripANSI(output))"
            }
        }
    }

    /// Keys, as the bytes a terminal sends.
    enum Key: String {
        case up = "\u{1b}[A"
        case down = "\u{1b}[B"
        case right = "\u{1b}[C"
        case left = "\u{1b}[D"
        case enter = "\r"
        case tab = "\t"
        case backspace = "\u{7f}"
        case escape = "\u{1b}"
        case ctrlA = "\u{01}"
        case ctrlC = "\u{03}"
        case ctrlD = "\u{04}"
        case ctrlE = "\u{05}"
        case ctrlR = "\u{12}"
        case ctrlU = "\u{15}"
        case ctrlZ = "\u{1a}"
    }

    let pid: pid_t
    private let master: Int32
    private var bytes: [UInt8] = []
    /// Where the next `waitFor` starts looking (everything before was matched already).
    private var consumed = 0
    private var exitStatus: Int32?
    private var masterClosed = false

    /// Everything the program wrote so far, raw (with escape sequences and "\r\n").
    var output: String { String(decoding: bytes, as: UTF8.self) }

    /// - Parameters:
    ///   - executable: the program's path.
    ///   - environment: the child's whole environment (nothing is inherited). Add `TERM`.
    ///   - workingDirectory: the child's current directory (default: the test's).
    init(
        executable: String, arguments: [String] = [], environment: [String: String],
        workingDirectory: String? = nil, columns: UInt16 = 80, rows: UInt16 = 24
    ) throws {
        // posix_openpt/grantpt/unlockpt/ptsname are not visible from Swift's Glibc module: use
        // /dev/ptmx and its ioctls (Linux; grantpt is a no-op with devpts).
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw Failure.spawn("open /dev/ptmx: \(String(cString: strerror(errno)))") }
        let TIOCSPTLCK: UInt = 0x4004_5431  // _IOW('T', 0x31, int)
        let TIOCGPTN: UInt = 0x8004_5430    // _IOR('T', 0x30, unsigned int)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard ioctl(master, TIOCSPTLCK, &unlock) == 0, ioctl(master, TIOCGPTN, &number) == 0 else {
            let message = String(cString: strerror(errno))
            close(master)
            throw Failure.spawn("pty setup: \(message)")
        }
        let slavePath = "/dev/pts/\(number)"
        var size = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // After setsid, opening the tty without O_NOCTTY makes it the controlling terminal.
        posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        if let workingDirectory {
            // glibc ≥ 2.29 has it, but Swift's Glibc module does not show it (_GNU_SOURCE).
            typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
            guard let symbol = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else {
                close(master)
                throw Failure.spawn("posix_spawn_file_actions_addchdir_np is not available")
            }
            _ = unsafeBitCast(symbol, to: AddChdir.self)(&actions, workingDirectory)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGCHLD, SIGTSTP, SIGTTIN, SIGTTOU, SIGHUP] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        let setsid: Int32 = 0x80  // POSIX_SPAWN_SETSID (glibc ≥ 2.26)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | setsid))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            close(master)
            throw Failure.spawn("posix_spawn \(executable): \(String(cString: strerror(status)))")
        }
        self.pid = child
        self.master = master
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        close(master)
    }

    // MARK: Input

    func send(_ text: String) {
        var remaining = Array(text.utf8)[...]
        while !remaining.isEmpty {
            let written = remaining.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return
            }
            remaining = remaining.dropFirst(written)
        }
    }

    func send(key: Key) { send(key.rawValue) }

    /// Types `text` then Return.
    func sendLine(_ text: String) { send(text + "\r") }

    /// Sends `signal` to the program (or to its whole process group).
    func sendSignal(_ signal: Int32, toGroup: Bool = false) {
        kill(toGroup ? -pid : pid, signal)
    }

    // MARK: Output

    /// Waits until `text` appears in the output after the previous match, and returns the output
    /// from the previous match up to the end of this one. With `ignoringEscapes`, ANSI escape
    /// sequences and "\r" are removed before searching (the next search then starts after all
    /// output read so far).
    @discardableResult
    func waitFor(_ text: String, timeout: Duration = .seconds(20), ignoringEscapes: Bool = false) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let pending = String(decoding: bytes[consumed...], as: UTF8.self)
            if ignoringEscapes {
                let clean = PseudoTerminal.stripANSI(pending)
                if clean.contains(text) {
                    consumed = bytes.count
                    return clean
                }
            } else if let range = bytes[consumed...].firstRange(of: Array(text.utf8)) {
                let matched = String(decoding: bytes[consumed..<range.upperBound], as: UTF8.self)
                consumed = range.upperBound
                return matched
            }
            if masterClosed || (exitStatus != nil && !readAvailable(until: ContinuousClock.now)) {
                throw Failure.exited(waitingFor: text, output: output)
            }
            guard ContinuousClock.now < deadline else {
                throw Failure.timeout(waitingFor: text, output: output)
            }
            if !(await readAvailableSoon(until: deadline)) { reap() }
        }
    }

    /// Waits for the program to exit (reading its output meanwhile) and returns its exit
    /// status, or 128 + the signal that killed it.
    func waitForExit(timeout: Duration = .seconds(20)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while exitStatus == nil {
            reap()
            if exitStatus != nil { break }
            guard ContinuousClock.now < deadline else {
                throw Failure.timeout(waitingFor: "exit", output: output)
            }
            _ = await readAvailableSoon(until: min(deadline, ContinuousClock.now + .milliseconds(50)))
        }
        _ = readAvailable(until: ContinuousClock.now)
        return exitStatus!
    }

    /// Removes ANSI escape sequences (CSI, OSC, two-byte ESC sequences), "\r", BEL and libedit's
    /// zero-width prompt markers.
    static func stripANSI(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var iterator = text.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            switch scalar {
            case "\u{1b}":
                guard let next = iterator.next() else { break }
                if next == "[" {
                    while let c = iterator.next(), !(0x40...0x7E).contains(c.value) {}
                } else if next == "]" {
                    while let c = iterator.next(), c != "\u{07}" && c != "\u{1b}" {}
                }
            case "\r", "\u{07}", "\u{01}":
                continue
            default:
                out.append(scalar)
            }
        }
        return String(out)
    }

    // MARK: Private

    /// Reads what is available, waiting until `deadline` for the first bytes, without blocking
    /// a thread of the concurrency pool (in-process servers of other tests need them): polls
    /// without a timeout and sleeps in between. True if it read anything.
    private func readAvailableSoon(until deadline: ContinuousClock.Instant) async -> Bool {
        while true {
            if readAvailable(until: ContinuousClock.now) { return true }
            if ContinuousClock.now >= deadline || masterClosed { return false }
            reap()
            if exitStatus != nil { return readAvailable(until: ContinuousClock.now) }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Reads what is available, waiting until `deadline` for the first bytes. True if read any.
    private func readAvailable(until deadline: ContinuousClock.Instant) -> Bool {
        guard !masterClosed else { return false }
        var readAny = false
        while true {
            let remaining = deadline - ContinuousClock.now
            let milliseconds = readAny ? 0 : max(0, Int32(clamping: remaining.components.seconds * 1000
                + remaining.components.attoseconds / 1_000_000_000_000_000))
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, min(milliseconds, 100))
            if ready < 0 {
                if errno == EINTR { continue }
                return readAny
            }
            if ready == 0 {
                if readAny || ContinuousClock.now >= deadline { return readAny }
                reap()
                if exitStatus != nil && !readAny { return false }
                continue
            }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes.append(contentsOf: buffer[..<count])
                readAny = true
                continue
            }
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            // EIO: the slave side is closed everywhere (the program and its children exited).
            reap()
            if exitStatus != nil {
                masterClosed = true
            } else if !readAny {
                usleep(10_000)  // closed but not yet reaped: do not spin
            }
            return readAny
        }
    }

    private func reap() {
        guard exitStatus == nil else { return }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return }
        let signal = status & 0x7f
        exitStatus = signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
