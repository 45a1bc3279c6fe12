import ArgumentParser
import TnxInterpreter
import TnxSystem

/// Turns the command line into an exit status. Errors travel up to here as values; nothing
/// below calls `exit`.
enum TnxMain {
    static func run(arguments: [String]) -> Int32 {
        let command: TnxCommand
        do {
            command = try TnxCommand.parse(arguments)
        } catch {
            let code = TnxCommand.exitCode(for: error)
            if code == .success {  // --help, --version, completion scripts, the description for the man page
                var message = TnxCommand.fullMessage(for: error)
                if arguments.contains(ToolInfo.dumpHelpFlag) { message = ToolInfo.forManual(message) }
                FileOutput.standardOutput.write(message + "\n")
                FileOutput.standardOutput.flush()
                return 0
            }
            // One error line and one hint, not the whole usage block.
            Messages.error(TnxCommand.message(for: error))
            FileOutput.standardError.write("Run 'tnx --help' for the options.\n")
            return RunStatus.usage.exitCode
        }
        if command.manualExitStatus {
            FileOutput.standardOutput.write(ToolInfo.manualExitStatus)
            FileOutput.standardOutput.flush()
            return 0
        }
        // A stop signal during an operation cancels it (the runners set that action); a second
        // one exits at once with 128 + the signal, unless it comes within a second of the first
        // (a duplicate: `timeout` signals tnx, then its process group) or the run is finishing
        // (its summary, the journal's flush); ids in flight are journaled `sending` before they
        // go, so even that exit leaves none unaccounted for. One that arrives while nothing runs (loading
        // a script, shutting down) exits at once too, except SIGINT in the shell: there ^C at
        // the prompt is a key, and a SIGINT between entries (`kill -INT`, a ^C typed just as an
        // entry ends) must not end the session. Created only now, so --help and --version do
        // not pay for it.
        let shell = ScriptSource.opensShell(command, standardInputIsTerminal: FileDescriptor.isTerminal(0))
        if shell { TerminalState.save() }
        let whenIdle: @Sendable (Int32) -> Void = { signal in
            if shell && signal == StopSignals.interrupt { return }
            FileOutput.standardOutput.flush()
            TerminalState.restore()
            Executable.exitNow(StopSignals.exitStatus(for: signal))
        }
        let signals = StopSignalWatcher(
            forceExitAfter: 2,
            beforeForcedExit: {
                FileOutput.standardOutput.flush()
                TerminalState.restore()
            }, whenIdle: whenIdle)
        if !signals.isRegistered {
            Messages.warning("could not watch for Ctrl-C and SIGTERM; stopping tnx may lose the summary of a run in progress")
        }
        return Session.run(command, signals: signals)
    }
}
