import TnxLanguage
import TnxSystem

/// Where a script came from, which decides what it may do.
public enum ScriptOrigin: Sendable, Hashable {
    /// A file or `-c` text: `-` may read ids from stdin.
    case file
    /// The script itself is being read from stdin, so stdin holds no ids.
    case standardInput
    /// A shell entry: stdin is the terminal, `set api-key` may ask for the key, and `run FILE`
    /// runs a script file.
    case repl
    /// A script file that `run` runs from the shell: stdin is the terminal, and it cannot run
    /// another.
    case shellScript
    /// `init.tnx` or a profile: `set` statements only, read before the client opens.
    case startup
}

/// Where a script runs: what it may do (`origin`), where its relative paths start, and the
/// parameters its `$NAME`s may stand for.
public struct ScriptContext: Sendable, Hashable {
    public var origin: ScriptOrigin
    /// Absolute.
    public var directory: String
    /// The command line's `-D NAME=VALUE` (none for a startup file, which takes none).
    public var parameters: ScriptParameters

    public init(origin: ScriptOrigin, directory: String, parameters: ScriptParameters = ScriptParameters()) {
        self.origin = origin
        self.directory = directory
        self.parameters = origin == .startup ? .notAccepted : parameters
    }

    /// `path` as the script means it: absolute, or under the script's directory.
    func resolve(_ path: String) -> String { Directories.resolve(path, in: directory) }
}
