import TerminalText

// Over 400 lines on purpose: every message of the language in one place, as the bad-script
// table of docs/language.md lists them, so a wording is changed here and nowhere else.

/// What a diagnostic says, bound to its id as swift-syntax binds a message to its `MessageID`:
/// only the factories below make one, each named for its `DiagnosticID` and building that
/// id's wording from typed parts (a token, a setting, a path), so a call site can neither pair
/// an id with another id's text nor word a message of its own. `Diagnostic` is built from it.
///
/// The wording is what tests and docs/language.md compare: change it here, and there.
public struct DiagnosticMessage: Hashable, Sendable {
    public let id: DiagnosticID
    /// One sentence, lower case start, no trailing period.
    public let text: String

    private init(_ id: DiagnosticID, _ text: String) {
        self.id = id
        self.text = text
    }

    /// The brace of `unexpected-brace`.
    public enum Brace: Sendable {
        case opening, closing
    }

    /// What `missing-value` expected where a value (`WORD | STRING | VARIABLE`) was missing.
    public enum ExpectedValue: Sendable {
        case deleteID, downloadID, downloadDirectory, loopSource, showRecordingID, runScript

        /// A file or a directory goes here: a parameter's relative path starts from the
        /// directory tnx was started in.
        var isPath: Bool {
            switch self {
            case .downloadDirectory, .loopSource, .runScript: true
            case .deleteID, .downloadID, .showRecordingID: false
            }
        }

        var description: String {
            switch self {
            case .deleteID: "an id after 'delete'"
            case .downloadID: "an id after 'download'"
            case .downloadDirectory: "a directory after 'to' (a path or a \"quoted path\")"
            case .loopSource: "a file after 'in' (a path, a \"quoted path\", or - for stdin), or a query (recordings where …)"
            case .showRecordingID: "a recording id after 'show recording'"
            case .runScript: "a script file after 'run' (a path or a \"quoted path\")"
            }
        }
    }

    /// Where `variable-in-query` found a `$name` (the variable's name without its `$`).
    public enum QueryPlace: Sendable {
        /// After a query field: `from $x`.
        case field(String, variable: String)
        /// As a query's time: `created before $t`.
        case time(variable: String)
        /// After `show recording`.
        case showRecording
    }

    /// The statement of `delete-outside-loop-body` and `file-variable-deleted`.
    public enum Step: Sendable {
        case delete, download
    }

    /// Where `api-key-in-script` found `set api-key`.
    public enum Place: Sendable {
        case script, startupFile
    }

    /// What is wrong with the directory of `download-directory`.
    public enum DirectoryProblem: Sendable {
        /// A `$name`.
        case variable(String)
        case empty
        /// This path exists and is not a directory.
        case notADirectory(String)
        /// Braces other than one `{created:FORMAT}` placeholder: what is wrong, said.
        case template(String)
    }
}

// MARK: - The lexer

extension DiagnosticMessage {
    /// `invalid UTF-8 byte 0xFF; tnx source must be UTF-8`
    public static func invalidUTF8(byte: UInt8) -> Self {
        Self(.invalidUTF8, "invalid UTF-8 byte 0x\(String(byte, radix: 16, uppercase: true)); tnx source must be UTF-8")
    }

    public static let nulByte = Self(.nulByte, "NUL byte in the source")

    /// `control character U+001B is not allowed here`
    public static func controlCharacter(scalar: UInt32) -> Self {
        Self(.controlCharacter, "control character U+\(TerminalText.hex(scalar)) is not allowed here")
    }

    public static let unterminatedString = Self(.unterminatedString, "unterminated string; a string ends with '\"' on the same line")

    /// `escaped` is what follows the backslash.
    public static func unknownEscape(_ escaped: String) -> Self {
        Self(.unknownEscape, "unknown escape \(Quote.single("\\" + escaped)) in a string; the escapes are \\\" \\\\ \\n \\t")
    }

    /// `name` is what follows the `$`: empty, or not a name.
    public static func invalidVariable(name: String) -> Self {
        if name.isEmpty { return Self(.invalidVariable, "expected a variable name after '$'") }
        return Self(
            .invalidVariable,
            "invalid variable name \(Quote.single("$" + name)); a name is a letter or '_' followed by letters, digits, '_' or '-'")
    }
}

// MARK: - The parser

