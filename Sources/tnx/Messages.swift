import TerminalText
import TnxInterpreter

/// The executable's own messages on stderr (before an interpreter exists, or about the
/// process): `tnx: error: …`. Sanitised, since they quote paths and option values from the
/// command line.
enum Messages {
    static func error(_ text: String) {
        FileOutput.standardError.write("tnx: error: " + TerminalText.sanitized(text) + "\n")
    }

    /// `--verbose`: one HTTP exchange (the client has redacted and sanitised it).
    static func trace(_ text: String) {
        FileOutput.standardError.write("tnx: " + TerminalText.sanitized(text, oneLine: true) + "\n")
    }

    static func warning(_ text: String) {
        FileOutput.standardError.write("tnx: warning: " + TerminalText.sanitized(text) + "\n")
    }
}
