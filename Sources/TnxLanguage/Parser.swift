import CivilTime

// The grammar this parser implements (tokens: see Lexer.swift):
//
//   script    := { [statement] (NEWLINE | ';') } [statement] EOF
//                                    -- blank lines and empty statements are allowed
//   statement := 'delete' value
//              | 'download' value 'to' value       -- the directory
//              | 'foreach' NAME 'in' (query | value) body
//              | 'count' query
//              | 'list' query ['limit' (WORD | STRING)] -- a whole number 1…1,000,000
//              | 'show' SHOW-TOPIC                 -- WORD | STRING: last | settings
//                                                    (Language.showTopics)
//              | 'show' 'recording' value
//              | 'set' [KEY [setting-value]]      -- alone: show settings; api-key takes no
//                                                    value, every other key one
//              | 'help' [WORD | STRING]
//              | 'run' value                      -- the shell only (checked by the planner)
//              | 'exit' [WORD]                    -- an exit status 0…255
//   body      := statement | block                -- must start on the line of the source
//   block     := '{' { [statement] (NEWLINE | ';') } [statement] '}'
//                                    -- at least one statement; '}' may follow a statement
//                                       on the same line: `{ delete $id }`
//   value     := WORD | STRING | VARIABLE
//   query     := 'recordings' ['where' condition {'and' condition}]
//                                    -- an unquoted `recordings` after `in` is a query; a
//                                       file of that name is written "recordings"
//   condition := 'created' ('before' | 'after') TIME
//              | FIELD (WORD | STRING)           -- FIELD: Language.queryFields; each
//                                                   condition at most once per query
//   TIME      := WORD | STRING                   -- 2025-01-31, 2025-01-31T12:00:00Z,
//                                                   …+02:00, or an age: 90d, 12h, 2w,
//                                                   6mo (30 days each), 1y (365 days)
//   setting-value := WORD | STRING                 -- checked against Language.settings
//
// Every statement keyword (`StatementKeyword`) starts one alternative of `statement` above (a
// test reads this comment and holds it to the enum). Keywords, setting names/values and show
// topics come from the `Language` table.
// Checks made here as well: every `$name` is bound by an enclosing foreach; a loop variable
// does not shadow an outer one; a block is not empty; foreach nests at most 64 deep.
// After an error the parser skips to the end of the statement (a newline or ';' outside any
// braces, or the '}' closing the enclosing block) and goes on, up to 50 errors.

// One file over 400 lines on purpose: the parser is one type whose methods follow the grammar
// above rule by rule (as jlox's does); split, the grammar would be read across files.

/// Recursive-descent parser with error recovery. Use `Frontend.parse`.
final class Parser {
    static let maxErrors = 50
    static let maxDepth = 64

    private var lexer: Lexer
    private let source: SourceFile
    private var token: Token
    private var diagnostics: [Diagnostic] = []
    private var errorCount = 0
    private var tooManyErrors: Diagnostic?
    private var stopped = false
    /// Loop variables bound by the enclosing foreach statements, innermost last.
    private var scopes: [(name: String, location: SourceLocation)] = []
    private var unclosedBlock = false

    init(source: SourceFile) {
        self.source = source
        self.lexer = Lexer(source: source)
        self.token = Token(kind: .endOfFile, text: "", location: SourceLocation(file: source.name, line: 1, column: 1, offset: 0),
                           length: 1, byteLength: 0)
        advance()
    }

    func parse() -> ParseResult {
        let statements = parseStatements(inBlock: false)
        var all = diagnostics
        // Stable sort by place: lexer and parser diagnostics interleave in source order.
        all = all.enumerated().sorted {
            ($0.element.location.offset, $0.offset) < ($1.element.location.offset, $1.offset)
        }.map(\.element)
        if let tooManyErrors { all.append(tooManyErrors) }
        let onlyUnclosed = all.allSatisfy { $0.severity != .error || $0.id == .unterminatedBlock }
        return ParseResult(script: Script(statements: statements, source: source), diagnostics: all,
                           isIncomplete: unclosedBlock && onlyUnclosed, hasOpenBlock: unclosedBlock)
    }

