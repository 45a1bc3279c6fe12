/// The one table of tnx's statements, settings and topics. The parser, the checker,
/// `help`, docs and the shell's completion all read it, so they cannot drift apart.
public enum Language {
    public static let statements: [StatementSpec] = [
        StatementSpec(
            keyword: "delete",
            usage: "delete ID",
            summary: "Delete one recording (permanently).",
            examples: ["delete 3fa85f64-5717-4562-b3fc-2c963f66afa6", "delete $id"]
        ),
        StatementSpec(
            keyword: "foreach",
            usage: "foreach NAME in FILE BODY",
            summary: "Run BODY for every id in FILE (one id per line; `-` is stdin), concurrently.",
            examples: [
                "foreach id in old-recordings.txt delete $id",
                "foreach id in \"exports/q1 ids.txt\" {\n  delete $id\n}",
                "foreach id in - delete $id",
            ]
        ),
        StatementSpec(
            keyword: "show",
            usage: "show last|settings",
            summary: "Show the previous statement's result in full, or the current settings.",
            examples: ["show last", "show settings"]
        ),
        StatementSpec(
            keyword: "set",
            usage: "set [SETTING VALUE]",
            summary: "Change a setting for the statements that follow; alone, list them.",
            examples: ["set dry-run on", "set concurrency 32", "set output json", "set on-error continue", "set"]
        ),
        StatementSpec(
            keyword: "run",
            usage: "run FILE",
            summary: "Shell only: run a script file, checked and gated like any script.",
            examples: ["run cleanup.tnx", "run \"scripts/q1 purge.tnx\""]
        ),
        StatementSpec(
            keyword: "help",
            usage: "help [TOPIC]",
            summary: "Show help: statements, settings, or one topic in detail.",
            examples: ["help", "help foreach", "help settings"]
        ),
        StatementSpec(
            keyword: "exit",
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
            key: .apiKey, values: .none, defaultValue: "from TELNYX_API_KEY",
            summary: "Shell only: ask for the API key without echo (never stored in history)."
        ),
    ]

    public static let showTopics: [(topic: ShowTopic, summary: String)] = [
        (.last, "the result of the previous statement, in full"),
        (.settings, "every setting and its current value"),
    ]

    public static func statement(_ keyword: String) -> StatementSpec? {
        statements.first { $0.keyword == keyword }
    }

    public static func setting(_ name: String) -> SettingSpec? {
        settings.first { $0.key.rawValue == name }
    }

    /// Every word that starts a statement.
    public static var keywords: [String] { statements.map(\.keyword) }

    /// The statements a foreach body may hold.
    public static let bodyKeywords = ["delete", "foreach"]
}

public enum SettingKey: String, Hashable, Sendable, CaseIterable {
    case dryRun = "dry-run"
    case concurrency
    case output
    case onError = "on-error"
    case confirm
    case resume
    case apiKey = "api-key"
}

public struct StatementSpec: Sendable {
    public let keyword: String
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

        /// `on|off`, `1…256`, or empty.
        public var syntax: String {
            switch self {
            case .choice(let words): words.joined(separator: "|")
            case .integer(let range): "\(range.lowerBound)…\(range.upperBound)"
            case .none: ""
            }
        }

        /// The words TAB completion offers after the setting's name.
        public var completions: [String] {
            if case .choice(let words) = self { return words }
            return []
        }
    }

    public let key: SettingKey
    public let values: Values
    public let defaultValue: String
    public let summary: String
}
