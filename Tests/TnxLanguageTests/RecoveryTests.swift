import Testing
@testable import TnxLanguage

/// Recovery after errors. (The table of every diagnostic, with its place and words, is in
/// TnxInterpreterTests, where the checks after parsing run too.)
@Suite struct RecoveryTests {
    @Test func recoveryReportsEveryBadLineAndKeepsTheGoodOnes() {
        let r = Frontend.parse("""
            set dry-run on
            delet a
            delete b
            foreach id old.txt delete $id
            show last
            set concurrency 0
            exit
            """, name: "t.tnx")
        #expect(r.diagnostics.map(\.id.rawValue) == ["unknown-statement", "expected-in", "invalid-setting-value"])
        #expect(r.diagnostics.map(\.location.line) == [2, 4, 6])
        #expect(r.script.statements.map(\.location.line) == [1, 3, 5, 7])
    }

    @Test func recoveryInsideABlock() {
        let r = Frontend.parse("foreach id in f {\n  delet $id\n  delete $id\n  show nothing\n}\nexit\n", name: "t.tnx")
        #expect(r.diagnostics.map(\.id.rawValue) == ["unknown-statement", "unknown-show-topic"])
        #expect(r.diagnostics.map(\.location.line) == [2, 4])
        #expect(r.script.statements.count == 2)
        if case .foreach(_, _, _, let body) = r.script.statements[0].kind { #expect(body.count == 1) }
    }

    @Test func recoverySkipsTheBlockOfABadHeader() {
        // The block of a broken foreach is skipped whole: no cascade of stray '}' errors.
        let r = Frontend.parse("foreach id old.txt {\n  delete $id\n}\nexit\n", name: "t.tnx")
        #expect(r.diagnostics.map(\.id.rawValue) == ["expected-in"])
        #expect(r.script.statements.map(\.kind) == [.exit(code: nil)])
    }

    @Test func errorsAreCapped() {
        let text = String(repeating: "bogus\n", count: 500)
        let r = Frontend.parse(text, name: "t.tnx")
        #expect(r.diagnostics.count == Frontend.maxErrors + 1)
        #expect(r.diagnostics.last?.id.rawValue == "too-many-errors")
        #expect(r.diagnostics.last?.message == "too many errors (more than 50); stopping")
        #expect(r.diagnostics.last?.location.line == 51)
    }

    @Test func malformedTokensAreReportedOnce() {
        // The lexer's error is enough; the parser does not add "unknown statement".
        let r = Frontend.parse(SourceFile(name: "t", bytes: [0xFF, 0x0A] + Array("exit".utf8)))
        #expect(r.diagnostics.map(\.id.rawValue) == ["invalid-utf8"])
        #expect(r.script.statements.map(\.kind) == [.exit(code: nil)])
    }
}