    // MARK: - Tokens and diagnostics

    private func advance() {
        token = lexer.next()
        if !lexer.pending.isEmpty {
            for d in lexer.takeDiagnostics() { report(d) }
        }
    }

    private func report(_ d: Diagnostic) {
        guard !stopped else { return }
        if d.severity == .error {
            if errorCount == Parser.maxErrors {
                tooManyErrors = Diagnostic(.tooManyErrors(limit: Parser.maxErrors), location: d.location, length: d.length)
                stopped = true
                return
            }
            errorCount += 1
        }
        diagnostics.append(d)
    }

    /// Reports an error about `token`, unless the lexer already reported that token.
    private func error(_ message: DiagnosticMessage, at t: Token) {
        if t.isMalformed { return }
        report(Diagnostic(message, location: t.location, length: t.length))
    }

    private func isEnd(_ t: Token) -> Bool { t.isStatementEnd || t.kind == .rightBrace }

    /// Skips the rest of a statement: up to a newline or ';' outside braces, the end of the
    /// input, or a '}' that closes an enclosing block (not consumed). Iterative, so any depth
    /// of braces is fine.
    private func skipStatement() {
        var balance = 0
        while !stopped {
            switch token.kind {
            case .endOfFile:
                return
            case .newline, .semicolon:
                if balance == 0 { return }
            case .leftBrace:
                balance += 1
            case .rightBrace:
                if balance == 0 { return }
                balance -= 1
            default:
                break
            }
            advance()
        }
    }

    // MARK: - script, block

    /// `{ [statement] (NEWLINE | ';') }` up to the end of the input, or (in a block) up to a
    /// '}', which is left for the caller.
    private func parseStatements(inBlock: Bool) -> [Statement] {
        var statements: [Statement] = []
        while !stopped {
            switch token.kind {
            case .endOfFile:
                return statements
            case .newline, .semicolon:
                advance()
            case .rightBrace:
                if inBlock { return statements }
                error(.unexpectedBrace(.closing), at: token)
                advance()
            default:
                if let statement = parseStatement() {
                    statements.append(statement)
                    finishStatement(inBlock: inBlock)
                } else {
                    skipStatement()
                }
            }
        }
        return statements
    }

    /// After a complete statement: the next token must end it.
    private func finishStatement(inBlock: Bool) {
        switch token.kind {
        case .newline, .semicolon, .endOfFile:
            return
        case .rightBrace where inBlock:
            return
        default:
            error(.extraTokens(found: token), at: token)
            skipStatement()
        }
    }

    /// `'{' statements '}'`, with `token` at the '{'.
    private func parseBlock() -> [Statement] {
        let open = token
        let errorsBefore = errorCount
        advance()
        let statements = parseStatements(inBlock: true)
        if stopped { return statements }
        if token.kind == .rightBrace {
            advance()
        } else {
            unclosedBlock = true
            report(Diagnostic(.unterminatedBlock, location: open.location))
            return statements
        }
        if statements.isEmpty && errorCount == errorsBefore {
            report(Diagnostic(.emptyBody, location: open.location))
        }
        return statements
    }

    // MARK: - statement

    private func parseStatement() -> Statement? {
        let t = token
        switch t.kind {
        case .word:
            guard let spec = Parser.statement(t.text) else {
                error(.unknownStatement(t.text), at: t)
                return nil
            }
            switch spec.keyword {
            case .delete: return parseDelete()
            case .download: return parseDownload()
            case .foreach: return parseForeach()
            case .count: return parseCount()
            case .list: return parseList()
            case .show: return parseShow()
            case .set: return parseSet()
            case .help: return parseHelp()
            case .run: return parseRun()
            case .exit: return parseExit()
            }
        case .leftBrace:
            error(.unexpectedBrace(.opening), at: t)
            return nil
        default:
            error(.expectedStatement(found: t), at: t)
            return nil
        }
    }

