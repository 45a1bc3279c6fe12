#if canImport(Glibc)
import Glibc
#endif
import TnxInterpreter
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
            case .failure(let error): return .failure(error)
            }
        }
        return .success(sources)
    }

    private static func readStandardInput() -> Result<ScriptSource, LoadError> {
        readAll(descriptor: 0, name: "<stdin>").map { ScriptSource(file: SourceFile(name: "<stdin>", bytes: $0), origin: .standardInput) }
    }

    private static func readFile(_ path: String) -> Result<[UInt8], LoadError> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            return .failure(LoadError(message: "cannot read script '\(path)': \(String(cString: strerror(errno)))"))
        }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            return .failure(LoadError(message: "cannot read script '\(path)': it is a directory"))
        }
        return readAll(descriptor: fd, name: path)
    }

    /// Reads to the end. Scripts are small; a script over 64 MiB is refused rather than read.
    private static func readAll(descriptor: Int32, name: String) -> Result<[UInt8], LoadError> {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(LoadError(message: "cannot read script '\(name)': \(String(cString: strerror(errno)))"))
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > 64 << 20 {
                return .failure(LoadError(message: "script '\(name)' is larger than 64 MiB; is it an id file? Use 'foreach id in FILE delete $id'"))
            }
        }
        return .success(bytes)
    }
}
