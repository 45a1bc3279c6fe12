/// The entry point of the language front end: source text in, checked script and
/// diagnostics out. Nothing here does I/O.
public enum Frontend {
    /// Lexes, parses and checks a whole source. Never traps, whatever the bytes. `$NAME` of a
    /// parameter in `parameters` is parsed as its value written at that place.
    public static func parse(_ source: SourceFile, parameters: ScriptParameters = ScriptParameters()) -> ParseResult {
        Parser(source: source, parameters: parameters).parse()
    }

    /// `parse(SourceFile(name: name, text: text), parameters: parameters)`
    public static func parse(_ text: String, name: String = "<input>", parameters: ScriptParameters = ScriptParameters()) -> ParseResult {
        parse(SourceFile(name: name, text: text), parameters: parameters)
    }

    /// Deepest foreach nesting accepted.
    public static var maxNestingDepth: Int { Parser.maxDepth }
    /// Errors reported before the parser gives up with `too-many-errors`.
    public static var maxErrors: Int { Parser.maxErrors }
}

/// What `Frontend.parse` found.
public struct ParseResult: Sendable {
    /// The statements that parsed. Run it only when `hasErrors` is false.
    public var script: Script
    /// Every problem, in source order (a final `too-many-errors` comes last).
    public var diagnostics: [Diagnostic]
    /// The input ends inside a `{` block that is still open, and nothing else is wrong: the
    /// REPL should show its continuation prompt and read more lines, not report an error.
    /// (A string cannot span lines, so an open string is an error at once, never incomplete.)
    public var isIncomplete: Bool
    /// The input ends inside a `{` block that is still open, whatever else is wrong: the shell
    /// keeps reading the block (and drops a line with an error) until it is closed.
    public var hasOpenBlock: Bool
    /// The parameters (`-D NAME=VALUE`) the source used.
    public var usedParameters: Set<String> = []

    public init(script: Script, diagnostics: [Diagnostic], isIncomplete: Bool, hasOpenBlock: Bool = false) {
        self.script = script
        self.diagnostics = diagnostics
        self.isIncomplete = isIncomplete
        self.hasOpenBlock = hasOpenBlock
    }

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}
