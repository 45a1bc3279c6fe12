/// A named piece of tnx source: a script file, `-c` text, stdin, or one REPL entry.
///
/// The front end works on the raw bytes, so invalid UTF-8 or NUL bytes give diagnostics
/// instead of traps.
public struct SourceFile: Sendable {
    /// What diagnostics call this source: a path, `<command line>`, `<stdin>`, `<shell>`.
    public let name: String
    public let bytes: [UInt8]

    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }

    public init(name: String, text: String) {
        self.init(name: name, bytes: Array(text.utf8))
    }
}

/// A place in a source: 1-based line and column. Columns count Unicode scalars (an invalid
/// byte counts as one), which is what a caret under the line needs.
public struct SourceLocation: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    /// Byte offset of the place in the source, for slicing the line out again.
    public var offset: Int

    public init(file: String, line: Int, column: Int, offset: Int) {
        self.file = file
        self.line = line
        self.column = column
        self.offset = offset
    }

    /// `cleanup.tnx:3:14`
    public var description: String { "\(file):\(line):\(column)" }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}
