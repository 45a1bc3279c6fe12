/// The one table of tnx's statements, settings and topics. The parser, the checker,
/// `help`, docs and the shell's completion all read it, so they cannot drift apart.
public enum Language {
    public static let statements: [StatementSpec] = [
        StatementSpec(
            keyword: .delete,
            usage: "delete ID",
            summary: "Delete one recording (permanently).",
            examples: ["delete 3fa85f64-5717-4562-b3fc-2c963f66afa6", "delete $id"]
        ),
        StatementSpec(
            keyword: .download,
            usage: "download ID to DIR",
            summary: "Save one recording's media (DIR/ID.mp3, or .wav with 'set format wav') and metadata (DIR/ID.json), verified; never over another file. DIR may place each copy by its date: {created:yyyy/MM}.",
            examples: ["download 3fa85f64-5717-4562-b3fc-2c963f66afa6 to archive/", "download $id to \"archive/{created:yyyy/MM}\""]
        ),
        StatementSpec(
            keyword: .foreach,
            usage: "foreach NAME in FILE|QUERY BODY",
            summary:
                "Run BODY for every id in FILE (one id per line; `-` is stdin) or matching QUERY, concurrently. BODY is steps on the id, in order: download $id to DIR, show recording $id, delete $id (last); an id whose step fails goes no further.",
            examples: [
                "foreach id in old-recordings.txt delete $id",
                "foreach id in \"exports/q1 ids.txt\" {\n  delete $id\n}",
                "foreach id in - delete $id",
                "foreach id in recordings where created before 90d delete $id",
                "foreach id in recordings where created before 365d {\n  download $id to archive/\n  delete $id\n}",
            ]
        ),
        StatementSpec(
            keyword: .count,
            usage: "count QUERY",
            summary: "Print how many recordings match QUERY (one request, whatever the number).",
            examples: ["count recordings where created before 2025-01-01", "count recordings"]
        ),
        StatementSpec(
            keyword: .list,
            usage: "list QUERY [limit N]",
            summary: "Print the recordings that match QUERY, one a line: id, created, duration, from → to.",
            examples: [
                "list recordings where from \"+15551234567\" and created after 30d limit 20",
                "list recordings where connection 1494404757140276705",
            ]
        ),
        StatementSpec(
            keyword: .show,
            usage: "show last|settings|recording ID",
            summary: "Show the previous statement's result in full, the current settings, or one recording.",
            examples: ["show last", "show settings", "show recording 3fa85f64-5717-4562-b3fc-2c963f66afa6"]
        ),
        StatementSpec(
            keyword: .set,
            usage: "set [SETTING VALUE]",
            summary: "Change a setting for the statements that follow; alone, list them.",
            examples: ["set dry-run on", "set concurrency 32", "set output json", "set on-error continue", "set"]
        ),
        StatementSpec(
            keyword: .run,
            usage: "run FILE",
            summary: "Shell only: run a script file, checked and gated like any script.",
            examples: ["run cleanup.tnx", "run \"scripts/q1 purge.tnx\""]
        ),
        StatementSpec(
            keyword: .help,
            usage: "help [TOPIC]",
            summary: "Show help: statements, settings, or one topic in detail.",
            examples: ["help", "help foreach", "help settings"]
        ),
        StatementSpec(
            keyword: .exit,
            usage: "exit [N]",
            summary: "End the script or the session, with exit status N if given.",
            examples: ["exit", "exit 3"]
        ),
    ]