extension DiagnosticMessage {
    /// `unknown statement 'delet'; did you mean 'delete'?`, else the list of statements.
    public static func unknownStatement(_ word: String) -> Self {
        var text = "unknown statement \(Quote.single(word))"
        if let guess = Suggest.closest(to: word, in: Language.keywords) {
            text += "; did you mean '\(guess)'?"
        } else {
            text += "; statements are: " + Language.keywords.joined(separator: ", ")
        }
        return Self(.unknownStatement, text)
    }

    public static func expectedStatement(found: Token) -> Self {
        Self(.expectedStatement, "expected a statement, found \(found.displayName); statements are: " + Language.keywords.joined(separator: ", "))
    }

    public static func extraTokens(found: Token) -> Self {
        Self(.extraTokens, "unexpected \(found.displayName) after the end of the statement; end a statement with a new line or ';'")
    }

    public static func unexpectedBrace(_ brace: Brace) -> Self {
        switch brace {
        case .closing: Self(.unexpectedBrace, "unexpected '}' with no open block")
        case .opening: Self(.unexpectedBrace, "unexpected '{'; a block '{ … }' can only follow a foreach header")
        }
    }

    public static let unterminatedBlock = Self(.unterminatedBlock, "unterminated block; this '{' is never closed with '}'")

    public static let emptyBody = Self(.emptyBody, "empty foreach body; put at least one statement between '{' and '}'")

    /// `found` is the token after the foreach source: a line end says where the body must start.
    public static func expectedBody(found: Token) -> Self {
        switch found.kind {
        case .newline, .endOfFile:
            Self(.expectedBody, "expected a statement or '{' after the foreach source; the body starts on the same line")
        default:
            Self(.expectedBody, "expected a statement or '{' after the foreach source, found \(found.displayName)")
        }
    }

    /// `found` is the token after `foreach`: a word that is not a name, a `$name`, or anything else.
    public static func expectedVariableName(found: Token) -> Self {
        switch found.kind {
        case .word:
            Self(
                .expectedVariableName,
                "invalid loop variable name \(Quote.single(found.text)); a name is a letter or '_' followed by letters, digits, '_' or '-'")
        case .variable:
            Self(.expectedVariableName, "write the loop variable without '$': foreach \(Quote.sanitize(found.text)) in …")
        default:
            Self(.expectedVariableName, "expected a loop variable name after 'foreach', found \(found.displayName)")
        }
    }

    public static func shadowedVariable(_ name: String, outerLine: Int) -> Self {
        Self(.shadowedVariable, "loop variable '\(name)' is already bound by the foreach at line \(outerLine); choose another name")
    }

    /// A loop variable with the name of a parameter (`-D NAME=VALUE`).
    public static func shadowedParameter(_ name: String) -> Self {
        Self(
            .shadowedParameter,
            "loop variable '\(name)' has the name of the parameter given with -D \(name)=…, so $\(name) would mean two things; choose another name")
    }

    public static func expectedIn(variable: String) -> Self {
        Self(.expectedIn, "expected 'in' after loop variable '\(variable)'")
    }

    /// `expected an id after 'delete', found the end of the line`
    public static func missingValue(_ expected: ExpectedValue, found: Token) -> Self {
        Self(.missingValue, "expected \(expected.description), found \(found.displayName)")
    }

    /// A query field followed by something other than its value.
    public static func missingValue(field: QueryFieldSpec, found: Token) -> Self {
        Self(.missingValue, "expected a value after '\(field.word)' (\(field.summary)), found \(found.displayName)")
    }

    /// A query field whose value is empty (a server that ignores an empty filter lists everything).
    public static func missingValue(emptyField field: QueryFieldSpec) -> Self {
        Self(.missingValue, "'\(field.word)' needs a value that is not empty (\(field.summary))")
    }

    /// `set KEY` without the value the setting takes.
    public static func missingValue(setting: SettingSpec) -> Self {
        Self(.missingValue, "expected a value after 'set \(setting.key.rawValue)': \(Parser.expectation(setting.values))")
    }

    /// `bound`: the names the enclosing foreach statements bind, outermost first. `parameters`:
    /// the names given with `-D` (in order), or nil where a source cannot take parameters (a
    /// startup file).
    public static func unknownVariable(_ name: String, bound: [String], parameters: [String]? = nil) -> Self {
        var text = "unknown variable \(Quote.single("$" + name))"
        let known = bound.map { "$" + $0 } + (parameters ?? []).map { "$" + $0 }
        if known.isEmpty {
            text += "; no foreach binds a variable here"
        } else {
            text += "; variables here: " + known.joined(separator: ", ")
        }
        if parameters != nil, ScriptParameters.isName(name) {
            text += "; to give it a value, run tnx -D \(name)=VALUE"
        }
        return Self(.unknownVariable, text)
    }

