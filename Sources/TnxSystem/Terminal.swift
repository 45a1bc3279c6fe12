import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The terminal's settings as they were before tnx changed them (libedit puts the terminal in
/// raw mode while it reads a line), so that a process that must end at once — SIGTERM or
/// SIGHUP at the shell's prompt — can give the terminal back as it found it.
public enum TerminalState {
    private static let saved = Mutex<termios?>(nil)

    /// Remembers the settings of stdin's terminal (nothing when stdin is not one).
    public static func save() {
        var settings = termios()
        guard tcgetattr(STDIN_FILENO, &settings) == 0 else { return }
        saved.withLock { $0 = settings }
    }

    /// Puts back what `save` remembered. Safe to call from any thread.
    public static func restore() {
        guard var settings = saved.withLock({ $0 }) else { return }
        _ = tcsetattr(STDIN_FILENO, TCSANOW, &settings)
    }
}

/// The running executable.
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
}
