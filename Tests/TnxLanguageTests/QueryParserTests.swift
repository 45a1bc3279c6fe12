import Testing

@testable import TnxLanguage

private func statements(_ text: String) -> [Statement.Kind] {
    let r = Frontend.parse(text, name: "t.tnx")
    #expect(r.diagnostics.isEmpty, "\(r.diagnostics.map(\.message))")
    return r.script.statements.map(\.kind)
}

private func complete(_ line: String, _ previous: [String] = []) -> CompletionResult {
    Completion.candidates(line: line, cursor: line.utf8.count, previousLines: previous)
}

@Suite("Queries: count, list, show recording, foreach over recordings")
struct QueryParserTests {
    @Test("every example of the issue parses to its conditions")
    func examplesParse() throws {
        let kinds = statements("""
            count recordings where created before 2025-01-01
            list recordings where from "+15551234567" and created after 30d limit 20
            show recording 3fa85f64-5717-4562-b3fc-2c963f66afa6
            foreach id in recordings where created before 90d and connection 1494404757140276705 delete $id
            foreach id in recordings where created before 90d {
              delete $id
            }
            count recordings
            """)
        #expect(kinds.count == 6)
        guard case .count(let q0) = kinds[0] else { Issue.record("\(kinds[0])"); return }
        #expect(q0.conditions.map(\.kind) == [.createdBefore(.instant(millis: 1_735_689_600_000))])
        guard case .list(let q1, let limit) = kinds[1] else { Issue.record("\(kinds[1])"); return }
        #expect(limit == 20)
        #expect(q1.conditions.map(\.kind) == [
            .field(word: "from", apiName: "from", value: "+15551234567"), .createdAfter(.age(seconds: 30 * 86_400, text: "30d")),
        ])
        guard case .showRecording(let id) = kinds[2] else { Issue.record("\(kinds[2])"); return }
        #expect(id.kind == .literal("3fa85f64-5717-4562-b3fc-2c963f66afa6"))
        guard case .foreach(let v, _, .query(let q3), let body) = kinds[3] else { Issue.record("\(kinds[3])"); return }
        #expect(v == "id")
        #expect(q3.conditions.map(\.kind) == [
            .createdBefore(.age(seconds: 90 * 86_400, text: "90d")),
            .field(word: "connection", apiName: "connection_id", value: "1494404757140276705"),
        ])
        #expect(body.count == 1)
        guard case .foreach(_, _, .query, let block) = kinds[4] else { Issue.record("\(kinds[4])"); return }
        #expect(block.count == 1)
        guard case .count(let all) = kinds[5] else { Issue.record("\(kinds[5])"); return }
        #expect(all.conditions.isEmpty)
    }

    @Test("every field of the language table maps to the API's filter name")
    func everyField() {
        for field in Language.queryFields {
            guard case .count(let q) = statements("count recordings where \(field.word) \"x y\"").first else {
                Issue.record("\(field.word)")
                continue
            }
            #expect(q.conditions.map(\.kind) == [.field(word: field.word, apiName: field.apiName, value: "x y")])
        }
    }

    @Test("times: dates, date-times with Z or offsets, ages in h, d, w, mo (30 days), y (365 days)")
    func times() {
        #expect(Parser.time("2025-01-31") == .instant(millis: 1_738_281_600_000))
        #expect(Parser.time("2025-01-31T12:00:00Z") == .instant(millis: 1_738_324_800_000))
        #expect(Parser.time("2025-01-31T14:00:00+02:00") == .instant(millis: 1_738_324_800_000))
        #expect(Parser.time("2025-01-31T12:00:00.250Z") == .instant(millis: 1_738_324_800_250))
        #expect(Parser.time("12h") == .age(seconds: 43_200, text: "12h"))
        #expect(Parser.time("2w") == .age(seconds: 1_209_600, text: "2w"))
        #expect(Parser.time("0d") == .age(seconds: 0, text: "0d"))
        #expect(Parser.time("6mo") == .age(seconds: 180 * 86_400, text: "6mo"))
        #expect(Parser.time("1y") == .age(seconds: 365 * 86_400, text: "1y"))
        #expect(Parser.time("100y") == .age(seconds: 36_500 * 86_400, text: "100y"))
        for bad in ["90", "d", "-5d", "1.5d", "90m", "999999w", "mo", "y", "1yo", "3mos", "101y", "1300mo", "2025-1-31", "2025-01-31T12:00:00", "2025-02-29", "2025-01-31 12:00", "yesterday"] {
            #expect(Parser.time(bad) == nil, "\(bad)")
        }
    }

    @Test("an unquoted `recordings` after `in` is a query, a quoted one a file")
    func recordingsWord() {
        guard case .foreach(_, _, .file(let file), _) = statements("foreach id in \"recordings\" delete $id").first else {
            Issue.record("not a file loop")
            return
        }
        #expect(file.kind == .literal("recordings"))
        guard case .foreach(_, _, .query(let q), _) = statements("foreach id in recordings delete $id").first else {
            Issue.record("not a query loop")
            return
        }
        #expect(q.conditions.isEmpty)
    }

    @Test("the caret of a query spans it on one line")
    func queryLength() {
        guard case .count(let q) = statements("count recordings where from \"+1555\"").first else { return }
        #expect(q.location.column == 7)
        #expect(q.length == "recordings where from \"+1555\"".count)
    }

    @Test("errors recover at the statement boundary: the next line still parses")
    func recovery() {
        let r = Frontend.parse("count recordings where colour red\nlist recordings limit 5", name: "t.tnx")
        #expect(r.diagnostics.map(\.id) == [.unknownQueryField])
        #expect(r.script.statements.count == 1)
    }

    @Test("completion knows the new words")
    func completion() {
        #expect(complete("co").candidates == ["count"])
        #expect(complete("li").candidates == ["list"])
        #expect(complete("count ").candidates == ["recordings"])
        #expect(complete("count recordings ").candidates == ["where"])
        #expect(complete("list recordings ").candidates == ["where", "limit"])
        #expect(complete("count recordings where ").candidates == Language.conditionWords)
        #expect(complete("count recordings where con").candidates == ["connection", "conference"])
        #expect(complete("count recordings where created ").candidates == ["before", "after"])
        #expect(complete("count recordings where created before 90d ").candidates == ["and"])
        #expect(complete("list recordings where from x ").candidates == ["and", "limit"])
        #expect(complete("count recordings where created before ").kind == .none)
        #expect(complete("show ").candidates == ["last", "settings", "recording"])
        let source = complete("foreach id in rec")
        #expect(source.kind == .filePath(prefix: "rec"))
        #expect(source.alsoWords == ["recordings"])
        #expect(complete("foreach id in \"rec").alsoWords == [])
        #expect(complete("foreach id in recordings where created before 90d ").candidates == ["and", "delete", "download", "show", "foreach"])
        #expect(complete("foreach id in recordings where created before 90d delete ").candidates == ["$id"])
        #expect(complete("foreach id in recordings { ").candidates == ["delete", "download", "show", "foreach"])
        #expect(complete("  del", ["foreach id in recordings where from x {"]).candidates == ["delete"])
        #expect(complete("  delete $", ["foreach id in recordings where from x {"]).candidates == ["$id"])
    }

    @Test("help knows queries, count and list, and every line fits in 80 columns")
    func help() throws {
        let queries = try #require(Help.text(topic: "queries"))
        for field in Language.queryFields { #expect(queries.contains(field.word + " VALUE")) }
        #expect(queries.contains("a dry-run may read; it never deletes") || queries.contains("a dry-run may\nread; it never deletes"))
        #expect(try #require(Help.text(topic: "count")).contains("usage: count QUERY"))
        #expect(try #require(Help.text(topic: "list")).contains("usage: list QUERY [limit N]"))
        #expect(Help.text(topic: nil)!.contains("count QUERY"))
        for topic in ["queries", "count", "list", "foreach", "show", "dry-run"] {
            for line in Help.text(topic: topic)!.split(separator: "\n") { #expect(line.count <= Help.width, "\(topic): \(line)") }
        }
    }
}
