import Testing
@testable import TnxLanguage

/// One bad script and exactly the diagnostics it must produce.
struct BadScript: CustomTestStringConvertible, Sendable {
    let name: String
    let bytes: [UInt8]
    /// (id, line, column, message); message nil = not checked.
    let expected: [(String, Int, Int, String?)]

    init(_ name: String, _ text: String, _ expected: [(String, Int, Int, String?)]) {
        self.name = name
        self.bytes = Array(text.utf8)
        self.expected = expected
    }

    init(_ name: String, bytes: [UInt8], _ expected: [(String, Int, Int, String?)]) {
        self.name = name
        self.bytes = bytes
        self.expected = expected
    }

    var testDescription: String { name }
}

let settingsList = "dry-run, concurrency, output, on-error, confirm, resume, api-key"
let statementsList = "delete, foreach, show, set, run, help, exit"

let badScripts: [BadScript] = [
    BadScript("unknown statement", "delet 3fa8", [
        ("unknown-statement", 1, 1, "unknown statement 'delet'; did you mean 'delete'?"),
    ]),
    BadScript("unknown statement, nothing close", "remove x", [
        ("unknown-statement", 1, 1, "unknown statement 'remove'; statements are: \(statementsList)"),
    ]),
    BadScript("missing in", "foreach id delete $id", [
        ("expected-in", 1, 12, "expected 'in' after loop variable 'id'"),
    ]),
    BadScript("missing source", "foreach id in\n", [
        ("missing-value", 1, 14, "expected a file after 'in' (a path, a \"quoted path\", or - for stdin), found the end of the line"),
    ]),
    BadScript("missing loop variable", "foreach", [
        ("expected-variable-name", 1, 8, "expected a loop variable name after 'foreach', found the end of the input"),
    ]),
    BadScript("loop variable written with $", "foreach $id in x delete $id", [
        ("expected-variable-name", 1, 9, "write the loop variable without '$': foreach id in …"),
    ]),
    BadScript("body on the next line", "foreach id in x\n{\n delete $id\n}", [
        ("expected-body", 1, 16, "expected a statement or '{' after the foreach source; the body starts on the same line"),
        ("unexpected-brace", 2, 1, "unexpected '{'; a block '{ … }' can only follow a foreach header"),
    ]),
    BadScript("unknown setting", "set colour red", [
        ("unknown-setting", 1, 5, "unknown setting 'colour'; settings are: \(settingsList)"),
    ]),
    BadScript("misspelt setting", "set concurency 4", [
        ("unknown-setting", 1, 5, "unknown setting 'concurency'; did you mean 'concurrency'?"),
    ]),
    BadScript("concurrency 0", "set concurrency 0", [
        ("invalid-setting-value", 1, 17, "concurrency must be a whole number from 1 to 256, not '0'"),
    ]),
    BadScript("concurrency 257", "set concurrency 257", [
        ("invalid-setting-value", 1, 17, "concurrency must be a whole number from 1 to 256, not '257'"),
    ]),
    BadScript("concurrency abc", "set concurrency abc", [
        ("invalid-setting-value", 1, 17, "concurrency must be a whole number from 1 to 256, not 'abc'"),
    ]),
    BadScript("concurrency huge", "set concurrency 99999999999999999999999", [
        ("invalid-setting-value", 1, 17, "concurrency must be a whole number from 1 to 256, not '99999999999999999999999'"),
    ]),
    BadScript("dry-run maybe", "set dry-run maybe", [
        ("invalid-setting-value", 1, 13, "dry-run must be on or off, not 'maybe'"),
    ]),
    BadScript("output xml", "set output xml", [
        ("invalid-setting-value", 1, 12, "output must be text or json, not 'xml'"),
    ]),
    BadScript("missing setting value", "set on-error", [
        ("missing-value", 1, 13, "expected a value after 'set on-error': stop or continue"),
    ]),
    BadScript("set with a variable for a setting", "set $x\n", [
        ("missing-setting", 1, 5, "expected a setting after 'set', found '$x'; settings are: \(settingsList)"),
    ]),
    BadScript("api-key takes no value and never echoes it", "set api-key KEY0123secret", [
        ("unexpected-value", 1, 13, "'set api-key' takes no value; the key is asked for without echo, or read from TELNYX_API_KEY"),
    ]),
    BadScript("setting value from a variable", "foreach c in x set concurrency $c", [
        ("invalid-setting-value", 1, 32, "concurrency must be a whole number from 1 to 256; a variable cannot be used here"),
    ]),
    BadScript("delete without id", "delete", [
        ("missing-value", 1, 7, "expected an id after 'delete', found the end of the input"),
    ]),
    BadScript("extra tokens", "delete a b", [
        ("extra-tokens", 1, 10, "unexpected 'b' after the end of the statement; end a statement with a new line or ';'"),
    ]),
    BadScript("extra tokens after exit", "exit 3 4", [
        ("extra-tokens", 1, 8, "unexpected '4' after the end of the statement; end a statement with a new line or ';'"),
    ]),
    BadScript("show without topic", "show", [
        ("missing-show-topic", 1, 5, "expected what to show after 'show': last or settings"),
    ]),
    BadScript("unknown show topic", "show everything", [
        ("unknown-show-topic", 1, 6, "unknown show topic 'everything'; topics are: last, settings"),
    ]),
    BadScript("unbound variable", "delete $x", [
        ("unknown-variable", 1, 8, "unknown variable '$x'; no foreach binds a variable here"),
    ]),
    BadScript("unbound variable inside a loop", "foreach id in f delete $ID", [
        ("unknown-variable", 1, 24, "unknown variable '$ID'; variables here: $id"),
    ]),
    BadScript("shadowed loop variable", "foreach id in a {\n  foreach id in b delete $id\n}", [
        ("shadowed-variable", 2, 11, "loop variable 'id' is already bound by the foreach at line 1; choose another name"),
    ]),
    BadScript("empty block", "foreach id in a {}", [
        ("empty-body", 1, 17, "empty foreach body; put at least one statement between '{' and '}'"),
    ]),
    BadScript("block with only comments", "foreach id in a {\n  # nothing\n}", [
        ("empty-body", 1, 17, nil),
    ]),
    BadScript("unterminated string", "delete \"3fa8\nexit", [
        ("unterminated-string", 1, 8, "unterminated string; a string ends with '\"' on the same line"),
    ]),
    BadScript("unknown escape", #"delete "a\qb""#, [
        ("unknown-escape", 1, 10, #"unknown escape '\q' in a string; the escapes are \" \\ \n \t"#),
    ]),
    BadScript("unterminated block", "foreach id in a {\n  delete $id\n", [
        ("unterminated-block", 1, 17, "unterminated block; this '{' is never closed with '}'"),
    ]),
    BadScript("stray closing brace", "delete a\n}\nexit", [
        ("unexpected-brace", 2, 1, "unexpected '}' with no open block"),
    ]),
    BadScript("statement starting with a string", "\"delete\" x", [
        ("expected-statement", 1, 1, "expected a statement, found string \"delete\"; statements are: \(statementsList)"),
    ]),
    BadScript("dollar without name", "foreach id in x delete $", [
        ("invalid-variable", 1, 24, "expected a variable name after '$'"),
    ]),
    BadScript("invalid UTF-8", bytes: Array("delete 3fa".utf8) + [0xC3, 0x28] + Array("\nexit".utf8), [
        ("invalid-utf8", 1, 11, "invalid UTF-8 byte 0xC3; tnx source must be UTF-8"),
    ]),
    BadScript("NUL byte", bytes: Array("show last\ndel".utf8) + [0] + Array("ete x".utf8), [
        ("nul-byte", 2, 4, "NUL byte in the source"),
    ]),
    BadScript("escape sequence in a word", "delete a\u{1B}[2J", [
        ("control-character", 1, 9, "control character U+001B is not allowed here"),
    ]),
    BadScript("help with a variable", "foreach t in x help $t", [
        ("expected-help-topic", 1, 21, "expected a help topic after 'help', found '$t'"),
    ]),
    BadScript("too deep nesting", deepNest(70), [
        ("too-deep", 65, 1, "blocks nested too deeply (more than 64)"),
    ]),
]

