import TerminalText

/// The values a command line gives its scripts: `tnx -D caller=+12125551940 erase.tnx` (or
/// `--set caller=…`) makes `$caller` mean `+12125551940` wherever the script writes a value (an
/// id, an id file, a directory, a query's value or time, a setting's value, a `limit`).
///
/// The parser puts the value in the place of `$caller` as a literal with the place of
/// `$caller` (`Parser.parameterToken`), so everything after it — the planner's checks, the plan,
/// the safety gate, the engines — sees what the same text written there would be, and checks
/// it the same way, before anything runs. It is one value, never more script: a `;` or a `"`
/// in it is just a character of the value. A relative path given this way starts from the
/// directory tnx was started in (where the command line was typed), not the script's.
///
/// Every command-line error about parameters is worded here (`ParameterError`); what a script
/// does wrong with them is a `DiagnosticMessage`.
public struct ScriptParameters: Hashable, Sendable {
    /// The values by name.
    public private(set) var values: [String: String] = [:]
    /// The names, in the order given.
    public private(set) var names: [String] = []
    /// Absolute: where a relative path given as a parameter starts.
    public var directory: String
    /// Whether the source may use parameters at all: false for startup files, which run in
    /// every invocation whatever its `-D`.
    public var accepted: Bool

    /// No parameters, in a source that could take some (`-c`, a script, the shell).
    public init(directory: String = "/") {
        self.directory = directory
        self.accepted = true
    }

    /// No parameters, in a source that can take none (a startup file).
    public static let notAccepted: ScriptParameters = {
        var p = ScriptParameters()
        p.accepted = false
        return p
    }()

    /// Parses the `-D NAME=VALUE` definitions of a command line, in order.
    /// - Throws: the first definition that is malformed (no `=`, a name that is not one, a
    ///   value with a control character) or gives a name again.
    public init(definitions: [String], directory: String) throws(ParameterError) {
        self.init(directory: directory)
        for (index, definition) in definitions.enumerated() {
            let (name, value) = try Self.parse(definition, number: index + 1)
            guard values[name] == nil else { throw ParameterError.given(twice: name) }
            values[name] = value
            names.append(name)
        }
    }

    public var isEmpty: Bool { names.isEmpty }

    public subscript(name: String) -> String? { values[name] }

    /// `NAME=VALUE` split at its first `=`, both checked; `number` says which `-D` it is.
    public static func parse(_ definition: String, number: Int = 1) throws(ParameterError) -> (name: String, value: String) {
        guard let equals = definition.firstIndex(of: "=") else { throw ParameterError.noEquals(number: number) }
        let name = String(definition[..<equals])
        let value = String(definition[definition.index(after: equals)...])
        guard isName(name) else { throw ParameterError.badName(name) }
        for (index, scalar) in value.unicodeScalars.enumerated() where TerminalText.isUnsafe(scalar) {
            throw ParameterError.controlCharacter(name: name, scalar: scalar.value, position: index + 1)
        }
        return (name, value)
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`: a loop variable's name without `-`, so that a parameter is
    /// the same name in a shell variable, a Makefile or a cron line.
    public static func isName(_ s: String) -> Bool {
        guard let first = s.utf8.first else { return false }
        func letter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F }
        return letter(first) && s.utf8.dropFirst().allSatisfy { letter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// The value as a path where a file or directory goes: a relative one under `directory`
    /// (`-`, stdin, and an empty value stay as they are, for the checks that follow).
    func path(_ value: String) -> String {
        if value.isEmpty || value == "-" || value.hasPrefix("/") { return value }
        var relative = Substring(value)
        while relative.hasPrefix("./") { relative = relative.dropFirst(2) }
        return directory == "/" ? "/" + relative : directory + "/" + relative
    }

    /// The first parameter whose value holds one of `secrets` (the API keys the command line
    /// knows, each of at least 8 characters), as the error to stop on.
    public func holdingSecret(_ secrets: [String]) -> ParameterError? {
        let keys = secrets.filter { $0.utf8.count >= 8 }
        guard let name = names.first(where: { name in keys.contains { values[name]!.contains($0) } }) else { return nil }
        return .holdsKey(name)
    }

    /// The names given that no source of an invocation used, in the order given.
    public func unused(_ used: Set<String>) -> [String] {
        names.filter { !used.contains($0) }
    }
}

/// A command line's `-D` that cannot be used, or is not used; `message` says which and why,
/// and never quotes a value (it may be anything).
public struct ParameterError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String

    private init(_ message: String) { self.message = message }

    public var description: String { message }

    static let nameRule = "a name is a letter or '_' followed by letters, digits or '_'"

    /// Not quoted: without its `=`, it is not known what the text is.
    static func noEquals(number: Int) -> Self {
        let which = number == 1 ? "" : " (the -D number \(number))"
        return Self("-D needs NAME=VALUE, and this one has no '='\(which): write -D NAME=VALUE, e.g. -D caller=+12125551940, and use it as $NAME in the script")
    }

    static func badName(_ name: String) -> Self {
        if name.isEmpty { return Self("-D =…: the name before '=' is missing; write -D NAME=VALUE (\(nameRule))") }
        return Self("-D \(TerminalText.quoted(name, limit: 48))=…: not a parameter name; \(nameRule)")
    }

    static func controlCharacter(name: String, scalar: UInt32, position: Int) -> Self {
        Self("-D \(name)=…: the value has a control character (U+\(TerminalText.hex(scalar))) at position \(position); a parameter is one line of printable text")
    }

    /// Never quotes the value: it holds the key.
    static func holdsKey(_ name: String) -> Self {
        Self("-D \(name)=…: the value holds the API key, which would then show in messages, the journal and requests; a key belongs in TELNYX_API_KEY (or --api-key, or a profile's api-key-command), never in a script's values; nothing was run or sent")
    }

    static func given(twice name: String) -> Self {
        Self("-D \(name) is given twice; give each parameter once")
    }

    /// Parameters that no script of the invocation uses: most likely a misspelt name, which
    /// would leave the script doing what its own text says instead.
    public static func unused(_ names: [String], scripts: [String]) -> Self {
        let list = names.map { "-D \($0)" }.joined(separator: ", ")
        let refs = names.map { "$" + $0 }.joined(separator: ", ")
        let verb = names.count == 1 ? "is" : "are"
        let whom = scripts.count == 1 ? TerminalText.sanitized(scripts[0], limit: 120) : "any of the \(scripts.count) scripts"
        return Self("\(list) \(verb) given but \(whom) never uses \(refs) (a misspelt name?); nothing was run or sent")
    }
}
