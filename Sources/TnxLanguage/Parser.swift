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
// Checks made here as well: every `$name` is bound by an enclosing foreach or is a parameter
// (`tnx -D NAME=VALUE`, put in as its value: `parameterToken`); a loop variable does not shadow
// an outer one or a parameter; a block is not empty; foreach nests at most 64 deep.
// After an error the parser skips to the end of the statement (a newline or ';' outside any
// braces, or the '}' closing the enclosing block) and goes on, up to 50 errors.

// One file over 400 lines on purpose: the parser is one type whose methods follow the grammar
// above rule by rule (as jlox's does); split, the grammar would be read across files.

/// Recursive-descent parser with error recovery. Use `Frontend.parse`.
final class Parser {
    static let maxErrors = 50
    static let maxDepth = 64

    var lexer: Lexer
    let source: SourceFile
    var token: Token
    var diagnostics: [Diagnostic] = []
    var errorCount = 0
    var tooManyErrors: Diagnostic?
    var stopped = false
    /// Loop variables bound by the enclosing foreach statements, innermost last.
    var scopes: [(name: String, location: SourceLocation)] = []
    var unclosedBlock = false
    /// The command line's `-D NAME=VALUE`: `$NAME` outside a loop that binds it is VALUE.
    let parameters: ScriptParameters
    /// The parameters the source used.
    var usedParameters: Set<String> = []

    init(source: SourceFile, parameters: ScriptParameters = ScriptParameters()) {
        self.source = source
        self.parameters = parameters
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
        var result = ParseResult(script: Script(statements: statements, source: source), diagnostics: all,
                                 isIncomplete: unclosedBlock && onlyUnclosed, hasOpenBlock: unclosedBlock)
        result.usedParameters = usedParameters
        return result
    }

    // MARK: - Tokens and diagnostics

    func advance() {
        token = lexer.next()
        if !lexer.pending.isEmpty {
            for d in lexer.takeDiagnostics() { report(d) }
        }
    }

    func report(_ d: Diagnostic) {
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
    func error(_ message: DiagnosticMessage, at t: Token) {
        if t.isMalformed { return }
        report(Diagnostic(message, location: t.location, length: t.length))
    }

    func isEnd(_ t: Token) -> Bool { t.isStatementEnd || t.kind == .rightBrace }

    /// Skips the rest of a statement: up to a newline or ';' outside braces, the end of the
    /// input, or a '}' that closes an enclosing block (not consumed). Iterative, so any depth
    /// of braces is fine.
    func skipStatement() {
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
    func parseStatements(inBlock: Bool) -> [Statement] {
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
    func finishStatement(inBlock: Bool) {
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
    func parseBlock() -> [Statement] {
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

    func parseStatement() -> Statement? {
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

    // MARK: - value

    /// `WORD | STRING | VARIABLE`; a variable must be bound by an enclosing foreach, or be a
    /// parameter (`-D NAME=VALUE`), which stands for its value written there.
    func parseValue(expected: DiagnosticMessage.ExpectedValue) -> Expr? {
        var t = token
        if let given = parameterToken(t, path: expected.isPath) { t = given }
        switch t.kind {
        case .word, .string:
            advance()
            return Expr(kind: .literal(t.text), location: t.location, length: t.length)
        case .variable:
            if !t.isMalformed, !isBound(t.text) {
                error(unknownVariable(t.text), at: t)
            }
            advance()
            return Expr(kind: .variable(t.text), location: t.location, length: t.length)
        default:
            error(.missingValue(expected, found: t), at: t)
            return nil
        }
    }
}

// MARK: - Parameters

extension Parser {
    /// `$name` is a loop variable of an enclosing foreach.
    func isBound(_ name: String) -> Bool { scopes.contains { $0.name == name } }

    /// A `$name` that is a parameter here (no enclosing foreach binds the name) as the STRING
    /// token its value would be, at the place of `$name`: every rule and check after this one
    /// treats it as that text written there, and a diagnostic about it points at `$name`. A path
    /// (`path`) that is relative starts from the directory tnx was started in. nil for any other
    /// token.
    func parameterToken(_ t: Token, path: Bool = false) -> Token? {
        guard t.kind == .variable, !t.isMalformed, !isBound(t.text), let value = parameters[t.text] else { return nil }
        usedParameters.insert(t.text)
        return Token(
            kind: .string, text: path ? parameters.path(value) : value, location: t.location, length: t.length, byteLength: t.byteLength,
            isAfterSpace: t.isAfterSpace)
    }

    /// `unknown-variable` for `$name`, naming the loop variables bound here and, where the source
    /// may use them, the parameters given.
    func unknownVariable(_ name: String) -> DiagnosticMessage {
        .unknownVariable(name, bound: scopes.map(\.name), parameters: parameters.accepted ? parameters.names : nil)
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