    /// `'delete' value`
    private func parseDelete() -> Statement? {
        let keyword = token
        advance()
        guard let id = parseValue(expected: .deleteID) else { return nil }
        return Statement(kind: .delete(id), location: keyword.location)
    }

    /// `'download' value 'to' value`
    private func parseDownload() -> Statement? {
        let keyword = token
        advance()
        guard let id = parseValue(expected: .downloadID) else { return nil }
        guard token.kind == .word, token.text == Language.downloadTo else {
            error(.expectedTo, at: token)
            return nil
        }
        advance()
        guard let directory = parseValue(expected: .downloadDirectory) else { return nil }
        return Statement(kind: .download(id, directory: directory), location: keyword.location)
    }

    /// `'foreach' NAME 'in' value body`
    private func parseForeach() -> Statement? {
        let keyword = token
        advance()
        let nameToken = token
        guard nameToken.kind == .word, Lexer.isName(nameToken.text) else {
            error(.expectedVariableName(found: nameToken), at: nameToken)
            return nil
        }
        let name = nameToken.text
        if let outer = scopes.last(where: { $0.name == name }) {
            error(.shadowedVariable(name, outerLine: outer.location.line), at: nameToken)
        }
        advance()
        guard token.kind == .word, token.text == "in" else {
            error(.expectedIn(variable: name), at: token)
            return nil
        }
        advance()
        let loopSource: LoopSource
        if token.kind == .word, token.text == Language.queryWord {
            guard let query = parseQuery() else { return nil }
            loopSource = .query(query)
        } else {
            guard let sourceExpr = parseValue(expected: .loopSource) else { return nil }
            loopSource = .file(sourceExpr)
        }
        if scopes.count >= Parser.maxDepth {
            report(Diagnostic(.tooDeep(limit: Parser.maxDepth), location: keyword.location, length: keyword.length))
            return nil
        }
        scopes.append((name, nameToken.location))
        defer { scopes.removeLast() }
        guard let body = parseBody() else { return nil }
        return Statement(kind: .foreach(variable: name, variableLocation: nameToken.location, source: loopSource, body: body),
                         location: keyword.location)
    }

    /// `statement | block`, starting on the line of the foreach source.
    private func parseBody() -> [Statement]? {
        switch token.kind {
        case .leftBrace:
            return parseBlock()
        case .word:
            guard let statement = parseStatement() else { return nil }
            return [statement]
        default:
            error(.expectedBody(found: token), at: token)
            return nil
        }
    }

    /// `'show' SHOW-TOPIC`
    private func parseShow() -> Statement? {
        let keyword = token
        advance()
        let t = token
        guard t.kind == .word || t.kind == .string else {
            error(.missingShowTopic, at: t)
            return nil
        }
        guard let topic = Parser.showTopic(t.text) else {
            error(.unknownShowTopic(t.text), at: t)
            return nil
        }
        advance()
        if topic == .recording {
            guard let id = parseValue(expected: .showRecordingID) else { return nil }
            return Statement(kind: .showRecording(id), location: keyword.location)
        }
        return Statement(kind: .show(topic), location: keyword.location)
    }

    // MARK: - queries

    /// `'count' query`
    private func parseCount() -> Statement? {
        let keyword = token
        advance()
        guard let query = parseQuery(after: "count") else { return nil }
        return Statement(kind: .count(query), location: keyword.location)
    }

    /// `'list' query ['limit' WORD]`
    private func parseList() -> Statement? {
        let keyword = token
        advance()
        guard let query = parseQuery(after: "list") else { return nil }
        guard token.kind == .word, token.text == "limit" else { return Statement(kind: .list(query, limit: nil), location: keyword.location) }
        advance()
        let t = token
        let maximum = Language.maximumListLimit
        guard t.kind == .word || t.kind == .string else {
            error(.invalidLimit(found: t), at: t)
            return nil
        }
        guard t.text.utf8.count <= 7, !t.text.isEmpty, t.text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(t.text),
            (1...maximum).contains(n)
        else {
            error(.invalidLimit(found: t), at: t)
            return nil
        }
        advance()
        return Statement(kind: .list(query, limit: n), location: keyword.location)
    }