    public static let settings: [SettingSpec] = [
        SettingSpec(
            key: .dryRun, values: .choice(["on", "off"]), defaultValue: "off",
            summary: "Build and show every request without sending it; count what would be deleted."
        ),
        SettingSpec(
            key: .concurrency, values: .integer(1...256), defaultValue: "16",
            summary: "How many delete requests a foreach keeps in flight."
        ),
        SettingSpec(
            key: .output, values: .choice(OutputFormat.allCases.map(\.rawValue)), defaultValue: "text",
            summary: "text for people; json for one JSON object per line on stdout."
        ),
        SettingSpec(
            key: .onError, values: .choice(ErrorPolicy.allCases.map(\.rawValue)), defaultValue: "stop",
            summary: "What a failed statement does to the rest of a script (the shell always goes on)."
        ),
        SettingSpec(
            key: .confirm, values: .choice(["on", "off"]), defaultValue: "on",
            summary: "Ask (shell) or refuse (script) before deleting more than one recording."
        ),
        SettingSpec(
            key: .resume, values: .choice(["on", "off"]), defaultValue: "off",
            summary: "Skip ids the journal says are done (deleted or not_found) at this API."
        ),
        SettingSpec(
            key: .format, values: .choice(MediaFormat.allCases.map(\.rawValue)), defaultValue: "mp3",
            summary: "Which of a recording's media files 'download' saves."
        ),
        SettingSpec(
            key: .verifyDuration, values: .choice(["on", "off"]), defaultValue: "on",
            summary: "Whether a downloaded copy must play as long as the recording's duration_millis, within max(2 s, 2 %); off only for an account whose media and metadata disagree by design."
        ),
        SettingSpec(
            key: .method, values: .choice(DeleteMethod.allCases.map(\.rawValue)), defaultValue: "single",
            summary: "How a purge by query deletes: single (one request a recording) or batch (chunks, verified by listing again)."
        ),
        SettingSpec(
            key: .batchSize, values: .integer(1...1000), defaultValue: "1000",
            summary: "Ids per request of a batch purge: the largest by default, lowered for the rest of the run when the API refuses the size."
        ),
        SettingSpec(
            key: .verify, values: .choice(VerifyLevel.allCases.map(\.rawValue)), defaultValue: "sample",
            summary: "What a batch purge reads back of the ids its listing says are gone: sample (verify-sample of them, at random) or all (one GET each)."
        ),
        SettingSpec(
            key: .verifySample, values: .integer(1...1_000_000), defaultValue: "300",
            summary: "How many of those ids `verify sample` reads back (all of them when fewer); any still there and every id is deleted on its own."
        ),
        SettingSpec(
            key: .keepSnapshots, values: .age, defaultValue: "30d",
            summary: "How long a real purge keeps the snapshots in its snapshot directory: it removes tnx's snapshots older than this age (at least 1d), nothing else; off keeps them all."
        ),
        SettingSpec(
            key: .apiKey, values: .none, defaultValue: "from TELNYX_API_KEY",
            summary: "Shell only: ask for the API key without echo (never stored in history)."
        ),
        SettingSpec(
            key: .baseURL, values: .text("\"URL\""), defaultValue: "https://api.telnyx.com/v2",
            summary: "Startup files only: the API's base URL (as TELNYX_BASE_URL or --base-url).",
            startupOnly: true
        ),
        SettingSpec(
            key: .apiKeyCommand, values: .text("\"COMMAND\""), defaultValue: "none",
            summary: "Startup files only: a command whose first line of output is the API key, run once when a request first needs it.",
            startupOnly: true
        ),
    ]

    public static let showTopics: [(topic: ShowTopic, summary: String)] = [
        (.last, "the result of the previous statement, in full"),
        (.settings, "every setting and its current value"),
        (.recording, "one recording, every field the API has for it: show recording ID"),
    ]

    /// The word that starts a query: `recordings [where COND {and COND}]`. A file of that name
    /// is written quoted: `foreach id in "recordings" …`.
    public static let queryWord = "recordings"

    /// The fields a query matches exactly (`FIELD VALUE`), with the API's filter for each.
    /// Matches are exact and case-sensitive, as the API makes them.
    public static let queryFields: [QueryFieldSpec] = [
        QueryFieldSpec(word: "from", apiName: "from", summary: "the calling number, as the API has it (\"+15551234567\")"),
        QueryFieldSpec(word: "to", apiName: "to", summary: "the called number"),
        QueryFieldSpec(word: "connection", apiName: "connection_id", summary: "the connection (an id like 1494404757140276705)"),
        QueryFieldSpec(word: "conference", apiName: "conference_id", summary: "the conference"),
        QueryFieldSpec(word: "call-leg", apiName: "call_leg_id", summary: "the call leg"),
        QueryFieldSpec(word: "call-session", apiName: "call_session_id", summary: "the call session"),
        QueryFieldSpec(word: "call-control", apiName: "call_control_id", summary: "the call control id (v3:…)"),
        QueryFieldSpec(word: "sip-call", apiName: "sip_call_id", summary: "the SIP Call-ID"),
    ]

