import TnxInterpreter
import TnxLanguage
import TnxSystem

/// Runs script files, `-c` text or a script from stdin as one invocation: all of it is checked,
/// and counted by the safety gate, before any of it runs; then each piece runs in order, from
/// the command line's settings, until one ends the invocation.
enum ScriptRunner {
    static func run(_ sources: [ScriptSource], interpreter: Interpreter, signals: StopSignalWatcher) -> Int32 {
        let inputs = sources.map { Interpreter.Input(file: $0.file, origin: $0.origin) }
        let (result, stoppedBy) = runBlocking(cancellingOn: signals) { await interpreter.run(inputs) }
        if result.status == .interrupted, let stoppedBy { return StopSignals.exitStatus(for: stoppedBy) }
        return result.status.exitCode
    }

    /// `tnx --check`: every source, every diagnostic; nothing runs and nothing is contacted.
    static func check(_ sources: [ScriptSource], settings: Settings, colour: Bool) -> Int32 {
        var clean = true
        for source in sources {
            clean = Interpreter.check(source.file, origin: source.origin, settings: settings, stderr: FileOutput.standardError, colour: colour) && clean
        }
        FileOutput.standardError.flush()
        return clean ? 0 : RunStatus.usage.exitCode
    }
}
