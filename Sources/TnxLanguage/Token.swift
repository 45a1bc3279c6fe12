import TerminalText

/// One lexical unit of tnx source.
public struct Token: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// A bare word: a run of anything but whitespace and `# ; { } " $`.
        case word
        /// A `"…"` string; `text` holds the value with escapes resolved.
        case string
        /// `$name`; `text` holds `name` (without the `$`).
        case variable
        case leftBrace
        case rightBrace
        case semicolon
        /// A line feed (a CRLF pair is one newline token).
        case newline
        case endOfFile
    }

    public var kind: Kind
    /// word: the word; string: its value; variable: the name; punctuation: itself;
    /// newline: `"\n"`; end of file: `""`.
    public var text: String
    public var location: SourceLocation
    /// Columns (Unicode scalars) the token spans in the source; at least 1 (end of file and
    /// newline tokens mark the one column where they sit).
    public var length: Int
    /// Bytes the token spans in the source (0 for end of file).
    public var byteLength: Int
    /// The lexer already reported a problem inside this token (invalid UTF-8, a NUL byte,
    /// an unterminated string, …). The parser does not report it a second time.
    public var isMalformed: Bool
    /// Whitespace, a comment or the start of the source comes right before the token.
    public var isAfterSpace: Bool

    public init(kind: Kind, text: String, location: SourceLocation, length: Int, byteLength: Int,
                isMalformed: Bool = false, isAfterSpace: Bool = true) {
        self.kind = kind
        self.text = text
        self.location = location
        self.length = length
        self.byteLength = byteLength
        self.isMalformed = isMalformed
        self.isAfterSpace = isAfterSpace
    }

    /// How diagnostics name the token: `'delete'`, `'{'`, `the end of the line`, `"a b"`.
    public var displayName: String {
        switch kind {
        case .word: return Quote.single(text)
        case .string: return "string " + Quote.double(text)
        case .variable: return Quote.single("$" + text)
        case .leftBrace: return "'{'"
        case .rightBrace: return "'}'"
        case .semicolon: return "';'"
        case .newline: return "the end of the line"
        case .endOfFile: return "the end of the input"
        }
    }

    /// The token ends a statement (newline, `;`, end of file).
    public var isStatementEnd: Bool {
        kind == .newline || kind == .semicolon || kind == .endOfFile
    }
}

/// Quoting of user text inside messages: unsafe characters escaped (`TerminalText`, the one
/// sanitiser) and very long text shortened, so a diagnostic never carries raw terminal
/// escapes or megabytes.
public enum Quote {
    public static let maxScalars = 48

    public static func single(_ s: String) -> String { "'" + sanitize(s) + "'" }
    public static func double(_ s: String) -> String { "\"" + sanitize(s) + "\"" }

    public static func sanitize(_ s: String, limit: Int = maxScalars) -> String {
        TerminalText.sanitized(s, limit: limit)
    }
}