    /// `'recordings' ['where' condition {'and' condition}]`, with `token` at `recordings` (or,
    /// after `count` / `list`, where it should be).
    private func parseQuery(after keyword: String? = nil) -> Query? {
        let start = token
        guard start.kind == .word, start.text == Language.queryWord else {
            error(.expectedQuery(after: keyword, found: start), at: start)
            return nil
        }
        advance()
        var conditions: [Condition] = []
        if token.kind == .word, token.text == "where" {
            advance()
            while true {
                guard let condition = parseCondition() else { return nil }
                if let earlier = conditions.first(where: { $0.slot == condition.slot }) {
                    error(.repeatedCondition(condition.slot, earlierColumn: earlier.location.column),
                          at: Token(kind: .word, text: condition.slot, location: condition.location, length: condition.slot.count, byteLength: 0))
                    return nil
                }
                conditions.append(condition)
                guard token.kind == .word, token.text == "and" else { break }
                advance()
            }
        } else if token.kind == .word, Language.conditionWords.contains(token.text) {
            error(.expectedWhere(before: token.text), at: token)
            return nil
        }
        // The caret spans the whole query when it is on one line.
        var length = start.length
        if let last = conditions.last, last.valueLocation.line == start.location.line {
            length = last.valueLocation.column + last.valueLength - start.location.column
        }
        return Query(conditions: conditions, location: start.location, length: length)
    }

    /// `'created' ('before' | 'after') TIME | FIELD (WORD | STRING)`
    private func parseCondition() -> Condition? {
        let first = token
        guard first.kind == .word else {
            error(.expectedCondition(found: first), at: first)
            return nil
        }
        if first.text == Language.timeField {
            advance()
            let comparison = token
            guard comparison.kind == .word, Language.timeComparisons.contains(comparison.text) else {
                error(.expectedBeforeOrAfter(found: comparison), at: comparison)
                return nil
            }
            advance()
            let t = token
            guard let time = parseTime() else { return nil }
            let kind: Condition.Kind = comparison.text == "before" ? .createdBefore(time) : .createdAfter(time)
            return Condition(kind: kind, location: first.location, valueLocation: t.location, valueLength: t.length)
        }
        guard let spec = Language.queryField(first.text) else {
            error(.unknownQueryField(first.text), at: first)
            return nil
        }
        advance()
        let v = token
        switch v.kind {
        case .word, .string:
            if v.text.isEmpty {
                // A server that ignores an empty filter would list every recording.
                error(.missingValue(emptyField: spec), at: v)
                return nil
            }
            advance()
            return Condition(
                kind: .field(word: spec.word, apiName: spec.apiName, value: v.text), location: first.location, valueLocation: v.location,
                valueLength: v.length)
        case .variable:
            error(.variableInQuery(.field(spec.word, variable: v.text)), at: v)
            return nil
        default:
            error(.missingValue(field: spec, found: v), at: v)
            return nil
        }
    }

    /// TIME: a date, a date-time with Z or an offset, or an age (`90d`, `12h`, `2w`).
    private func parseTime() -> TimeValue? {
        let t = token
        guard t.kind == .word || t.kind == .string else {
            if t.kind == .variable {
                error(.variableInQuery(.time(variable: t.text)), at: t)
            } else {
                error(.invalidTime(found: t), at: t)
            }
            return nil
        }
        guard let time = Parser.time(t.text) else {
            error(.invalidTime(found: t), at: t)
            return nil
        }
        advance()
        return time
    }

