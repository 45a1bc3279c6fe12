import CivilTime

/// The statements' rules, one method each (the grammar is at the top of `Parser.swift`).
extension Parser {
    /// `'delete' value`
    func parseDelete() -> Statement? {
        let keyword = token
        advance()
        guard let id = parseValue(expected: .deleteID) else { return nil }
        return Statement(kind: .delete(id), location: keyword.location)
    }

    /// `'download' value 'to' value`
    func parseDownload() -> Statement? {
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
    func parseForeach() -> Statement? {
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
        } else if parameters[name] != nil {
            // `$name` in the body would otherwise mean the loop's ids there and the value given
            // on the command line everywhere else: one name, one meaning.
            error(.shadowedParameter(name), at: nameToken)
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
    func parseBody() -> [Statement]? {
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
    func parseShow() -> Statement? {
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

    /// `'set' KEY [setting-value]`
    func parseSet() -> Statement? {
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
        var v = token
        if let given = parameterToken(v) { v = given }
        if case .none = spec.values {
            if isEnd(v) { return Statement(kind: .set(.apiKey), location: keyword.location) }
            // The message never quotes the value: it may be the secret itself.
            error(.unexpectedValue(setting: spec), at: v)
            return nil
        }
        switch v.kind {
        case .word, .string:
            break
        case .variable where !v.isMalformed && !isBound(v.text):
            error(unknownVariable(v.text), at: v)
            return nil
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
        case .age: "an age of at least 1d (30d, 12w, 6mo, 1y) or off"
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
        case .age:
            guard spec.key == .keepSnapshots else { return nil }
            if text == "off" { return .keepSnapshots(.off) }
            guard case .age(let seconds, let written)? = Parser.time(text), seconds >= SnapshotRetention.minimumSeconds else { return nil }
            return .keepSnapshots(.age(seconds: seconds, text: written))
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
        case .keepSnapshots, .apiKey, .baseURL, .apiKeyCommand: return nil
        }
    }

    /// `'help' [WORD | STRING]`
    func parseHelp() -> Statement? {
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
    func parseRun() -> Statement? {
        let keyword = token
        advance()
        guard let file = parseValue(expected: .runScript) else { return nil }
        return Statement(kind: .run(file), location: keyword.location)
    }

    /// `'exit' [WORD]`: the word is an exit status from 0 to 255.
    func parseExit() -> Statement? {
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
}
