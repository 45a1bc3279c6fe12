import Foundation
import Testing
import TnxLanguage

/// The grammar at the top of Parser.swift is what a reader of the parser goes by: its
/// `statement` rule names every statement the language has, and no other.
@Suite("Parser.swift's grammar lists every statement")
struct GrammarTests {
    /// The comment lines at the top of Parser.swift, without their `//`.
    static let header: [String] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = (try? String(contentsOf: root.appendingPathComponent("Sources/TnxLanguage/Parser.swift"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .drop { !$0.hasPrefix("//") }
            .prefix { $0.hasPrefix("//") }
            .map { String($0.dropFirst(2)) }
    }()

    /// The first quoted word of each alternative of `statement := … | … | …`.
    static var statementKeywords: [String] {
        var keywords: [String] = []
        var inRule = false
        for line in header {
            var rest = line.trimmingCharacters(in: .whitespaces)
            if rest.hasPrefix("statement :=") {
                inRule = true
                rest = String(rest.dropFirst("statement :=".count))
            } else if inRule, rest.hasPrefix("|") {
                rest = String(rest.dropFirst())
            } else if inRule, rest.contains(":=") {
                break
            } else {
                continue
            }
            rest = rest.trimmingCharacters(in: .whitespaces)
            guard rest.hasPrefix("'"), let close = rest.dropFirst().firstIndex(of: "'") else { continue }
            keywords.append(String(rest[rest.index(after: rest.startIndex)..<close]))
        }
        return keywords
    }

    @Test("every StatementKeyword starts an alternative of the statement rule, and nothing else does")
    func everyKeyword() {
        #expect(!Self.header.isEmpty)
        let listed = Set(Self.statementKeywords)
        for keyword in StatementKeyword.allCases {
            #expect(listed.contains(keyword.rawValue), "the grammar in Parser.swift lacks '\(keyword.rawValue)'")
        }
        #expect(listed == Set(StatementKeyword.allCases.map(\.rawValue)), "\(listed)")
    }
}
