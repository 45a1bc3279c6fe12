import Testing
@testable import TnxLanguage

/// SplitMix64: a small deterministic generator, so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Pieces that make scripts interesting to the lexer and parser.
private let fragments: [String] = [
    "delete", "foreach", "in", "show", "set", "help", "exit", "last", "settings", "dry-run", "concurrency",
    "output", "on-error", "confirm", "api-key", "on", "off", "json", "16", "0", "257", "id", "$id", "$", "$x",
    "{", "}", ";", "\n", "\r\n", " ", "\t", "#", "# comment\n", "\"", "\"a b\"", "\"\\n\"", "\\", "\"\\q\"",
    "3fa85f64-5717-4562-b3fc-2c963f66afa6", "ids.txt", "-", "é", "✓", "\u{1B}", "\u{0}", "\u{202E}", "\r",
]

private let validScripts: [String] = [
    "set dry-run on\nforeach id in old.txt delete $id\nshow last\n",
    "foreach id in \"q1 ids.txt\" {\n  delete $id\n  show last\n}\nexit\n",
    "foreach f in files {\n foreach id in $f { delete $id }\n}\n",
    "set concurrency 32; set output json; help foreach; exit",
]

func checkInvariants(_ bytes: [UInt8], _ context: String) {
    let source = SourceFile(name: "fuzz", bytes: bytes)
    let r = Frontend.parse(source)
    let lines = bytes.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
    for d in r.diagnostics {
        #expect(d.location.line >= 1 && d.location.line <= lines + 1, "\(context): \(d)")
        #expect(d.location.column >= 1, "\(context): \(d)")
        #expect(d.location.offset >= 0 && d.location.offset <= bytes.count, "\(context): \(d)")
        #expect(d.length >= 1)
        #expect(!d.message.contains("\u{1B}") && !d.message.contains("\u{0}"), "\(context): \(d)")
    }
    #expect(r.diagnostics.count <= Frontend.maxErrors + 1)
    if r.isIncomplete { #expect(r.diagnostics.allSatisfy { $0.id.rawValue == "unterminated-block" }) }
    // Rendering never traps and never echoes a raw escape.
    let printed = DiagnosticPrinter.render(r.diagnostics.prefix(3).map { $0 }, source: source)
    #expect(!printed.contains("\u{1B}"))
}

@Suite struct RobustnessTests {
    @Test func randomAndMutatedScripts() {
        var rng = SplitMix64(seed: 0x7E1E_C0DE)
        for i in 0..<20_000 {
            var bytes: [UInt8]
            switch i % 3 {
            case 0:
                // Random fragments.
                bytes = []
                for _ in 0..<Int.random(in: 1...30, using: &rng) {
                    bytes += Array(fragments.randomElement(using: &rng)!.utf8)
                    if Bool.random(using: &rng) { bytes.append(0x20) }
                }
            case 1:
                // A valid script with random byte mutations.
                bytes = Array(validScripts.randomElement(using: &rng)!.utf8)
                for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
                    let at = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                    case 1: bytes.remove(at: at)
                    default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
                    }
                }
            default:
                // Pure random bytes.
                bytes = (0..<Int.random(in: 0...60, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            checkInvariants(bytes, "case \(i)")
            if i % 1000 == 0 {
                // Deterministic: the same bytes give the same result.
                let a = Frontend.parse(SourceFile(name: "d", bytes: bytes))
                let b = Frontend.parse(SourceFile(name: "d", bytes: bytes))
                #expect(a.diagnostics == b.diagnostics)
                #expect(a.script.statements == b.script.statements)
                #expect(a.isIncomplete == b.isIncomplete)
            }
        }
    }

    @Test func everyPrefixOfAValidScript() {
        for script in validScripts {
            let bytes = Array(script.utf8)
            for n in 0...bytes.count { checkInvariants(Array(bytes[0..<n]), "prefix \(n)") }
        }
    }

    @Test func tenMegabyteLine() {
        let word = [UInt8](repeating: UInt8(ascii: "a"), count: 10_000_000)
        let r = Frontend.parse(SourceFile(name: "big", bytes: Array("delete ".utf8) + word + Array(" b\n".utf8)))
        #expect(r.diagnostics.map(\.id.rawValue) == ["extra-tokens"])
        #expect(r.diagnostics[0].location.column == 10_000_009)
        let r2 = Frontend.parse(SourceFile(name: "big", bytes: word))
        #expect(r2.diagnostics.map(\.id.rawValue) == ["unknown-statement"])
        let printed = DiagnosticPrinter.render(r2.diagnostics, source: r2.script.source)
        #expect(printed.utf8.count < 1000)
        let string = Frontend.parse(SourceFile(name: "big", bytes: Array("delete \"".utf8) + word + [0x22]))
        #expect(string.diagnostics.isEmpty)
    }

    @Test func tenThousandNestedBraces() {
        let r = Frontend.parse(String(repeating: "{", count: 10_000) + String(repeating: "}", count: 10_000))
        #expect(r.diagnostics.map(\.id.rawValue) == ["unexpected-brace"])
        let open = Frontend.parse(String(repeating: "{\n", count: 10_000))
        #expect(open.diagnostics.map(\.id.rawValue) == ["unexpected-brace"])
        #expect(!open.isIncomplete)
    }

    @Test func tenThousandNestedForeachBlocks() {
        let r = Frontend.parse(deepNest(10_000) + "exit\n")
        #expect(r.diagnostics.map(\.id.rawValue) == ["too-deep"])
        #expect(r.diagnostics[0].location.line == Frontend.maxNestingDepth + 1)
        #expect(r.diagnostics[0].message == "blocks nested too deeply (more than 64)")
        // The outer loops and the statement after them still parse.
        #expect(r.script.statements.count == 2)
        #expect(r.script.statements.last?.kind == .exit(code: nil))
        // Destroying the (bounded) tree is fine too.
        var depth = 0
        var level = r.script.statements
        while case .foreach(_, _, _, let body)? = level.first?.kind { depth += 1; level = body }
        #expect(depth == Frontend.maxNestingDepth)
    }

    @Test func tenThousandNestedOneStatementLoops() {
        var text = ""
        var column65 = 0
        for i in 0..<10_000 {
            if i == Frontend.maxNestingDepth { column65 = text.utf8.count + 1 }
            text += "foreach v\(i) in f "
        }
        text += "delete $v0"
        let r = Frontend.parse(text)
        #expect(r.diagnostics.map(\.id.rawValue) == ["too-deep"])
        #expect(r.diagnostics.first?.location.line == 1)
        #expect(r.diagnostics.first?.location.column == column65)
    }

    @Test func hugeScriptParses() {
        var text = ""
        for i in 0..<100_000 {
            switch i % 5 {
            case 0: text += "delete 3fa85f64-5717-4562-b3fc-\(i)  # comment\n"
            case 1: text += "foreach id in \"exports/q\(i) ids.txt\" {\n"
            case 2: text += "  delete $id\n"
            case 3: text += "}\n"
            default: text += "set concurrency 16; show last\n"
            }
        }
        let r = Frontend.parse(text)
        #expect(r.diagnostics.isEmpty)
        #expect(r.script.statements.count == 80_000)
    }

    @Test func manyErrorsInAHugeInputStopEarly() {
        let r = Frontend.parse(SourceFile(name: "junk", bytes: [UInt8](repeating: 0xFF, count: 1_000_000)))
        #expect(r.diagnostics.count == 1)
        let r2 = Frontend.parse(String(repeating: "x\n", count: 500_000))
        #expect(r2.diagnostics.count == Frontend.maxErrors + 1)
    }
}

/// `n` nested foreach blocks, one per line, each binding its own variable.
func deepNest(_ n: Int) -> String {
    var text = ""
    for i in 0..<n { text += "foreach v\(i) in f {\n" }
    text += "delete $v0\n" + String(repeating: "}\n", count: n)
    return text
}
