/// A problem found in a source, as a value: the printer draws it, the caller decides what
/// it means for the exit code. Modelled on swift-syntax's diagnostics.
public struct Diagnostic: Hashable, Sendable, Error, CustomStringConvertible {
    public enum Severity: String, Hashable, Sendable {
        case error, warning, note
    }

    /// What kind of problem it is: a stable name (`expected-in`, `unknown-setting`, …) that
    /// tests and tools can match on while the wording of `message` improves.
    public let id: DiagnosticID
    public var severity: Severity
    /// One sentence, lower case start, no trailing period: `expected 'in' after loop variable 'id'`.
    public let message: String
    public var location: SourceLocation
    /// How many columns the caret marks (at least 1).
    public var length: Int

    /// The id and its wording come together from `message` (a `DiagnosticMessage` factory),
    /// and the severity with the id (`DiagnosticID.severity`): never from the call site.
    public init(_ message: DiagnosticMessage, location: SourceLocation, length: Int = 1) {
        self.id = message.id
        self.severity = message.id.severity
        self.message = message.text
        self.location = location
        self.length = max(1, length)
    }

    /// `cleanup.tnx:3:14: error: expected 'in' after loop variable 'id'`
    public var description: String { "\(location): \(severity.rawValue): \(message)" }
}
