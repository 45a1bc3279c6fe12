import TnxLanguage
import TnxSystem

extension Interpreter {
    /// `run FILE` in the shell: the file is read and checked whole, the safety gate counts it,
    /// then it runs with the shell's settings (what it sets stays, as for any entry). Relative
    /// id files in it are read from its own directory.
    func runFile(_ path: String) async -> Flow {
        let read = await BlockingWorker().run { FileDescriptor.readFile(path, limit: 64 << 20) }
        let bytes: [UInt8]
        switch read {
        case .success(let read): bytes = read
        case .failure(let error):
            reporter.error("cannot read script '\(path)': \(error)")
            return Flow(status: .usage)
        }
        let source = SourceFile(name: path, bytes: bytes)
        let context = ScriptContext(origin: .shellScript, directory: Directories.containing(path), parameters: environment.parameters)
        guard let plan = ScriptChecker.checked(source, context: context, settings: settings, reporter: reporter) else {
            return Flow(status: .usage)
        }
        if let refusal = await safetyGate([(plan, context)], startingFrom: settings, nested: true) {
            return Flow(status: refusal)
        }
        return await execute(plan, bindings: [:], context: context)
    }
}
