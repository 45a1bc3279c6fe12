import Testing
@testable import TnxLanguage

func parse(_ text: String) -> ParseResult { Frontend.parse(text, name: "t.tnx") }

func literal(_ e: Expr) -> String? { if case .literal(let s) = e.kind { return s }; return nil }
func literal(_ source: LoopSource) -> String? { if case .file(let e) = source { return literal(e) }; return nil }
func variable(_ source: LoopSource) -> String? { if case .file(let e) = source { return variable(e) }; return nil }
func variable(_ e: Expr) -> String? { if case .variable(let s) = e.kind { return s }; return nil }

@Suite struct ParserTests {
    @Test func everyStatement() throws {
        let r = parse("""
            delete 3fa85f64-5717-4562-b3fc-2c963f66afa6
            delete "with space"
            show last
            show settings
            set dry-run on
            set dry-run off
            set concurrency 32
            set output json
            set on-error continue
            set confirm off
            set api-key
            help
            help foreach
            exit
            """)
        #expect(r.diagnostics.isEmpty)
        #expect(!r.hasErrors)
        let kinds = r.script.statements.map(\.kind)
        #expect(kinds.count == 14)
        guard case .delete(let e) = kinds[0] else { Issue.record("not delete"); return }
        #expect(literal(e) == "3fa85f64-5717-4562-b3fc-2c963f66afa6")
        #expect(e.location.column == 8 && e.length == 36)
        guard case .delete(let e2) = kinds[1] else { Issue.record("not delete"); return }
        #expect(literal(e2) == "with space")
        #expect(kinds[2] == .show(.last))
        #expect(kinds[3] == .show(.settings))
        #expect(kinds[4] == .set(.dryRun(true)))
        #expect(kinds[5] == .set(.dryRun(false)))
        #expect(kinds[6] == .set(.concurrency(32)))
        #expect(kinds[7] == .set(.output(.json)))
        #expect(kinds[8] == .set(.onError(.continue)))
        #expect(kinds[9] == .set(.confirm(false)))
        #expect(kinds[10] == .set(.apiKey))
        #expect(kinds[11] == .help(topic: nil))
        if case .help(let topic) = kinds[12] { #expect(topic?.kind == .literal("foreach")) } else { Issue.record("\(kinds[12])") }
        #expect(kinds[13] == .exit(code: nil))
        #expect(r.script.statements.map(\.location.line) == Array(1...14))
    }

    @Test func concurrencyBounds() {
        #expect(parse("set concurrency 1").script.statements.first?.kind == .set(.concurrency(1)))
        #expect(parse("set concurrency 256").script.statements.first?.kind == .set(.concurrency(256)))
    }

    @Test("set keep-snapshots takes an age of at least a day, or off; anything else is an error with what it takes")
    func keepSnapshots() {
        #expect(parse("set keep-snapshots 30d").script.statements.first?.kind == .set(.keepSnapshots(.age(seconds: 30 * 86_400, text: "30d"))))
        #expect(parse("set keep-snapshots 1d").script.statements.first?.kind == .set(.keepSnapshots(.age(seconds: 86_400, text: "1d"))))
        #expect(parse("set keep-snapshots 24h").script.statements.first?.kind == .set(.keepSnapshots(.age(seconds: 86_400, text: "24h"))))
        #expect(parse("set keep-snapshots 1y").script.statements.first?.kind == .set(.keepSnapshots(.age(seconds: 365 * 86_400, text: "1y"))))
        #expect(parse("set keep-snapshots off").script.statements.first?.kind == .set(.keepSnapshots(.off)))
        for bad in ["23h", "0d", "30", "on", "2025-01-01", "\"30d \""] {
            let r = parse("set keep-snapshots \(bad)")
            #expect(r.diagnostics.map(\.id) == [.invalidSettingValue], "\(bad)")
            #expect(r.diagnostics.first?.message.contains("keep-snapshots must be an age of at least 1d (30d, 12w, 6mo, 1y) or off") == true, "\(bad)")
        }
        #expect(Language.setting(.keepSnapshots).defaultValue == "30d")
    }

    @Test func foreachWithOneStatementBody() throws {
        let r = parse("foreach id in old-recordings.txt delete $id")
        #expect(r.diagnostics.isEmpty)
        let s = try #require(r.script.statements.first)
        guard case .foreach(let name, let nameLoc, let source, let body) = s.kind else { Issue.record("not foreach"); return }
        #expect(name == "id")
        #expect(nameLoc.column == 9)
        #expect(literal(source) == "old-recordings.txt")
        #expect(body.count == 1)
        guard case .delete(let e) = body[0].kind else { Issue.record("not delete"); return }
        #expect(variable(e) == "id")
        #expect(e.location.column == 41)
    }

    @Test func foreachWithBlockSpanningLines() throws {
        let r = parse("foreach id in \"exports/q1 ids.txt\" {\n  # a comment\n\n  delete $id\n  show last\n}\nexit\n")
        #expect(r.diagnostics.isEmpty)
        #expect(r.script.statements.count == 2)
        guard case .foreach(_, _, let source, let body) = r.script.statements[0].kind else { Issue.record("not foreach"); return }
        #expect(literal(source) == "exports/q1 ids.txt")
        #expect(body.map(\.location.line) == [4, 5])
        #expect(r.script.statements[1].kind == .exit(code: nil))
    }

    @Test func blockOnOneLineAndSemicolons() {
        let r = parse("foreach id in - { delete $id; show last }; exit;;")
        #expect(r.diagnostics.isEmpty)
        #expect(r.script.statements.count == 2)
        if case .foreach(_, _, let source, let body) = r.script.statements[0].kind {
            #expect(literal(source) == "-")
            #expect(body.count == 2)
        } else { Issue.record("not foreach") }
    }

    @Test func nestedLoops() {
        let r = parse("foreach f in files.txt {\n  foreach id in $f delete $id\n  foreach g in x {\n    delete $f\n    delete $g\n  }\n}\n")
        #expect(r.diagnostics.isEmpty)
        guard case .foreach(_, _, _, let body) = r.script.statements[0].kind else { Issue.record("not foreach"); return }
        #expect(body.count == 2)
        guard case .foreach(let inner, _, let src, let innerBody) = body[0].kind else { Issue.record("not foreach"); return }
        #expect(inner == "id")
        #expect(variable(src) == "f")
        #expect(innerBody.count == 1)
    }

    @Test func loopVariableScopeEndsWithTheLoop() {
        let r = parse("foreach id in x delete $id\ndelete $id")
        #expect(r.diagnostics.map(\.id.rawValue) == ["unknown-variable"])
        #expect(r.diagnostics[0].location.line == 2)
        // Sibling loops may reuse a name.
        #expect(parse("foreach id in x delete $id\nforeach id in y delete $id").diagnostics.isEmpty)
    }

    @Test func dollarInsideAStringIsLiteral() {
        let r = parse("delete \"$id\"")
        #expect(r.diagnostics.isEmpty)
        if case .delete(let e) = r.script.statements[0].kind { #expect(literal(e) == "$id") }
    }

    @Test func blankAndEmptyInput() {
        #expect(parse("").script.statements.isEmpty)
        #expect(parse("\n\n  ;; # c\n").diagnostics.isEmpty)
    }

    @Test func deepButAllowedNesting() {
        let depth = Frontend.maxNestingDepth
        var text = ""
        for i in 0..<depth { text += "foreach v\(i) in f {\n" }
        text += "delete $v0\n" + String(repeating: "}\n", count: depth)
        let r = parse(text)
        #expect(r.diagnostics.isEmpty)
        #expect(r.script.statements.count == 1)
    }
}
