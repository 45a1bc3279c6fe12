import TerminalText

// Over 400 lines on purpose: one scanner over raw bytes, whose token rules (below) share the
// position, line and column bookkeeping; the two scanning loops of words and comments look
// alike but differ in what ends them and in what they report.

/// Turns the bytes of a `SourceFile` into tokens, one at a time (`next()`), so a parser that
/// stops early (too many errors) never lexes the rest of a huge input.
///
/// Lexical rules:
/// - whitespace is space, tab and a carriage return not followed by a line feed;
/// - a line ends at LF or CRLF, and each line end is a `newline` token;
/// - `#` always starts a comment to the end of the line, also inside a word (`a#b` is the
///   word `a` and a comment); a `#!` first line is therefore a comment too;
/// - `;` `{` `}` are tokens of their own; `"` starts a string; `$` starts a variable;
/// - a word is any other run of characters (letters, digits, `- _ . / : ~ + @ % , =`, non-ASCII…);
/// - a string is `"…"` on one line with the escapes `\"` `\\` `\n` `\t`; a line end or the end
///   of the input before the closing quote is `unterminated string` at the opening quote;
/// - a variable is `$` and a name: `[A-Za-z_][A-Za-z0-9_-]*`;
/// - a UTF-8 byte order mark at the very start is skipped;
/// - invalid UTF-8 (anywhere, comments included), NUL bytes and other control characters
///   (except in comments) are errors at their exact place.
public struct Lexer {
    public let source: SourceFile
    private let bytes: [UInt8]
    private let fileName: String
    private let startOffset: Int
    private var pos: Int
    private var line = 1
    private var column = 1
    /// Diagnostics not yet taken (internal: the parser checks it without copying the lexer).
    var pending: [Diagnostic] = []

    /// The last token returned was lexed up to the end of the input while inside a comment.
    public private(set) var endedInComment = false
    /// The input ended inside an open string.
    public private(set) var endedInsideString = false

    public init(source: SourceFile) {
        self.source = source
        self.bytes = source.bytes
        self.fileName = source.name
        let b = source.bytes
        self.pos = (b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) ? 3 : 0
        self.startOffset = pos
    }

    /// Diagnostics found since the last call, in source order.
    public mutating func takeDiagnostics() -> [Diagnostic] {
        if pending.isEmpty { return [] }
        defer { pending.removeAll() }
        return pending
    }

    /// Every token up to and including `endOfFile`, and every lexical diagnostic.
    public static func tokenize(_ source: SourceFile) -> (tokens: [Token], diagnostics: [Diagnostic]) {
        var lexer = Lexer(source: source)
        var tokens: [Token] = []
        while true {
            let t = lexer.next()
            tokens.append(t)
            if t.kind == .endOfFile { break }
        }
        return (tokens, lexer.takeDiagnostics())
    }

    // MARK: - Character classes