    /// The TIME `text` means, or nil. Ages go up to 100 years.
    static func time(_ text: String) -> TimeValue? {
        if let unit = Language.ageUnits.first(where: { text.hasSuffix($0.unit) }) {
            let digits = text.dropLast(unit.unit.count)
            guard !digits.isEmpty, digits.utf8.count <= 6, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int64(digits),
                n * unit.seconds <= 100 * 366 * 86_400
            else { return nil }
            return .age(seconds: n * unit.seconds, text: text)
        }
        return CivilTime.parse(text).map { .instant(millis: $0) }
    }

    /// `'set' KEY [setting-value]`
    private func parseSet() -> Statement? {
        let keyword = token
        advance()
        let keyToken = token
        // `set` alone lists the settings, as `show settings` does.
        if isEnd(keyToken) { return Statement(kind: .show(.settings), location: keyword.location) }
        guard keyToken.kind == .word else {
            error(.missingSetting(found: keyToken), at: keyToken)
            return nil
        }
        guard let spec = Language.setting(keyToken.text) else {
            error(.unknownSetting(keyToken.text), at: keyToken)
            return nil
        }
        advance()
        let v = token
        if case .none = spec.values {
            if isEnd(v) { return Statement(kind: .set(.apiKey), location: keyword.location) }
            // The message never quotes the value: it may be the secret itself.
            error(.unexpectedValue(setting: spec), at: v)
            return nil
        }
        switch v.kind {
        case .word, .string:
            break
        case .variable:
            error(.invalidSettingValue(spec, found: v), at: v)
            return nil
        default:
            error(.missingValue(setting: spec), at: v)
            return nil
        }
        guard let assignment = Parser.assignment(spec, v.text) else {
            error(.invalidSettingValue(spec, found: v), at: v)
            return nil
        }
        advance()
        return Statement(kind: .set(assignment), location: keyword.location)
    }

    /// The table's statement with this keyword (an index loop: fast in debug builds).
    static func statement(_ keyword: String) -> StatementSpec? {
        let all = Language.statements
        var i = 0
        while i < all.count {
            if all[i].keyword.rawValue == keyword { return all[i] }
            i += 1
        }
        return nil
    }

    /// The table's show topic with this name.
    static func showTopic(_ name: String) -> ShowTopic? {
        let all = Language.showTopics
        var i = 0
        while i < all.count {
            if all[i].topic.rawValue == name { return all[i].topic }
            i += 1
        }
        return nil
    }

    /// `on or off`, `text or json`, `a whole number from 1 to 256`.
    static func expectation(_ values: SettingSpec.Values) -> String {
        switch values {
        case .choice(let words): Suggest.orList(words)
        case .integer(let range): "a whole number from \(range.lowerBound) to \(range.upperBound)"
        case .none: "nothing"
        case .text(let name): "a \(name) in double quotes"
        }
    }

    /// The typed assignment of `text` to the setting, or nil when the table does not allow it.
    static func assignment(_ spec: SettingSpec, _ text: String) -> SettingAssignment? {
        switch spec.values {
        case .none:
            return nil
        case .text:
            guard !text.isEmpty else { return nil }
            switch spec.key {
            case .baseURL: return .baseURL(text)
            case .apiKeyCommand: return .apiKeyCommand(text)
            default: return nil
            }
        case .choice(let words):
            guard words.contains(text) else { return nil }
        case .integer(let range):
            guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let n = Int(text), range.contains(n) else { return nil }
            switch spec.key {
            case .concurrency: return .concurrency(n)
            case .batchSize: return .batchSize(n)
            case .verifySample: return .verifySample(n)
            default: return nil
            }
        }
        func flag(_ s: String) -> Bool? { s == "on" ? true : s == "off" ? false : nil }
        switch spec.key {
        case .dryRun: return flag(text).map { .dryRun($0) }
        case .confirm: return flag(text).map { .confirm($0) }
        case .resume: return flag(text).map { .resume($0) }
        case .format: return MediaFormat(rawValue: text).map { .format($0) }
        case .verifyDuration: return flag(text).map { .verifyDuration($0) }
        case .method: return DeleteMethod(rawValue: text).map { .method($0) }
        case .batchSize: return Int(text).map { .batchSize($0) }
        case .verify: return VerifyLevel(rawValue: text).map { .verify($0) }
        case .verifySample: return Int(text).map { .verifySample($0) }
        case .output: return OutputFormat(rawValue: text).map { .output($0) }
        case .onError: return ErrorPolicy(rawValue: text).map { .onError($0) }
        case .concurrency: return Int(text).map { .concurrency($0) }
        case .apiKey, .baseURL, .apiKeyCommand: return nil
        }
    }