    /// `created before TIME` / `created after TIME`: the one field compared in time.
    public static let timeField = "created"
    public static let timeComparisons = ["before", "after"]
    /// The units of an age (`90d`), with their length in seconds. A month is 30 days and a
    /// year 365 (retention policies count so; the time an age meant is printed); there is no
    /// `m`, which could be minutes or months.
    public static let ageUnits: [(unit: String, name: String, seconds: Int64)] = [
        ("h", "hours", 3_600), ("d", "days", 86_400), ("w", "weeks", 604_800),
        ("mo", "months of 30 days", 2_592_000), ("y", "years of 365 days", 31_536_000),
    ]
    /// What a TIME may be, for messages and help.
    public static let timeSyntax =
        "a date (2025-01-31, midnight UTC), a date-time with Z or an offset (2025-01-31T12:00:00Z), or an age (90d, 12h, 2w, 6mo of 30 days, 1y of 365 days: that long before the statement starts)"
    /// Every word that starts a condition, for completion and messages.
    public static var conditionWords: [String] { [timeField] + queryFields.map(\.word) }
    /// The largest `limit N` of `list`.
    public static let maximumListLimit = 1_000_000
    /// How many recordings `list` without a limit shows in the shell.
    public static let shellListLimit = 20

    public static func queryField(_ word: String) -> QueryFieldSpec? {
        queryFields.first { $0.word == word }
    }

    public static func statement(_ keyword: String) -> StatementSpec? {
        statements.first { $0.keyword.rawValue == keyword }
    }

    public static func setting(_ name: String) -> SettingSpec? {
        settings.first { $0.key.rawValue == name }
    }

    /// The table's entry for `key`: every key has one (`help` and the docs tests read them all).
    public static func setting(_ key: SettingKey) -> SettingSpec {
        guard let spec = settings.first(where: { $0.key == key }) else { preconditionFailure("no SettingSpec for \(key.rawValue)") }
        return spec
    }

    /// Every word that starts a statement.
    public static var keywords: [String] { statements.map(\.keyword.rawValue) }

    /// The statements a foreach body may hold.
    public static let bodyKeywords = ["delete", "download", "show", "foreach"]
    /// The word between a download's id and its directory.
    public static let downloadTo = "to"
}

public enum SettingKey: String, Hashable, Sendable, CaseIterable {
    case dryRun = "dry-run"
    case concurrency
    case output
    case onError = "on-error"
    case confirm
    case resume
    case format
    case verifyDuration = "verify-duration"
    case method
    case batchSize = "batch-size"
    case verify
    case verifySample = "verify-sample"
    case keepSnapshots = "keep-snapshots"
    case apiKey = "api-key"
    case baseURL = "base-url"
    case apiKeyCommand = "api-key-command"
}

/// One field a query matches exactly.
public struct QueryFieldSpec: Sendable, Hashable {
    /// The word in the language: `connection`.
    public let word: String
    /// The API's name, in `filter[…]` and in a recording: `connection_id`.
    public let apiName: String
    public let summary: String
}

/// Every statement of the language, by its first word: the parser's dispatch, `help`, the
/// shell's completion and the interpreter switch over it, so adding one is a compile error
/// at each place until it is handled there.
public enum StatementKeyword: String, Sendable, Hashable, CaseIterable {
    case delete, download, foreach, count, list, show, set, run, help, exit
}

public struct StatementSpec: Sendable {
    public let keyword: StatementKeyword
    public let usage: String
    public let summary: String
    public let examples: [String]
}

public struct SettingSpec: Sendable {
    public enum Values: Sendable {
        /// One of these words.
        case choice([String])
        /// A whole number in this range.
        case integer(ClosedRange<Int>)
        /// The setting takes no value in the source.
        case none
        /// Any text, best quoted; the argument is its name in messages (`"URL"`).
        case text(String)
        /// An age (`30d`, `12w`, `1y`: a TIME's age units) of at least a day, or `off`.
        case age

        /// The whole numbers the setting takes (`1...256`), or nil for words or text.
        public var range: ClosedRange<Int>? {
            if case .integer(let range) = self { return range }
            return nil
        }

        /// `on|off`, `1…256`, or empty.
        public var syntax: String {
            switch self {
            case .choice(let words): words.joined(separator: "|")
            case .integer(let range): "\(range.lowerBound)…\(range.upperBound)"
            case .none: ""
            case .text(let name): name
            case .age: "AGE|off"
            }
        }

        /// The words TAB completion offers after the setting's name.
        public var completions: [String] {
            if case .choice(let words) = self { return words }
            if case .age = self { return ["off"] }
            return []
        }
    }

    public let key: SettingKey
    public let values: Values
    public let defaultValue: String
    public let summary: String
    /// Only a startup file (`init.tnx`, a profile) may set it: it decides where requests go or
    /// which key they carry, which is fixed before anything runs.
    public let startupOnly: Bool

    public init(key: SettingKey, values: Values, defaultValue: String, summary: String, startupOnly: Bool = false) {
        self.key = key
        self.values = values
        self.defaultValue = defaultValue
        self.summary = summary
        self.startupOnly = startupOnly
    }
}
