import TnxInterpreter
import TnxLanguage
import TnxSystem

/// Runs script files, `-c` text or a script from stdin as one invocation: all of it is checked,
/// and counted by the safety gate, before any of it runs; then each piece runs in order, from
/// the command line's settings, until one ends the invocation.
enum ScriptRunner {
    static func run(_ sources: [ScriptSource], interpreter: Interpreter, signals: StopSignalWatcher) -> Int32 {
        let inputs = sources.map(\.input)
        let (result, stoppedBy) = TerminalState.withoutControlEcho {
            runBlocking(cancellingOn: signals, onStop: Session.endLineAfterInterrupt) { await interpreter.run(inputs) }
        }
        if result.status == .interrupted, let stoppedBy { return StopSignals.exitStatus(for: stoppedBy) }
        return result.processStatus
    }

    /// `tnx --check`: every source, every diagnostic, and what each clean one would do;
    /// nothing runs and nothing is contacted.
    static func check(_ sources: [ScriptSource], settings: Settings, colour: Bool) -> Int32 {
        let inputs = sources.map(\.input)
        let clean = runBlocking {
            await Interpreter.checkReport(
                inputs, settings: settings, stdout: FileOutput.standardOutput, stderr: FileOutput.standardError, colour: colour)
        }
        return clean ? 0 : RunStatus.usage.exitCode
    }
}

extension ScriptSource {
    /// What the interpreter runs: a script file's relative id files are read from its own
    /// directory (cron starts in $HOME); `-c` text's and stdin's from the current one.
    var input: Interpreter.Input {
        let directory = isFile ? Directories.containing(file.name) : Directories.current
        return Interpreter.Input(file: file, origin: origin, directory: directory)
    }
}
