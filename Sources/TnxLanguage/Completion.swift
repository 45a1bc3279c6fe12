/// What TAB completion should offer at a cursor, worked out from the `Language` table.
public struct CompletionResult: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// Complete with one of these words (already filtered by what is typed).
        case words([String])
        /// A file path is expected here (after `foreach NAME in`): the caller completes
        /// `prefix` against the file system. `prefix` is the path typed so far (for a quoted
        /// path: its text after the opening quote, escapes resolved).
        case filePath(prefix: String)
        /// Nothing sensible to offer (inside a comment, an id, a new loop variable name, …).
        case none
    }

    /// UTF-8 offset in the line where the text to replace starts (the cursor when nothing is
    /// typed yet). The candidate replaces the line's bytes from here to the cursor.
    public var replaceFrom: Int
    public var kind: Kind
    /// Words offered before the file names of a `.filePath` (`recordings`, after
    /// `foreach id in`).
    public var alsoWords: [String]

    public init(replaceFrom: Int, kind: Kind, alsoWords: [String] = []) {
        self.replaceFrom = replaceFrom
        self.kind = kind
        self.alsoWords = alsoWords
    }

    /// The words of `.words`, else empty.
    public var candidates: [String] {
        if case .words(let words) = kind { return words }
        return []
    }
}

public enum Completion {
    /// Completion at `cursor` (a UTF-8 offset into `line`, clamped to it).
    ///
    /// `previousLines` are the lines already entered for the same REPL entry (an open `{`
    /// block), so that loop variables bound there are offered after `$`.
    ///
    /// Offers statement keywords at the start of a statement (also as a foreach body),
    /// setting names after `set`, values after `set KEY`, topics after `show` and `help`,
    /// `in` after `foreach NAME`, `$name` of the loop variables in scope and of the
    /// `parameters` (`-D NAME=VALUE`) after `$` (or at an empty `delete` argument), and
    /// `.filePath` after `foreach NAME in`.
    public static func candidates(line: String, cursor: Int, previousLines: [String] = [], parameters: [String] = []) -> CompletionResult {
        let lineBytes = Array(line.utf8)
        let cut = max(0, min(cursor, lineBytes.count))
        var bytes: [UInt8] = []
        for previous in previousLines {
            bytes.append(contentsOf: previous.utf8)
            bytes.append(0x0A)
        }
        let base = bytes.count
        bytes.append(contentsOf: lineBytes[0..<cut])

        var lexer = Lexer(source: SourceFile(name: "<completion>", bytes: bytes))
        var tokens: [Token] = []
        while true {
            let t = lexer.next()
            if t.kind == .endOfFile { break }
            tokens.append(t)
        }
        if lexer.endedInComment { return CompletionResult(replaceFrom: cut, kind: .none) }

        var partial: Token?
        if let last = tokens.last, last.location.offset + last.byteLength == bytes.count,
           last.kind == .word || last.kind == .variable || (last.kind == .string && lexer.endedInsideString) {
            partial = last
            tokens.removeLast()
        }
        var state = State.start
        var scopes: [(name: String, braced: Bool)] = []
        for t in tokens { step(&state, &scopes, t) }

        let typed: String
        var replaceFrom = cut
        if let partial {
            replaceFrom = max(0, partial.location.offset - base)
            switch partial.kind {
            case .variable: typed = "$" + partial.text
            case .string:
                typed = partial.text
                replaceFrom += 1
            default: typed = partial.text
            }
        } else {
            typed = ""
        }
        let isString = partial?.kind == .string
        func words(_ list: [String]) -> CompletionResult {
            if isString { return CompletionResult(replaceFrom: replaceFrom, kind: .none) }
            return CompletionResult(replaceFrom: replaceFrom, kind: .words(list.filter { $0.hasPrefix(typed) }))
        }
        func variables() -> CompletionResult {
            var seen: [String] = []
            for s in scopes.reversed() where !seen.contains("$" + s.name) { seen.append("$" + s.name) }
            // A loop variable hides a parameter of its name (and is an error): offered once.
            for name in parameters where !seen.contains("$" + name) { seen.append("$" + name) }
            return words(seen)
        }
        /// Where a loop variable cannot go but a parameter can: a directory, a query's value.
        func parameterWords() -> CompletionResult {
            typed.hasPrefix("$") ? words(parameters.map { "$" + $0 }) : CompletionResult(replaceFrom: replaceFrom, kind: .none)
        }
        switch state {
        case .start:
            return typed.hasPrefix("$") ? CompletionResult(replaceFrom: replaceFrom, kind: .none) : words(Language.keywords)
        case .body:
            // A loop body holds steps on the loop variable or a nested loop, nothing else.
            return typed.hasPrefix("$") ? CompletionResult(replaceFrom: replaceFrom, kind: .none) : words(Language.bodyKeywords)
        case .runFile:
            return CompletionResult(replaceFrom: replaceFrom, kind: .filePath(prefix: typed))
        case .delete, .download:
            return typed.isEmpty || typed.hasPrefix("$") ? variables() : CompletionResult(replaceFrom: replaceFrom, kind: .none)
        case .downloadTo:
            return words([Language.downloadTo])
        case .downloadDirectory:
            return typed.hasPrefix("$") ? parameterWords() : CompletionResult(replaceFrom: replaceFrom, kind: .filePath(prefix: typed))
        case .foreachIn:
            return words(["in"])
        case .foreachSource:
            if typed.hasPrefix("$") && !isString { return variables() }
            let query = !isString && Language.queryWord.hasPrefix(typed) ? [Language.queryWord] : []
            return CompletionResult(replaceFrom: replaceFrom, kind: .filePath(prefix: typed), alsoWords: query)
        case .query(let owner, let phase):
            // What may follow a query: more of it, `limit` for list, the body for foreach.
            var after: [String] {
                switch owner {
                case .count: []
                case .list: ["limit"]
                case .foreach: Language.bodyKeywords
                }
            }
            switch phase {
            case .recordings: return words([Language.queryWord])
            case .afterRecordings: return words(["where"] + after)
            case .afterCondition: return words(["and"] + after)
            case .condition: return words(Language.conditionWords)
            case .createdComparison: return words(Language.timeComparisons)
            case .time, .fieldValue, .limit: return parameterWords()
            }
        case .setKey:
            return words(Language.settings.map(\.key.rawValue))
        case .setValue(let key):
            return words(Language.setting(key.rawValue)?.values.completions ?? [])
        case .showTopic:
            return words(Language.showTopics.map(\.topic.rawValue))
        case .helpTopic:
            return words(Help.topics)
        case .foreachName, .rest:
            return CompletionResult(replaceFrom: replaceFrom, kind: .none)
        }
    }