    /// `'help' [WORD | STRING]`
    private func parseHelp() -> Statement? {
        let keyword = token
        advance()
        switch token.kind {
        case .word, .string:
            let topic = Expr(kind: .literal(token.text), location: token.location, length: token.length)
            advance()
            return Statement(kind: .help(topic: topic), location: keyword.location)
        case .variable, .leftBrace:
            error(.expectedHelpTopic(found: token), at: token)
            return nil
        default:
            return Statement(kind: .help(topic: nil), location: keyword.location)
        }
    }

    /// `'run' value`
    private func parseRun() -> Statement? {
        let keyword = token
        advance()
        guard let file = parseValue(expected: .runScript) else { return nil }
        return Statement(kind: .run(file), location: keyword.location)
    }

    /// `'exit' [WORD]`: the word is an exit status from 0 to 255.
    private func parseExit() -> Statement? {
        let keyword = token
        advance()
        guard token.kind == .word else { return Statement(kind: .exit(code: nil), location: keyword.location) }
        let t = token
        guard t.text.utf8.count <= 3, t.text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let code = Int(t.text), code <= 255 else {
            error(.invalidExitStatus(t.text), at: t)
            return nil
        }
        advance()
        return Statement(kind: .exit(code: code), location: keyword.location)
    }

    // MARK: - value

    /// `WORD | STRING | VARIABLE`; a variable must be bound by an enclosing foreach.
    private func parseValue(expected: DiagnosticMessage.ExpectedValue) -> Expr? {
        let t = token
        switch t.kind {
        case .word, .string:
            advance()
            return Expr(kind: .literal(t.text), location: t.location, length: t.length)
        case .variable:
            if !t.isMalformed, !scopes.contains(where: { $0.name == t.text }) {
                error(.unknownVariable(t.text, bound: scopes.map(\.name)), at: t)
            }
            advance()
            return Expr(kind: .variable(t.text), location: t.location, length: t.length)
        default:
            error(.missingValue(expected, found: t), at: t)
            return nil
        }
    }
}

/// "Did you mean" suggestions and word lists for messages.
enum Suggest {
    /// The candidate closest to `word` (case-insensitive edit distance at most 2, and less
    /// than half the candidate's length), if any.
    static func closest(to word: String, in candidates: [String]) -> String? {
        guard !word.isEmpty, word.utf8.count <= 40 else { return nil }
        let w = Array(word.lowercased().utf8)
        var best: (String, Int)?
        for c in candidates {
            let b = Array(c.utf8)
            if abs(b.count - w.count) > 2 { continue }
            let d = distance(w, b)
            if d <= 2, d * 2 < b.count, best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }

    /// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), on bytes.
    static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        let n = b.count
        var prev2 = [Int](repeating: 0, count: n + 1)
        var prev = [Int](repeating: 0, count: n + 1)
        var cur = [Int](repeating: 0, count: n + 1)
        var j = 0
        while j <= n { prev[j] = j; j += 1 }
        var i = 1
        while i <= a.count {
            cur[0] = i
            j = 1
            while j <= n {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    cur[j] = min(cur[j], prev2[j - 2] + 1)
                }
                j += 1
            }
            (prev2, prev, cur) = (prev, cur, prev2)
            i += 1
        }
        return prev[n]
    }

    /// `on or off`, `a, b or c`.
    static func orList(_ words: [String]) -> String {
        guard words.count > 1 else { return words.first ?? "" }
        return words.dropLast().joined(separator: ", ") + " or " + words.last!
    }
}
