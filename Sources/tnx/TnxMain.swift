#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import LineEditor
import TnxInterpreter

/// Turns the command line into an exit status. Errors travel up to here as values; nothing
/// below calls `exit`.
enum TnxMain {
    static func run(arguments: [String]) -> Int32 {
        let command: TnxCommand
        do {
            command = try TnxCommand.parse(arguments)
        } catch {
            let code = TnxCommand.exitCode(for: error)
            let message = TnxCommand.fullMessage(for: error)
            if code == .success {  // --help, --version
                FileOutput.standardOutput.write(message + "\n")
                FileOutput.standardOutput.flush()
                return 0
            }
            FileOutput.standardError.write("tnx: error: \(message)\nRun 'tnx --help' for usage.\n")
            return 2
        }
        // Ctrl-C during an operation cancels it (the runners set that action); a second one
        // exits at once with 130. One that arrives while nothing runs (loading a script,
        // shutting down) exits with 130 too, except in the shell: there ^C at the prompt is a
        // key, and a SIGINT between entries (`kill -INT`, a ^C typed just as an entry ends)
        // must not end the session. Created only now, so --help and --version do not pay for it.
        let shell = ScriptSource.opensShell(command, standardInputIsTerminal: isatty(0) == 1)
        let whenIdle: @Sendable () -> Void
        if shell { whenIdle = {} } else { whenIdle = { _exit(130) } }
        let interrupts = InterruptWatcher(forceExitAfter: 2, exitStatus: 130, whenIdle: whenIdle)
        return Session.run(command, interrupts: interrupts)
    }
}
