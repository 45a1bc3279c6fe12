import TnxInterpreter
import TnxSystem
import TnxLanguage

/// One piece of source to run, with where it came from.
struct ScriptSource {
    var file: SourceFile
    var origin: ScriptOrigin
    /// A script file named on the command line (not `-c` text or stdin).
    var isFile = false

    struct LoadError: Error {
        var message: String
    }

    /// Whether this invocation is the interactive shell: nothing to run, and a terminal on stdin.
    static func opensShell(_ command: TnxCommand, standardInputIsTerminal: Bool) -> Bool {
        command.command == nil && command.scripts.isEmpty && !command.check && standardInputIsTerminal
    }

    /// The scripts named on the command line, `-c` text, or stdin when it is not a terminal.
    /// None means: open the REPL.
    static func load(_ command: TnxCommand, standardInputIsTerminal: Bool) -> Result<[ScriptSource], LoadError> {
        if opensShell(command, standardInputIsTerminal: standardInputIsTerminal) { return .success([]) }
        if let text = command.command {
            return .success([ScriptSource(file: SourceFile(name: "<command line>", text: text), origin: .file)])
        }
        if command.scripts.isEmpty {
            return readStandardInput().map { [$0] }
        }
        var sources: [ScriptSource] = []
        for path in command.scripts {
            if path == "-" {
                switch readStandardInput() {
                case .success(let source): sources.append(source)
                case .failure(let error): return .failure(error)
                }
                continue
            }
            switch readFile(path) {
            case .success(let bytes): sources.append(ScriptSource(file: SourceFile(name: path, bytes: bytes), origin: .file, isFile: true))
            case .failure(var error):
                // `tnx list recordings`, as gh and aws are used: the words were meant as a
                // statement, not as the names of script files.
                if path == command.scripts.first, StatementKeyword(rawValue: path) != nil, case .missing = FileKind.of(path) {
                    let text = command.scripts.joined(separator: " ").replacing("'", with: "'\\''")
                    error.message += "; did you mean: tnx -c '\(text)'"
                }
                return .failure(error)
            }
        }
        return .success(sources)
    }

    private static func readStandardInput() -> Result<ScriptSource, LoadError> {
        FileDescriptor.readToEnd(0, limit: maximumSize)
            .mapError { LoadError(message: "cannot read the script on stdin: \($0 == .fileTooLarge ? tooLarge : $0.description)") }
            .map { ScriptSource(file: SourceFile(name: "<stdin>", bytes: $0), origin: .standardInput) }
    }

    /// Scripts are small; a script over 64 MiB is refused rather than read.
    private static let maximumSize = 64 << 20
    private static let tooLarge = "it is larger than 64 MiB; is it an id file? Use 'foreach id in FILE delete $id'"

    private static func readFile(_ path: String) -> Result<[UInt8], LoadError> {
        FileDescriptor.readFile(path, limit: maximumSize).mapError { error in
            if case .tooLarge = error { return LoadError(message: "cannot read script '\(path)': \(tooLarge)") }
            return LoadError(message: "cannot read script '\(path)': \(error)")
        }
    }
}