/// `n` nested foreach blocks, one per line, each binding its own variable.
func deepNest(_ n: Int) -> String {
    var text = ""
    for i in 0..<n { text += "foreach v\(i) in f {\n" }
    text += "delete $v0\n" + String(repeating: "}\n", count: n)
    return text
}

@Suite struct DiagnosticTableTests {
    @Test(arguments: badScripts)
    func badScriptReportsExactly(_ bad: BadScript) {
        let r = Frontend.parse(SourceFile(name: "t.tnx", bytes: bad.bytes))
        #expect(r.hasErrors)
        #expect(!r.isIncomplete || bad.expected.map(\.0) == ["unterminated-block"])
        let got = r.diagnostics.map { ($0.id, $0.location.line, $0.location.column, $0.message) }
        #expect(got.count == bad.expected.count, "got \(got)")
        for (g, e) in zip(got, bad.expected) {
            #expect(g.0 == e.0)
            #expect(g.1 == e.1, "line of \(g.0)")
            #expect(g.2 == e.2, "column of \(g.0)")
            if let message = e.3 { #expect(g.3 == message) }
        }
        for d in r.diagnostics { #expect(d.location.file == "t.tnx") }
    }

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
        #expect(r.diagnostics.map(\.id) == ["unknown-statement", "expected-in", "invalid-setting-value"])
        #expect(r.diagnostics.map(\.location.line) == [2, 4, 6])
        #expect(r.script.statements.map(\.location.line) == [1, 3, 5, 7])
    }

    @Test func recoveryInsideABlock() {
        let r = Frontend.parse("foreach id in f {\n  delet $id\n  delete $id\n  show nothing\n}\nexit\n", name: "t.tnx")
        #expect(r.diagnostics.map(\.id) == ["unknown-statement", "unknown-show-topic"])
        #expect(r.diagnostics.map(\.location.line) == [2, 4])
        #expect(r.script.statements.count == 2)
        if case .foreach(_, _, _, let body) = r.script.statements[0].kind { #expect(body.count == 1) }
    }

    @Test func recoverySkipsTheBlockOfABadHeader() {
        // The block of a broken foreach is skipped whole: no cascade of stray '}' errors.
        let r = Frontend.parse("foreach id old.txt {\n  delete $id\n}\nexit\n", name: "t.tnx")
        #expect(r.diagnostics.map(\.id) == ["expected-in"])
        #expect(r.script.statements.map(\.kind) == [.exit(code: nil)])
    }

    @Test func errorsAreCapped() {
        let text = String(repeating: "bogus\n", count: 500)
        let r = Frontend.parse(text, name: "t.tnx")
        #expect(r.diagnostics.count == Frontend.maxErrors + 1)
        #expect(r.diagnostics.last?.id == "too-many-errors")
        #expect(r.diagnostics.last?.message == "too many errors (more than 50); stopping")
        #expect(r.diagnostics.last?.location.line == 51)
    }

    @Test func malformedTokensAreReportedOnce() {
        // The lexer's error is enough; the parser does not add "unknown statement".
        let r = Frontend.parse(SourceFile(name: "t", bytes: [0xFF, 0x0A] + Array("exit".utf8)))
        #expect(r.diagnostics.map(\.id) == ["invalid-utf8"])
        #expect(r.script.statements.map(\.kind) == [.exit(code: nil)])
    }
}