    public static func tooDeep(limit: Int) -> Self {
        Self(.tooDeep, "blocks nested too deeply (more than \(limit))")
    }

    public static var missingShowTopic: Self {
        Self(.missingShowTopic, "expected what to show after 'show': \(Suggest.orList(showTopicNames))")
    }

    public static func unknownShowTopic(_ name: String) -> Self {
        var text = "unknown show topic \(Quote.single(name)); topics are: " + showTopicNames.joined(separator: ", ")
        if let guess = Suggest.closest(to: name, in: showTopicNames) { text += "; did you mean '\(guess)'?" }
        return Self(.unknownShowTopic, text)
    }

    public static func missingSetting(found: Token) -> Self {
        Self(.missingSetting, "expected a setting after 'set', found \(found.displayName); settings are: " + settingNames.joined(separator: ", "))
    }

    /// `unknown setting 'concurency'; did you mean 'concurrency'?`, else the list of settings.
    public static func unknownSetting(_ name: String) -> Self {
        var text = "unknown setting \(Quote.single(name))"
        if let guess = Suggest.closest(to: name, in: settingNames) {
            text += "; did you mean '\(guess)'?"
        } else {
            text += "; settings are: " + settingNames.joined(separator: ", ")
        }
        return Self(.unknownSetting, text)
    }

    /// A value after a setting that takes none (`set api-key`). The value is never quoted: it
    /// may be the secret itself.
    public static func unexpectedValue(setting: SettingSpec) -> Self {
        Self(
            .unexpectedValue,
            "'set \(setting.key.rawValue)' takes no value; the key is asked for without echo, or read from TELNYX_API_KEY")
    }

    /// `found` is the value given: a `$name`, or text the setting does not take.
    public static func invalidSettingValue(_ setting: SettingSpec, found: Token) -> Self {
        let key = setting.key.rawValue
        let expectation = Parser.expectation(setting.values)
        if found.kind == .variable {
            return Self(.invalidSettingValue, "\(key) must be \(expectation); a loop variable cannot be used here (a value given with -D NAME=VALUE can)")
        }
        return Self(.invalidSettingValue, "\(key) must be \(expectation), not \(Quote.single(found.text))")
    }

    public static func expectedHelpTopic(found: Token) -> Self {
        Self(.expectedHelpTopic, "expected a help topic after 'help', found \(found.displayName)")
    }

    public static func invalidExitStatus(_ text: String) -> Self {
        Self(.invalidExitStatus, "an exit status is a whole number from 0 to 255, not \(Quote.single(text))")
    }

    public static func tooManyErrors(limit: Int) -> Self {
        Self(.tooManyErrors, "too many errors (more than \(limit)); stopping")
    }

    /// `after`: the statement before the query (`count`, `list`), nil after `foreach … in`.
    public static func expectedQuery(after keyword: String?, found: Token) -> Self {
        Self(
            .expectedQuery,
            "expected '\(Language.queryWord)' after '\(keyword ?? "in")', found \(found.displayName): \(keyword ?? "count") recordings [where CONDITION {and CONDITION}]")
    }

    /// `word`: the condition written without `where` before it.
    public static func expectedWhere(before word: String) -> Self {
        Self(.expectedWhere, "expected 'where' before the conditions: recordings where \(Quote.sanitize(word)) …")
    }

    public static func expectedCondition(found: Token) -> Self {
        Self(
            .expectedCondition,
            "expected a condition, found \(found.displayName): created before|after TIME, or one of \(Suggest.orList(Language.queryFields.map(\.word))) followed by a value")
    }

    /// `unknown query field 'form'; did you mean 'from'?`, else the list of fields.
    public static func unknownQueryField(_ word: String) -> Self {
        let fields = Language.conditionWords
        var text = "unknown query field \(Quote.single(word))"
        if let guess = Suggest.closest(to: word, in: fields) {
            text += "; did you mean '\(guess)'?"
        } else {
            text += "; fields are: " + fields.joined(separator: ", ")
        }
        return Self(.unknownQueryField, text)
    }

    public static func expectedBeforeOrAfter(found: Token) -> Self {
        Self(.expectedBeforeOrAfter, "expected 'before' or 'after' after 'created', found \(found.displayName)")
    }

    /// `found` is where the TIME should be: text that is not a time, or something else.
    public static func invalidTime(found: Token) -> Self {
        switch found.kind {
        case .word, .string: Self(.invalidTime, "\(Quote.single(found.text)) is not a time: \(Language.timeSyntax)")
        default: Self(.invalidTime, "expected a time, found \(found.displayName): \(Language.timeSyntax)")
        }
    }

