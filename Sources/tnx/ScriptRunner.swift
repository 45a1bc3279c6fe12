import LineEditor
import TnxInterpreter
import TnxLanguage

/// Runs script files, `-c` text or a script from stdin, as one script: all of it is checked
/// before any of it runs, then each piece runs in order until one ends the script.
enum ScriptRunner {
    static func run(_ sources: [ScriptSource], interpreter: Interpreter, interrupts: InterruptWatcher) -> Int32 {
        // A syntax error in the third file must stop the first one from running.
        if sources.count > 1 {
            var clean = true
            for source in sources {
                clean = runBlocking { await interpreter.check(source.file, origin: source.origin) } && clean
            }
            guard clean else { return RunStatus.usage.exitCode }
        }
        var status = RunStatus.success
        for source in sources {
            let result = runBlocking(cancellingOn: interrupts) { await interpreter.run(source.file, origin: source.origin) }
            status = max(status, result.status)
            if result.exitRequested || result.status != .success {
                let onError = runBlocking { await interpreter.settings.onError }
                if result.exitRequested || result.status != .failures || onError == .stop { break }
            }
        }
        return status.exitCode
    }

    /// `tnx --check`: every source, every diagnostic; nothing runs and nothing is contacted.
    static func check(_ sources: [ScriptSource], colour: Bool) -> Int32 {
        var clean = true
        for source in sources {
            clean = Interpreter.check(source.file, origin: source.origin, stderr: FileOutput.standardError, colour: colour) && clean
        }
        FileOutput.standardError.flush()
        return clean ? 0 : RunStatus.usage.exitCode
    }
}
