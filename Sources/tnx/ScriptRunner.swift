import TnxInterpreter
import TnxLanguage
import TnxSystem
import TerminalText

/// Runs script files, `-c` text or a script from stdin as one invocation: all of it is checked,
/// and counted by the safety gate, before any of it runs; then each piece runs in order, from
/// the command line's settings, until one ends the invocation.
enum ScriptRunner {
    static func run(_ sources: [ScriptSource], parameters: ScriptParameters, interpreter: Interpreter, signals: StopSignalWatcher) -> Int32 {
        let inputs = sources.map { $0.input(parameters) }
        let (result, stoppedBy) = TerminalState.withoutControlEcho {
            runBlocking(cancellingOn: signals, onStop: Session.endLineAfterInterrupt) { await interpreter.run(inputs) }
        }
        let status = result.status == .interrupted && stoppedBy != nil ? StopSignals.exitStatus(for: stoppedBy!) : result.processStatus
        if status != 0 {
            // A cron job's stdout goes to a log: what reaches a person is stderr, so it ends
            // with why the run failed and where to look.
            var lines = interpreter.failures.groupedLines()
            lines.append(interpreter.failures.closingLine(status: status, journal: interpreter.journalPath, keyCheck: interpreter.keyOrigin?.check))
            FileOutput.standardError.write(lines.map { "tnx: " + TerminalText.sanitized($0) + "\n" }.joined())
            FileOutput.standardError.flush()
        }
        return status
    }

    /// `tnx --check`: every source, every diagnostic, and what each clean one would do;
    /// nothing runs and nothing is contacted.
    static func check(_ sources: [ScriptSource], parameters: ScriptParameters, settings: Settings, colour: Bool) -> Int32 {
        let inputs = sources.map { $0.input(parameters) }
        let clean = runBlocking {
            await Interpreter.checkReport(
                inputs, settings: settings, stdout: FileOutput.standardOutput, stderr: FileOutput.standardError, colour: colour)
        }
        return clean ? 0 : RunStatus.usage.exitCode
    }
}

extension ScriptSource {
    /// What the interpreter runs: a script file's relative id files are read from its own
    /// directory (cron starts in $HOME); `-c` text's and stdin's from the current one. A
    /// parameter's relative path, given on the command line, from the current one always.
    func input(_ parameters: ScriptParameters) -> Interpreter.Input {
        let directory = isFile ? Directories.containing(file.name) : Directories.current
        return Interpreter.Input(file: file, origin: origin, directory: directory, parameters: parameters)
    }
}
