/// The syntax tree of a tnx script: plain values, each carrying its place in the source.

/// A value written in a statement: a bare word, a quoted string (escapes already
/// resolved), or a `$name` variable reference.
public struct Expr: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// A WORD or a STRING, with its text as the user meant it (quotes and escapes removed).
        case literal(String)
        /// `$name`, holding `name`.
        case variable(String)
    }

    public var kind: Kind
    public var location: SourceLocation
    /// Columns the value spans in the source, for carets.
    public var length: Int

    public init(kind: Kind, location: SourceLocation, length: Int) {
        self.kind = kind
        self.location = location
        self.length = length
    }
}

public enum OutputFormat: String, Hashable, Sendable, CaseIterable {
    case text, json
}

public enum ErrorPolicy: String, Hashable, Sendable, CaseIterable {
    case stop, `continue`
}

/// What a `set` statement assigns, already checked and typed by the parser.
public enum SettingAssignment: Hashable, Sendable {
    case dryRun(Bool)
    case concurrency(Int)
    case output(OutputFormat)
    case onError(ErrorPolicy)
    case confirm(Bool)
    case resume(Bool)
    /// `set api-key`: takes no value in the source; the shell asks for the key without echo.
    case apiKey

    public var key: SettingKey {
        switch self {
        case .dryRun: .dryRun
        case .concurrency: .concurrency
        case .output: .output
        case .onError: .onError
        case .confirm: .confirm
        case .resume: .resume
        case .apiKey: .apiKey
        }
    }
}

public enum ShowTopic: String, Hashable, Sendable, CaseIterable {
    case last, settings
}

public struct Statement: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case delete(Expr)
        /// `foreach NAME in SOURCE BODY`; a one-statement body is a one-element array.
        case foreach(variable: String, variableLocation: SourceLocation, source: Expr, body: [Statement])
        case show(ShowTopic)
        case set(SettingAssignment)
        /// `help` or `help TOPIC`; the topic is checked by the planner, not by the parser.
        case help(topic: Expr?)
        /// `exit` or `exit N` (0…255).
        case exit(code: Int?)
        /// `run FILE`: a script file, run from the shell.
        case run(Expr)
    }

    public var kind: Kind
    /// The place of the statement's keyword.
    public var location: SourceLocation

    public init(kind: Kind, location: SourceLocation) {
        self.kind = kind
        self.location = location
    }
}

/// A whole parsed source: what `run(source)` executes once it has no errors.
public struct Script: Sendable {
    public var statements: [Statement]
    public var source: SourceFile

    public init(statements: [Statement], source: SourceFile) {
        self.statements = statements
        self.source = source
    }
}