    /// Not whitespace, a line end, or one of `# ; { } " $`.
    @inline(__always) static func isWordByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x20, 0x09, 0x0A, 0x0D, 0x23, 0x3B, 0x7B, 0x7D, 0x22, 0x24: false
        default: true
        }
    }

    private var here: SourceLocation {
        SourceLocation(file: fileName, line: line, column: column, offset: pos)
    }

    // MARK: - Tokens

    public mutating func next() -> Token {
        var afterSpace = pos == startOffset
        while pos < bytes.count {
            let b = bytes[pos]
            switch b {
            case 0x20, 0x09:
                pos += 1; column += 1; afterSpace = true
            case 0x0D where pos + 1 < bytes.count && bytes[pos + 1] == 0x0A:
                return newline(bytes: 2, afterSpace: afterSpace)
            case 0x0D:
                pos += 1; column += 1; afterSpace = true
            case 0x0A:
                return newline(bytes: 1, afterSpace: afterSpace)
            case UInt8(ascii: "#"):
                skipComment()
                afterSpace = true
            case UInt8(ascii: ";"):
                return punctuation(.semicolon, ";", afterSpace)
            case UInt8(ascii: "{"):
                return punctuation(.leftBrace, "{", afterSpace)
            case UInt8(ascii: "}"):
                return punctuation(.rightBrace, "}", afterSpace)
            case UInt8(ascii: "\""):
                return string(afterSpace)
            case UInt8(ascii: "$"):
                return variable(afterSpace)
            default:
                return word(afterSpace)
            }
        }
        return Token(kind: .endOfFile, text: "", location: here, length: 1, byteLength: 0, isAfterSpace: afterSpace)
    }

    private mutating func newline(bytes count: Int, afterSpace: Bool) -> Token {
        let t = Token(kind: .newline, text: "\n", location: here, length: 1, byteLength: count, isAfterSpace: afterSpace)
        pos += count
        line += 1
        column = 1
        return t
    }

    private mutating func punctuation(_ kind: Token.Kind, _ text: String, _ afterSpace: Bool) -> Token {
        let t = Token(kind: kind, text: text, location: here, length: 1, byteLength: 1, isAfterSpace: afterSpace)
        pos += 1
        column += 1
        return t
    }

    private mutating func skipComment() {
        // Scan on locals (fast in debug builds too); report the first bad byte afterwards.
        var p = pos
        var columns = 0
        var bad: (offset: Int, column: Int, kind: ScalarKind)?
        bytes.withUnsafeBufferPointer { buf in
            let n = buf.count
            while p < n {
                let b = buf[p]
                if b == 0x0A || (b == 0x0D && p + 1 < n && buf[p + 1] == 0x0A) { break }
                if b < 0x80 && b != 0 {
                    p += 1
                } else {
                    let (length, kind) = Lexer.decode(buf, at: p)
                    if bad == nil, kind == .invalid || kind == .nul { bad = (p, columns, kind) }
                    p += length
                }
                columns += 1
            }
        }
        if let bad {
            report(bad.kind, at: SourceLocation(file: fileName, line: line, column: column + bad.column, offset: bad.offset))
        }
        pos = p
        column += columns
        endedInComment = pos >= bytes.count
    }

    private mutating func word(_ afterSpace: Bool) -> Token {
        let start = here
        let (malformed, columns) = scanWordRun()
        let text = malformed ? repairedText(start.offset, pos) : self.text(start.offset, pos)
        return Token(kind: .word, text: text, location: start, length: columns, byteLength: pos - start.offset,
                     isMalformed: malformed, isAfterSpace: afterSpace)
    }

    private mutating func variable(_ afterSpace: Bool) -> Token {
        let start = here
        pos += 1
        column += 1
        let nameStart = pos
        let (malformed, columns) = scanWordRun()
        let name = malformed ? repairedText(nameStart, pos) : text(nameStart, pos)
        let nameIsEmpty = nameStart == pos
        var bad = malformed
        if !malformed {
            if nameIsEmpty {
                pending.append(Diagnostic(.invalidVariable(name: name), location: start, length: 1))
                bad = true
            } else if !Lexer.isName(name) {
                pending.append(Diagnostic(.invalidVariable(name: name), location: start, length: columns + 1))
                bad = true
            }
        }
        return Token(kind: .variable, text: name, location: start, length: columns + 1, byteLength: pos - start.offset,
                     isMalformed: bad, isAfterSpace: afterSpace)
    }

    /// `[A-Za-z_][A-Za-z0-9_-]*`
    public static func isName(_ s: String) -> Bool {
        var first = true
        for b in s.utf8 {
            let letter = (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
            if first {
                if !letter { return false }
                first = false
            } else if !(letter || (b >= 0x30 && b <= 0x39) || b == 0x2D) {
                return false
            }
        }
        return !first
    }

    /// Consumes a run of word bytes, reporting the first bad character in it.
    private mutating func scanWordRun() -> (malformed: Bool, columns: Int) {
        var p = pos
        var columns = 0
        var bad: (offset: Int, column: Int, kind: ScalarKind)?
        bytes.withUnsafeBufferPointer { buf in
            let n = buf.count
            while p < n {
                let b = buf[p]
                if b > 0x20 && b < 0x7F {
                    if !Lexer.isWordByte(b) { break }
                    p += 1
                } else {
                    if !Lexer.isWordByte(b) { break }
                    let (length, kind) = Lexer.decode(buf, at: p)
                    if bad == nil, kind != .ok { bad = (p, columns, kind) }
                    p += length
                }
                columns += 1
            }
        }
        if let bad {
            report(bad.kind, at: SourceLocation(file: fileName, line: line, column: column + bad.column, offset: bad.offset))
        }
        pos = p
        column += columns
        return (bad != nil, columns)
    }

    /// The text of `bytes[from..<to]` with each invalid byte replaced by U+FFFD (done here
    /// rather than by String's own repair, which throws internally once per invalid byte).
    private func repairedText(_ from: Int, _ to: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(to - from)
        bytes.withUnsafeBufferPointer { buf in
            var p = from
            while p < to {
                let (length, kind) = Lexer.decode(buf, at: p)
                if kind == .invalid || p + length > to {
                    out.append(0xEF); out.append(0xBF); out.append(0xBD)
                    p += 1
                } else {
                    for i in p..<(p + length) { out.append(buf[i]) }
                    p += length
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The text of `bytes[from..<to]`, which must be valid UTF-8 (else use `repairedText`).
    private func text(_ from: Int, _ to: Int) -> String {
        if from >= to { return "" }
        return bytes.withUnsafeBufferPointer { buf in
            String(unsafeUninitializedCapacity: to - from) { out in
                UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: buf.baseAddress! + from, byteCount: to - from)
                return to - from
            }
        }
    }

    private mutating func string(_ afterSpace: Bool) -> Token {
        let start = here
        pos += 1
        column += 1
        // The value is a slice of the source until the first escape; then it is built here.
        var value: [UInt8]? = nil
        var runStart = pos
        var malformed = false
        var closed = false
        func flush(_ to: Int) {
            if value == nil { value = [] }
            var i = runStart
            while i < to { value!.append(bytes[i]); i += 1 }
        }
        while true {
            // Fast path: a run of plain printable ASCII.
            var p = pos
            bytes.withUnsafeBufferPointer { buf in
                while p < buf.count {
                    let b = buf[p]
                    if b >= 0x20 && b < 0x7F && b != 0x22 && b != 0x5C { p += 1 } else { break }
                }
            }
            column += p - pos
            pos = p
            if pos >= bytes.count || bytes[pos] == 0x0A
                || (bytes[pos] == 0x0D && pos + 1 < bytes.count && bytes[pos + 1] == 0x0A) {
                if pos >= bytes.count { endedInsideString = true }
                pending.append(Diagnostic(.unterminatedString, location: start, length: 1))
                malformed = true
                if value != nil { flush(pos) }
                break
            }
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                if value != nil { flush(pos) }
                pos += 1
                column += 1
                closed = true
                break
            }
            if b == UInt8(ascii: "\\"), pos + 1 < bytes.count {
                let e = bytes[pos + 1]
                let escaped: UInt8? = switch e {
                case UInt8(ascii: "\""): e
                case UInt8(ascii: "\\"): e
                case UInt8(ascii: "n"): 0x0A
                case UInt8(ascii: "t"): 0x09
                default: nil
                }
                if let escaped {
                    flush(pos)
                    value!.append(escaped)
                    pos += 2
                    column += 2
                    runStart = pos
                    continue
                }
                if e != 0x0A && e != 0x0D {
                    flush(pos)
                    let at = here
                    pos += 1
                    column += 1
                    let scalarStart = pos
                    let kind = scanScalar()
                    if kind == .invalid || kind == .nul {
                        if !malformed { report(kind, at: SourceLocation(file: fileName, line: at.line, column: at.column + 1, offset: scalarStart)) }
                    } else if !malformed {
                        let shown = text(scalarStart, pos)
                        pending.append(Diagnostic(.unknownEscape(shown), location: at, length: 2))
                    }
                    malformed = true
                    runStart = scalarStart
                    continue
                }
                // A backslash right before the line end: taken literally; the line end then
                // reports the unterminated string.
            }
            let at = here
            let kind = scanScalar()
            if kind != .ok, !(kind == .control && b == 0x09) {
                if !malformed { report(kind, at: at) }
                malformed = true
            }
        }
        let contentEnd = closed ? pos - 1 : pos
        let result: String
        if let value {
            result = malformed ? Lexer.repaired(value) : String(decoding: value, as: UTF8.self)
        } else {
            result = malformed ? repairedText(start.offset + 1, contentEnd) : text(start.offset + 1, contentEnd)
        }
        return Token(kind: .string, text: result, location: start,
                     length: column - start.column, byteLength: pos - start.offset,
                     isMalformed: malformed, isAfterSpace: afterSpace)
    }

    // MARK: - UTF-8

    static func repaired(_ bytes: [UInt8]) -> String {
        let lexer = Lexer(source: SourceFile(name: "", bytes: [0x20] + bytes))
        return lexer.repairedText(1, bytes.count + 1)
    }

    enum ScalarKind { case ok, invalid, nul, control }

    /// Advances over one scalar (or one invalid byte), one column.
    private mutating func scanScalar() -> ScalarKind {
        let (length, kind) = bytes.withUnsafeBufferPointer { Lexer.decode($0, at: pos) }
        pos += length
        column += 1
        return kind
    }

    /// Length in bytes and kind of the scalar at `i` (an invalid byte has length 1).
    static func decode(_ bytes: [UInt8], at i: Int) -> (Int, ScalarKind) {
        bytes.withUnsafeBufferPointer { decode($0, at: i) }
    }

    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (Int, ScalarKind) {
        let b = bytes[i]
        if b < 0x80 {
            if b == 0 { return (1, .nul) }
            if b < 0x20 || b == 0x7F { return (1, .control) }
            return (1, .ok)
        }
        @inline(__always) func cont(_ j: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
            j < bytes.count && bytes[j] >= lo && bytes[j] <= hi
        }
        switch b {
        case 0xC2...0xDF:
            guard cont(i + 1) else { return (1, .invalid) }
            // C1 controls U+0080…U+009F
            if b == 0xC2 && bytes[i + 1] <= 0x9F { return (2, .control) }
            return (2, .ok)
        case 0xE0:
            return cont(i + 1, 0xA0, 0xBF) && cont(i + 2) ? (3, .ok) : (1, .invalid)
        case 0xE1...0xEC, 0xEE...0xEF:
            return cont(i + 1) && cont(i + 2) ? (3, .ok) : (1, .invalid)
        case 0xED:
            return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? (3, .ok) : (1, .invalid)
        case 0xF0:
            return cont(i + 1, 0x90, 0xBF) && cont(i + 2) && cont(i + 3) ? (4, .ok) : (1, .invalid)
        case 0xF1...0xF3:
            return cont(i + 1) && cont(i + 2) && cont(i + 3) ? (4, .ok) : (1, .invalid)
        case 0xF4:
            return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? (4, .ok) : (1, .invalid)
        default:
            return (1, .invalid)
        }
    }

    private mutating func report(_ kind: ScalarKind, at location: SourceLocation) {
        switch kind {
        case .ok:
            return
        case .invalid:
            let byte = bytes[location.offset]
            pending.append(Diagnostic(.invalidUTF8(byte: byte), location: location))
        case .nul:
            pending.append(Diagnostic(.nulByte, location: location))
        case .control:
            let (length, _) = Lexer.decode(bytes, at: location.offset)
            let value: UInt32 = length == 1 ? UInt32(bytes[location.offset]) : UInt32(bytes[location.offset + 1])
            pending.append(Diagnostic(.controlCharacter(scalar: value), location: location))
        }
    }
}