    /// `slot`: the condition given twice (`from`, `created before`).
    public static func repeatedCondition(_ slot: String, earlierColumn: Int) -> Self {
        Self(.repeatedCondition, "'\(slot)' is already given at column \(earlierColumn); a query holds each condition once")
    }

    public static func variableInQuery(_ place: QueryPlace) -> Self {
        switch place {
        case .field(let word, let name):
            Self(
                .variableInQuery,
                "a query's values are written out (or given with -D NAME=VALUE); the loop variable '$\(Quote.sanitize(name))' cannot be used after '\(word)'")
        case .time(let name):
            Self(.variableInQuery, "a query's times are written out (or given with -D NAME=VALUE); the loop variable '$\(Quote.sanitize(name))' cannot be used here")
        case .showRecording:
            Self(.variableInQuery, "'show recording' takes an id written out; to see the recordings of a query, use 'list'")
        }
    }

    /// `found` is what follows `limit`: text that is not a whole number in range, or something else.
    public static func invalidLimit(found: Token) -> Self {
        let maximum = Language.maximumListLimit
        switch found.kind {
        case .word, .string: return Self(.invalidLimit, "a limit is a whole number from 1 to \(maximum), not \(Quote.single(found.text))")
        default: return Self(.invalidLimit, "expected how many recordings to list after 'limit': a whole number from 1 to \(maximum)")
        }
    }

    public static let expectedTo = Self(.expectedTo, "expected 'to DIR' after the id: download ID to DIR (the directory the files go to)")

    private static var showTopicNames: [String] { Language.showTopics.map(\.topic.rawValue) }
    private static var settingNames: [String] { Language.settings.map(\.key.rawValue) }
}

// MARK: - The checks of what parsed (the interpreter's planner)

extension DiagnosticMessage {
    /// `reason`: why the text is not a recording id (`InvalidRecordingID`'s description).
    public static func invalidRecordingID(reason: String) -> Self {
        Self(.invalidRecordingID, reason)
    }

    public static func unreadableIDFile(path: String, problem: String) -> Self {
        Self(.unreadableIDFile, "cannot read id file '\(path)': \(problem)")
    }

    public static func unreadableScript(path: String, problem: String) -> Self {
        Self(.unreadableScript, "cannot read script '\(path)': \(problem)")
    }

    /// `delete $v` or `download $v` outside a loop body of steps on `v`.
    public static func deleteOutsideLoopBody(_ name: String, step: Step) -> Self {
        switch step {
        case .delete:
            Self(
                .deleteOutsideLoopBody,
                "'delete $\(name)' must be the whole body of the foreach that reads '\(name)': foreach \(name) in FILE delete $\(name)")
        case .download:
            Self(
                .deleteOutsideLoopBody,
                "'download $\(name)' must be a step of the body of the foreach that reads '\(name)': foreach \(name) in FILE { download $\(name) to DIR; delete $\(name) }")
        }
    }

    /// `delete $f` or `download $f` where `$f` holds the names of id files.
    public static func fileVariableDeleted(_ name: String, step: Step) -> Self {
        let (verb, usage) = switch step {
        case .delete: ("delete", "delete $id")
        case .download: ("download", "download $id to DIR")
        }
        return Self(
            .fileVariableDeleted,
            "'$\(name)' holds the names of id files, not recording ids; \(verb) the ids inside them with 'foreach id in $\(name) \(usage)'")
    }

    public static func loopBodyNotDelete(variable v: String) -> Self {
        Self(
            .loopBodyNotDelete,
            "the body of a foreach over recording ids is steps on $\(v), run for each id concurrently: download $\(v) to DIR, show recording $\(v), delete $\(v); move other statements out of the loop")
    }

    public static func unusedLoopVariable(_ v: String) -> Self {
        Self(.unusedLoopVariable, "loop variable '\(v)' is not used in the body; write 'foreach \(v) in FILE delete $\(v)'")
    }

    public static let stdinIsScript = Self(
        .stdinIsScript, "'-' reads ids from stdin, but the script itself comes from stdin; put the script in a file or use -c")

    public static let stdinInShell = Self(.stdinInShell, "'-' reads ids from stdin, which is the terminal here; put the ids in a file")

    /// `first`: where the foreach that reads stdin is.
    public static func stdinReadTwice(first: SourceLocation) -> Self {
        Self(.stdinReadTwice, "stdin can be read by one foreach only (the first is at \(first))")
    }

