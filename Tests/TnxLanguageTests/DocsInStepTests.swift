import Foundation
import Testing
import TnxLanguage

/// docs/language.md is the reference users read; `help` is what they see inside tnx. Both
/// must name the same statements, settings, values and topics.
@Suite("docs/language.md is in step with help")
struct DocsInStepTests {
    static let docs: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("docs/language.md"), encoding: .utf8)) ?? ""
    }()

    @Test("every statement has a section")
    func statements() {
        #expect(!Self.docs.isEmpty)
        let headings = Self.docs.split(separator: "\n").filter { $0.hasPrefix("### ") }
        for statement in Language.statements {
            #expect(headings.contains { $0.contains("`\(statement.keyword)") }, "\(statement.keyword)")
        }
    }

    @Test("every setting, its values and its default are documented")
    func settings() {
        for setting in Language.settings {
            #expect(Self.docs.contains("| `\(setting.key.rawValue)` |"), "\(setting.key.rawValue)")
            for value in setting.values.completions {
                #expect(Self.docs.contains("`\(value)`"), "\(setting.key.rawValue) \(value)")
            }
            if case .integer(let range) = setting.values {
                #expect(Self.docs.contains("`\(range.lowerBound)`…`\(range.upperBound)`"))
            }
            if case .choice = setting.values {
                #expect(Self.docs.contains("| `\(setting.defaultValue)` |"), "default of \(setting.key.rawValue)")
            }
        }
    }

    @Test("keep-snapshots: the docs' table says what help says, in the same words")
    func keepSnapshotsWords() {
        let spec = Language.setting(.keepSnapshots)
        #expect(Self.docs.contains("| `keep-snapshots` | an age of at least `1d` (`30d`, `12w`, `6mo`, `1y`), `off` | `\(spec.defaultValue)` | \(spec.summary) "))
        #expect(spec.values.syntax == "AGE|off")
    }

    @Test("every help topic is named")
    func topics() {
        for topic in Help.topics {
            #expect(Self.docs.contains("`\(topic)`"), "\(topic)")
        }
    }

    @Test("every query field is in the table of conditions, with the API's filter")
    func queryFields() {
        for field in Language.queryFields {
            #expect(Self.docs.contains("| `\(field.word) VALUE` |"), "\(field.word)")
            #expect(Self.docs.contains("`filter[\(field.apiName)]`"), "\(field.apiName)")
        }
    }

    @Test("the exit codes agree")
    func exitCodes() {
        let help = Help.text(topic: "exit-codes") ?? ""
        for code in ["0", "1", "2", "3", "4"] {
            #expect(help.contains(code))
            #expect(Self.docs.contains("| \(code) |"))
        }
        for code in ["130", "143", "129"] {
            #expect(help.contains(code))
            #expect(Self.docs.contains(code))
        }
        // Exit status 4 in the same words in help's table, its one-line summary and the docs.
        #expect(help.contains("4    " + Help.journalBusyMeaning.prefix(40)))
        #expect(Self.docs.contains("| 4 | \(Help.journalBusyMeaning) |"))
        let overview = (Help.text(topic: nil) ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
        #expect(overview.contains("4 " + Help.journalBusyMeaning + ";"))
    }
}

@Suite("docs/language.md lists every diagnostic id")
struct DiagnosticIDDocsTests {
    @Test("every id, with its meaning")
    func everyID() {
        for id in DiagnosticID.allCases {
            #expect(DocsInStepTests.docs.contains("| `\(id.rawValue)` | \(id.meaning) |"), "\(id.rawValue)")
        }
    }
}