    private enum State {
        case start, body, delete, foreachName, foreachIn(String), foreachSource(String)
        case download, downloadTo, downloadDirectory
        case setKey, setValue(SettingKey), showTopic, helpTopic, runFile, rest
        case query(QueryOwner, QueryPhase)
    }

    /// The statement a query belongs to (a foreach's carries its loop variable).
    private enum QueryOwner {
        case count, list, foreach(String)
    }

    /// Where in `recordings [where COND {and COND}]` the cursor is.
    private enum QueryPhase {
        case recordings, afterRecordings, condition, createdComparison, time, fieldValue, afterCondition, limit
    }

    private static func step(_ state: inout State, _ scopes: inout [(name: String, braced: Bool)], _ t: Token) {
        switch t.kind {
        case .newline, .semicolon:
            while let last = scopes.last, !last.braced { scopes.removeLast() }
            // Inside a loop's block, a new statement is a body statement.
            state = scopes.isEmpty ? .start : .body
        case .leftBrace:
            if case .query(.foreach(let name), let phase) = state, phase == .afterRecordings || phase == .afterCondition {
                scopes.append((name, true))
                state = .body
            } else if case .body = state, !scopes.isEmpty {
                scopes[scopes.count - 1].braced = true
                state = .body
            } else {
                state = .rest
            }
        case .rightBrace:
            while let last = scopes.last, !last.braced { scopes.removeLast() }
            if !scopes.isEmpty { scopes.removeLast() }
            state = .rest
        case .word, .string, .variable:
            switch state {
            case .start, .body:
                guard t.kind == .word else { state = .rest; return }
                var atStart: Bool { if case .start = state { true } else { false } }
                switch StatementKeyword(rawValue: t.text) {
                case .delete: state = .delete
                case .download: state = .download
                case .foreach: state = .foreachName
                case .count: state = atStart ? .query(.count, .recordings) : .rest
                case .list: state = atStart ? .query(.list, .recordings) : .rest
                case .show: state = .showTopic
                case .set: state = .setKey
                case .help: state = .helpTopic
                case .run: state = atStart ? .runFile : .rest
                case .exit, nil: state = .rest
                }
            case .foreachName:
                state = t.kind == .word ? .foreachIn(t.text) : .rest
            case .foreachIn(let name):
                state = t.kind == .word && t.text == "in" ? .foreachSource(name) : .rest
            case .foreachSource(let name):
                if t.kind == .word, t.text == Language.queryWord {
                    state = .query(.foreach(name), .afterRecordings)
                } else {
                    scopes.append((name, false))
                    state = .body
                }
            case .query(let owner, let phase):
                stepQuery(&state, &scopes, t, owner: owner, phase: phase)
            case .setKey:
                if t.kind == .word, let spec = Language.setting(t.text) { state = .setValue(spec.key) } else { state = .rest }
            case .download:
                state = .downloadTo
            case .downloadTo:
                state = t.kind == .word && t.text == Language.downloadTo ? .downloadDirectory : .rest
            case .showTopic:
                // `show recording ID`: an id, as after `delete`.
                state = t.kind == .word && t.text == ShowTopic.recording.rawValue ? .delete : .rest
            case .delete, .downloadDirectory, .setValue, .helpTopic, .runFile, .rest:
                state = .rest
            }
        case .endOfFile:
            break
        }
    }

    private static func stepQuery(
        _ state: inout State, _ scopes: inout [(name: String, braced: Bool)], _ t: Token, owner: QueryOwner, phase: QueryPhase
    ) {
        let word = t.kind == .word ? t.text : nil
        switch phase {
        case .recordings:
            state = word == Language.queryWord ? .query(owner, .afterRecordings) : .rest
        case .afterRecordings, .afterCondition:
            if word == (phase == .afterRecordings ? "where" : "and") {
                state = .query(owner, .condition)
            } else if case .list = owner, word == "limit" {
                state = .query(owner, .limit)
            } else if case .foreach(let name) = owner {
                // The query is over: this is the loop's body.
                scopes.append((name, false))
                state = .body
                step(&state, &scopes, t)
            } else {
                state = .rest
            }
        case .condition:
            if word == Language.timeField {
                state = .query(owner, .createdComparison)
            } else if let word, Language.queryField(word) != nil {
                state = .query(owner, .fieldValue)
            } else {
                state = .rest
            }
        case .createdComparison:
            state = word.map(Language.timeComparisons.contains) == true ? .query(owner, .time) : .rest
        case .time, .fieldValue:
            state = .query(owner, .afterCondition)
        case .limit:
            state = .rest
        }
    }
}
