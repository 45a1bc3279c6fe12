import TnxLanguage
import TnxSystem

/// A startup file (`init.tnx`, a profile): checked like any script, with the rules of its
/// own (`set` only, no `set confirm off`), and never run statement by statement: what it sets
/// is read before the client opens, since two of its settings decide where requests go and
/// which key they carry.
public enum StartupFile {
    /// One `set` of a startup file, with its place (`profiles/prod.tnx:2`).
    public struct Assignment: Sendable, Hashable {
        public var assignment: SettingAssignment
        public var place: String
    }

    /// Every diagnostic of a file with errors (warnings too), for `DiagnosticPrinter`.
    public struct Problems: Error {
        public var diagnostics: [Diagnostic]
    }

    /// The file's assignments in order, or its problems.
    public static func read(_ source: SourceFile) -> Result<[Assignment], Problems> {
        let context = ScriptContext(origin: .startup, directory: Directories.containing(source.name))
        let (script, diagnostics) = ScriptChecker.diagnose(source, context: context, settings: Settings())
        if diagnostics.contains(where: { $0.severity == .error }) { return .failure(Problems(diagnostics: diagnostics)) }
        return .success(
            script.statements.compactMap { statement -> Assignment? in
                guard case .set(let assignment) = statement.kind else { return nil }
                return Assignment(assignment: assignment, place: "\(source.name):\(statement.location.line)")
            })
    }
}
