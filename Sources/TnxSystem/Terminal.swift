import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The terminal's settings as they were before tnx changed them (libedit puts the terminal in
/// raw mode while it reads a line; an operation hides the echo of ^C), so that a process that
/// must end at once — SIGTERM or SIGHUP at the shell's prompt, a second Ctrl-C — can give the
/// terminal back as it found it.
public enum TerminalState {
    private static let saved = Mutex<(fd: Int32, settings: termios)?>(nil)

    /// The first of stdin, stdout and stderr that is a terminal.
    private static var terminal: Int32? { [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO].first { isatty($0) == 1 } }

    /// Remembers the terminal's settings (nothing when there is no terminal). Once.
    public static func save() {
        guard let fd = terminal else { return }
        var settings = termios()
        guard tcgetattr(fd, &settings) == 0 else { return }
        saved.withLock { if $0 == nil { $0 = (fd, settings) } }
    }

    /// Puts back what `save` remembered. Safe to call from any thread.
    public static func restore() {
        guard let (fd, saved) = saved.withLock({ $0 }) else { return }
        var settings = saved
        _ = tcsetattr(fd, TCSANOW, &settings)
    }

    /// Runs `body` with the terminal's echo of control characters (`^C`) off: the terminal
    /// would write `^C` wherever the cursor is, in the middle of the next line of output, before
    /// tnx even sees the signal. tnx writes a whole `^C` line itself instead.
    public static func withoutControlEcho<T>(_ body: () -> T) -> T {
        guard let fd = terminal else { return body() }
        save()
        var settings = termios()
        guard tcgetattr(fd, &settings) == 0 else { return body() }
        let before = settings
        settings.c_lflag &= ~tcflag_t(ECHOCTL)
        _ = tcsetattr(fd, TCSANOW, &settings)
        defer {
            var restored = before
            _ = tcsetattr(fd, TCSANOW, &restored)
        }
        return body()
    }
}

