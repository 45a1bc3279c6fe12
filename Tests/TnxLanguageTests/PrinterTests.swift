import Testing
@testable import TnxLanguage

@Suite struct PrinterTests {
    @Test func plainDiagnosticWithCaret() {
        let source = SourceFile(name: "cleanup.tnx", text: "set dry-run on\n\nforeach id delete $id\n")
        let r = Frontend.parse(source)
        #expect(DiagnosticPrinter.render(r.diagnostics, source: source) == """
            cleanup.tnx:3:12: error: expected 'in' after loop variable 'id'
            foreach id delete $id
                       ^~~~~~

            """)
    }

    @Test func colourWhenAsked() {
        let source = SourceFile(name: "c.tnx", text: "set concurrency 0")
        let r = Frontend.parse(source)
        let out = DiagnosticPrinter.render(r.diagnostics[0], source: source, colour: true)
        #expect(out == "\u{1B}[1mc.tnx:1:17: \u{1B}[0m\u{1B}[1;31merror:\u{1B}[0m \u{1B}[1mconcurrency must be a whole number from 1 to 256, not '0'\u{1B}[0m\n"
            + "set concurrency 0\n"
            + "                \u{1B}[1;32m^\u{1B}[0m\n")
        // No id is a warning yet (each id carries its severity); the printer draws one all the same.
        var warning = Diagnostic(.nulByte, location: r.diagnostics[0].location)
        warning.severity = .warning
        #expect(DiagnosticPrinter.render(warning, source: source, colour: true).contains("\u{1B}[1;33mwarning:\u{1B}[0m"))
        #expect(!DiagnosticPrinter.render(warning, source: source, colour: false).contains("\u{1B}"))
    }

    @Test func errorAtEndOfLineAndCRLF() {
        let source = SourceFile(name: "t", text: "delete\r\nexit\r\n")
        let r = Frontend.parse(source)
        #expect(DiagnosticPrinter.render(r.diagnostics, source: source) == """
            t:1:7: error: expected an id after 'delete', found the end of the line
            delete
                  ^

            """)
    }

    @Test func controlCharactersAndInvalidBytesAreShownSafely() {
        let source = SourceFile(name: "t", bytes: Array("delete a\u{1B}[31mb".utf8) + [0xFF, 0x0A])
        let r = Frontend.parse(source)
        let out = DiagnosticPrinter.render(r.diagnostics, source: source)
        #expect(!out.contains("\u{1B}"))
        #expect(out == """
            t:1:9: error: control character U+001B is not allowed here
            delete a<U+001B>[31mb<FF>
                    ^~~~~~~~

            """)
    }

    @Test func tabsAreExpandedAndTheCaretFollows() {
        let source = SourceFile(name: "t", text: "\tdelete\ta b")
        let r = Frontend.parse(source)
        #expect(DiagnosticPrinter.render(r.diagnostics, source: source) == """
            t:1:11: error: unexpected 'b' after the end of the statement; end a statement with a new line or ';'
                    delete  a b
                              ^

            """)
    }

    @Test func bomIsNotEchoed() {
        let source = SourceFile(name: "t", bytes: [0xEF, 0xBB, 0xBF] + Array("delet x".utf8))
        let r = Frontend.parse(source)
        #expect(DiagnosticPrinter.render(r.diagnostics, source: source) == """
            t:1:1: error: unknown statement 'delet'; did you mean 'delete'?
            delet x
            ^~~~~

            """)
    }

    @Test func longLinesAreClippedAroundTheCaret() {
        let line = "delete " + String(repeating: "x", count: 5000) + " yy " + String(repeating: "z", count: 5000)
        let source = SourceFile(name: "t", text: line)
        let r = Frontend.parse(source)
        let out = DiagnosticPrinter.render(r.diagnostics, source: source)
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4)
        #expect(lines[0] == "t:1:5009: error: unexpected 'yy' after the end of the statement; end a statement with a new line or ';'")
        #expect(lines[1].hasPrefix("…x") && lines[1].hasSuffix("z…"))
        #expect(lines[1].count <= DiagnosticPrinter.maxWidth + 2)
        // The caret sits under "yy".
        let caretColumn = lines[2].firstIndex(of: "^").map { lines[2].distance(from: lines[2].startIndex, to: $0) }
        let yyColumn = lines[1].firstIndex(of: "y").map { lines[1].distance(from: lines[1].startIndex, to: $0) }
        #expect(caretColumn != nil && caretColumn == yyColumn)
        #expect(lines[2].hasSuffix("^~"))
    }

    @Test func longMessagesQuoteAShortenedWord() {
        let r = Frontend.parse("bogus" + String(repeating: "q", count: 10_000))
        #expect(r.diagnostics[0].message.count < 200)
        #expect(r.diagnostics[0].message.hasPrefix("unknown statement 'bogusqqq"))
        #expect(r.diagnostics[0].message.contains("…'"))
    }

    @Test func withoutSourceOnlyTheHeader() {
        let d = Diagnostic(.nulByte, location: SourceLocation(file: "f", line: 9, column: 3, offset: 999))
        #expect(DiagnosticPrinter.render(d, source: nil) == "f:9:3: error: NUL byte in the source\n")
        #expect(DiagnosticPrinter.render(d, source: SourceFile(name: "f", text: "short")) == "f:9:3: error: NUL byte in the source\n")
    }
}
