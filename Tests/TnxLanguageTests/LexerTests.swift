import Testing
@testable import TnxLanguage

private func kinds(_ text: String) -> [Token.Kind] {
    Lexer.tokenize(SourceFile(name: "t", text: text)).tokens.map(\.kind)
}

private func lex(_ bytes: [UInt8]) -> (tokens: [Token], diagnostics: [Diagnostic]) {
    Lexer.tokenize(SourceFile(name: "t", bytes: bytes))
}

@Suite struct LexerTests {
    @Test func wordsAndPunctuation() {
        let (tokens, diags) = Lexer.tokenize(SourceFile(name: "t", text: "delete a-b_c.d/e:f~g+h@i%j,k=l; {x}\n"))
        #expect(diags.isEmpty)
        #expect(tokens.map(\.kind) == [.word, .word, .semicolon, .leftBrace, .word, .rightBrace, .newline, .endOfFile])
        #expect(tokens[1].text == "a-b_c.d/e:f~g+h@i%j,k=l")
        #expect(tokens[1].location.column == 8)
        #expect(tokens[1].length == 23)
        #expect(tokens[3].location.column == 33)
    }

    @Test func stringsWithEscapes() {
        let (tokens, diags) = Lexer.tokenize(SourceFile(name: "t", text: #"delete "a \"b\" \\ c\nd\te $x #no""#))
        #expect(diags.isEmpty)
        #expect(tokens[1].kind == .string)
        #expect(tokens[1].text == "a \"b\" \\ c\nd\te $x #no")
        #expect(tokens[1].length == 27)
        #expect(tokens[2].kind == .endOfFile)
    }

    @Test func emptyStringAndUnicode() {
        let (tokens, diags) = Lexer.tokenize(SourceFile(name: "t", text: "\"\" \"héllo ✓\" wörd $x"))
        #expect(diags.isEmpty)
        #expect(tokens[0].text == "")
        #expect(tokens[1].text == "héllo ✓")
        #expect(tokens[1].length == 9)
        #expect(tokens[2].location.column == 14)
        #expect(tokens[3].location.column == 19)
    }

    @Test func variables() {
        let (tokens, diags) = Lexer.tokenize(SourceFile(name: "t", text: "$id $_x-1 $A9"))
        #expect(diags.isEmpty)
        #expect(tokens.prefix(3).map(\.kind) == [.variable, .variable, .variable])
        #expect(tokens.prefix(3).map(\.text) == ["id", "_x-1", "A9"])
        #expect(tokens[0].length == 3)
    }

    @Test func commentsAlwaysStartAtHash() {
        #expect(kinds("a#b c\nd # e ; f\n# whole line\n") == [.word, .newline, .word, .newline, .newline, .endOfFile])
        let (tokens, _) = Lexer.tokenize(SourceFile(name: "t", text: "a#b"))
        #expect(tokens[0].text == "a")
    }

    @Test func shebangLineIsAComment() {
        #expect(kinds("#!/usr/bin/env tnx\nexit\n") == [.newline, .word, .newline, .endOfFile])
    }

    @Test func crlfAndBOM() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("delete a\r\nexit\r\n".utf8)
        let (tokens, diags) = lex(bytes)
        #expect(diags.isEmpty)
        #expect(tokens.map(\.kind) == [.word, .word, .newline, .word, .newline, .endOfFile])
        #expect(tokens[0].location.column == 1)
        #expect(tokens[0].location.offset == 3)
        #expect(tokens[1].text == "a")
        #expect(tokens[3].location.line == 2)
        #expect(tokens[2].byteLength == 2)
    }

    @Test func loneCarriageReturnIsSpace() {
        #expect(kinds("a\rb") == [.word, .word, .endOfFile])
    }

    @Test func invalidUTF8IsReportedAtItsPlace() {
        let (tokens, diags) = lex(Array("delete ab".utf8) + [0xFF] + Array("c\nexit".utf8))
        #expect(diags.map(\.id.rawValue) == ["invalid-utf8"])
        #expect(diags[0].location.column == 10)
        #expect(diags[0].location.offset == 9)
        #expect(tokens[1].isMalformed)
        #expect(tokens[1].length == 4)
        #expect(tokens[3].kind == .word && tokens[3].text == "exit")
    }

    @Test func truncatedAndOverlongSequencesAreInvalid() {
        for bad: [UInt8] in [[0xC0, 0x80], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xF8]] {
            let (_, diags) = lex(Array("x ".utf8) + bad)
            #expect(diags.first?.id.rawValue == "invalid-utf8", "\(bad)")
            #expect(diags.first?.location.column == 3)
        }
    }

    @Test func nulAndControlCharacters() {
        let (_, d1) = lex([0x61, 0x00, 0x62])
        #expect(d1.map(\.id.rawValue) == ["nul-byte"])
        #expect(d1[0].location.column == 2)
        let (_, d2) = lex(Array("a\u{1B}[31m".utf8))
        #expect(d2.map(\.id.rawValue) == ["control-character"])
        #expect(d2[0].message == "control character U+001B is not allowed here")
    }

    @Test func invalidUTF8InCommentIsReported() {
        let (_, diags) = lex(Array("# caf".utf8) + [0xE9] + Array("\nexit".utf8))
        #expect(diags.map(\.id.rawValue) == ["invalid-utf8"])
        #expect(diags[0].location.column == 6)
    }

    @Test func unterminatedStringPointsAtOpeningQuote() {
        let (tokens, diags) = Lexer.tokenize(SourceFile(name: "t", text: "delete \"abc\nexit"))
        #expect(diags.map(\.id.rawValue) == ["unterminated-string"])
        #expect(diags[0].location.column == 8)
        #expect(tokens.map(\.kind) == [.word, .string, .newline, .word, .endOfFile])
    }

    @Test func dollarWithoutName() {
        let (_, diags) = Lexer.tokenize(SourceFile(name: "t", text: "delete $ $1x"))
        #expect(diags.map(\.id.rawValue) == ["invalid-variable", "invalid-variable"])
        #expect(diags.map(\.location.column) == [8, 10])
    }

    @Test func positionsAcrossLines() {
        let (tokens, _) = Lexer.tokenize(SourceFile(name: "f.tnx", text: "a\n  bb\n\tc"))
        let words = tokens.filter { $0.kind == .word }
        #expect(words.map(\.location.line) == [1, 2, 3])
        #expect(words.map(\.location.column) == [1, 3, 2])
        #expect(words.map(\.location.offset) == [0, 4, 8])
        #expect(words[1].location.description == "f.tnx:2:3")
    }
}
