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

/// How a purge by query deletes: one request per recording, or the batch endpoint with the
/// result verified by listing the query again.
public enum DeleteMethod: String, Hashable, Sendable, CaseIterable {
    case single, batch
}

/// What a batch purge reads back (`GET`) of the ids its listing says are gone: a uniform
/// random sample (`verify-sample` of them), or every one.
public enum VerifyLevel: String, Hashable, Sendable, CaseIterable {
    case sample, all
}

/// Which of a recording's `download_urls` a `download` fetches.
public enum MediaFormat: String, Hashable, Sendable, CaseIterable {
    case mp3, wav
}

/// How long a real purge keeps the snapshots in its snapshot directory (`set keep-snapshots`):
/// those older than an age are removed, or (`off`) all are kept.
public enum SnapshotRetention: Hashable, Sendable {
    case off
    /// Older than `seconds`; `text` is the age as written (`30d`).
    case age(seconds: Int64, text: String)

    /// The shortest age allowed: a purge can run for hours, and its own snapshot is read
    /// until it ends.
    public static let minimumSeconds: Int64 = 86_400

    /// As `set` spells it: `30d`, `off`.
    public var text: String {
        switch self {
        case .off: "off"
        case .age(_, let text): text
        }
    }
}

/// What a `set` statement assigns, already checked and typed by the parser.
public enum SettingAssignment: Hashable, Sendable {
    case dryRun(Bool)
    case concurrency(Int)
    case output(OutputFormat)
    case onError(ErrorPolicy)
    case confirm(Bool)
    case resume(Bool)
    case format(MediaFormat)
    case verifyDuration(Bool)
    case method(DeleteMethod)
    case batchSize(Int)
    case verify(VerifyLevel)
    case verifySample(Int)
    case keepSnapshots(SnapshotRetention)
    /// `set api-key`: takes no value in the source; the shell asks for the key without echo.
    case apiKey
    /// `set base-url "URL"` (startup files only; the URL is checked when the client opens).
    case baseURL(String)
    /// `set api-key-command "COMMAND"` (startup files only).
    case apiKeyCommand(String)

    public var key: SettingKey {
        switch self {
        case .dryRun: .dryRun
        case .concurrency: .concurrency
        case .output: .output
        case .onError: .onError
        case .confirm: .confirm
        case .resume: .resume
        case .format: .format
        case .verifyDuration: .verifyDuration
        case .method: .method
        case .batchSize: .batchSize
        case .verify: .verify
        case .verifySample: .verifySample
        case .keepSnapshots: .keepSnapshots
        case .apiKey: .apiKey
        case .baseURL: .baseURL
        case .apiKeyCommand: .apiKeyCommand
        }
    }
}

public enum ShowTopic: String, Hashable, Sendable, CaseIterable {
    /// `recording` takes an id and parses to `Statement.Kind.showRecording`.
    case last, settings, recording
}

/// `recordings [where COND {and COND}]`: the recordings a `count`, `list` or `foreach` reads
/// from the API. The conditions all hold (and); each field appears at most once.
public struct Query: Hashable, Sendable {
    public var conditions: [Condition]
    /// The place of the word `recordings`.
    public var location: SourceLocation
    /// Columns from `recordings` to the end of the last condition, for carets.
    public var length: Int

    public init(conditions: [Condition], location: SourceLocation, length: Int) {
        self.conditions = conditions
        self.location = location
        self.length = length
    }
}

/// One condition of a query.
public struct Condition: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// `created before TIME`: created strictly before it.
        case createdBefore(TimeValue)
        /// `created after TIME`: created strictly after it.
        case createdAfter(TimeValue)
        /// `FIELD VALUE`: an exact, case-sensitive match of the API's field `apiName`.
        case field(word: String, apiName: String, value: String)
    }

    public var kind: Kind
    /// The place of the condition's first word.
    public var location: SourceLocation
    /// The place and width of its value (the TIME or VALUE), for carets.
    public var valueLocation: SourceLocation
    public var valueLength: Int

    public init(kind: Kind, location: SourceLocation, valueLocation: SourceLocation, valueLength: Int) {
        self.kind = kind
        self.location = location
        self.valueLocation = valueLocation
        self.valueLength = valueLength
    }

    /// What a query may hold once: `created before`, `created after`, or the field's word.
    public var slot: String {
        switch kind {
        case .createdBefore: "created before"
        case .createdAfter: "created after"
        case .field(let word, _, _): word
        }
    }
}

/// A TIME of a query.
public enum TimeValue: Hashable, Sendable {
    /// A date or date-time: milliseconds since 1970, UTC.
    case instant(millis: Int64)
    /// An age (`90d`): that many seconds before the statement starts, fixed when it starts.
    case age(seconds: Int64, text: String)
}

/// Where a foreach reads its ids.
public enum LoopSource: Hashable, Sendable {
    /// A file of ids (`-`: stdin), or `$f`: a file named in an outer file.
    case file(Expr)
    /// The recordings that match a query, read from the API.
    case query(Query)
}

public struct Statement: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case delete(Expr)
        /// `download ID to DIR`: the media and the metadata of one recording, into DIR.
        case download(Expr, directory: Expr)
        /// `foreach NAME in SOURCE BODY`; a one-statement body is a one-element array.
        case foreach(variable: String, variableLocation: SourceLocation, source: LoopSource, body: [Statement])
        case show(ShowTopic)
        /// `show recording ID`.
        case showRecording(Expr)
        /// `count QUERY`.
        case count(Query)
        /// `list QUERY [limit N]`.
        case list(Query, limit: Int?)
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