    public static let stdinInFileLoop = Self(
        .stdinInFileLoop, "'-' inside a loop over files would read stdin once per file; read it outside the loop")

    public static func apiKeyInScript(_ place: Place) -> Self {
        switch place {
        case .script:
            Self(
                .apiKeyInScript,
                "'set api-key' asks for the key at the terminal, so it only works in the shell; scripts use TELNYX_API_KEY or --api-key")
        case .startupFile:
            Self(
                .apiKeyInScript,
                "'set api-key' asks at the terminal, so it cannot run from a startup file; give the profile an api-key-command \"COMMAND\" instead")
        }
    }

    public static let runOutsideShell = Self(
        .runOutsideShell, "'run' runs a script file from the shell; in a script, give the files on the command line instead: tnx a.tnx b.tnx")

    public static let dryRunLocked = Self(
        .dryRunLocked,
        "tnx was started with --dry-run, which nothing can turn off: 'set dry-run off' is refused; run tnx without --dry-run to delete")

    /// As `help` prints it for an unknown topic (`Help.unknownTopicMessage`).
    public static func unknownHelpTopic(_ topic: String) -> Self {
        Self(.unknownHelpTopic, Help.unknownTopicMessage(topic))
    }

    /// `time` and `now` as printed (`QueryPlan.display`).
    public static func futureTime(_ time: String, now: String) -> Self {
        Self(.futureTime, "\(time) is in the future (it is \(now) now); a query's times are in the past: check the date")
    }

    /// `before` and `after` as printed (`QueryPlan.display`).
    public static func emptyTimeRange(before: String, after: String) -> Self {
        Self(
            .emptyTimeRange,
            "created before \(before) and after \(after): no recording can match; is 'before' meant to be the later time?")
    }

    public static func queryLoopBody(variable v: String) -> Self {
        Self(
            .queryLoopBody,
            "the body of a foreach over a query is steps on $\(v): download $\(v) to DIR, show recording $\(v), delete $\(v); move other statements out of the loop (to look first, use 'list', or set dry-run on)")
    }

    /// `word`: the query field (`sip-call`).
    public static func unverifiableQueryField(_ word: String) -> Self {
        Self(
            .unverifiableQueryField,
            "a purge cannot use '\(word)': a recording does not say its SIP Call-ID, so tnx could not check that each one listed really matches; list them ('list recordings where \(word) …'), then delete them by id")
    }

    /// `directory`: where the file named recordings is.
    public static func ambiguousRecordings(directory: String) -> Self {
        Self(
            .ambiguousRecordings,
            "'recordings' here is a query, every recording of the account, but a file named recordings is in \(directory): write \"recordings\" (quoted) to read the ids in the file, or add 'where …' to the query")
    }

    public static let deleteNotLast = Self(
        .deleteNotLast, "'delete' must be the last step of the loop body: nothing can run on a recording once it is deleted")

    public static func downloadDirectory(_ problem: DirectoryProblem) -> Self {
        switch problem {
        case .variable(let name):
            Self(
                .downloadDirectory,
                "the directory of a download is written out (or given with -D NAME=VALUE), not a loop variable ('$\(name)'): download $id to archive/")
        case .empty:
            Self(.downloadDirectory, "the directory of a download is empty; write a path: download $id to archive/")
        case .notADirectory(let path):
            Self(.downloadDirectory, "'\(path)' exists and is not a directory; download into a directory")
        case .template(let what):
            Self(
                .downloadDirectory,
                "\(what) in the directory of a download: the one placeholder is {created:FORMAT}, FORMAT made of yyyy, MM, dd, HH and / - _ . (download $id to \"archive/{created:yyyy/MM}\")")
        }
    }

    public static let startupNotSet = Self(
        .startupNotSet,
        "a startup file holds only 'set' statements (like 'set output json' or 'set api-key-command \"pass show telnyx/prod\"'); run other statements from a script")

    /// `key`: a setting only a startup file may set (`base-url`, `api-key-command`).
    public static func startupOnlySetting(_ key: SettingKey) -> Self {
        let instead = key == .baseURL ? "--base-url URL or TELNYX_BASE_URL" : "--api-key, TELNYX_API_KEY or a profile: tnx --profile NAME"
        return Self(
            .startupOnlySetting,
            "'set \(key.rawValue)' belongs in a startup file (init.tnx or a profile), read before anything connects; for one run use \(instead)")
    }

    public static let startupConfirmOff = Self(
        .startupConfirmOff,
        "'set confirm off' in a startup file would let every script delete in bulk without asking; pass --yes to the run that should")
}
