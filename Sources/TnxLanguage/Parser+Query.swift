import CivilTime

/// The rules of a query: `count`, `list`, and the query with its conditions and times.
extension Parser {
    // MARK: - queries

    /// `'count' query`
    func parseCount() -> Statement? {
        let keyword = token
        advance()
        guard let query = parseQuery(after: "count") else { return nil }
        return Statement(kind: .count(query), location: keyword.location)
    }

    /// `'list' query ['limit' WORD]`
    func parseList() -> Statement? {
        let keyword = token
        advance()
        guard let query = parseQuery(after: "list") else { return nil }
        guard token.kind == .word, token.text == "limit" else { return Statement(kind: .list(query, limit: nil), location: keyword.location) }
        advance()
        var t = token
        if let given = parameterToken(t) { t = given }
        if t.kind == .variable, !t.isMalformed, !isBound(t.text) {
            error(unknownVariable(t.text), at: t)
            return nil
        }
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
    func parseQuery(after keyword: String? = nil) -> Query? {
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
    func parseCondition() -> Condition? {
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
        var v = token
        if let given = parameterToken(v) { v = given }
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
        case .variable where !v.isMalformed && !isBound(v.text):
            error(unknownVariable(v.text), at: v)
            return nil
        case .variable:
            error(.variableInQuery(.field(spec.word, variable: v.text)), at: v)
            return nil
        default:
            error(.missingValue(field: spec, found: v), at: v)
            return nil
        }
    }

    /// TIME: a date, a date-time with Z or an offset, or an age (`90d`, `12h`, `2w`).
    func parseTime() -> TimeValue? {
        var t = token
        if let given = parameterToken(t) { t = given }
        guard t.kind == .word || t.kind == .string else {
            if t.kind == .variable, !t.isMalformed, !isBound(t.text) {
                error(unknownVariable(t.text), at: t)
            } else if t.kind == .variable {
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
}
