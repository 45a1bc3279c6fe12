import TelnyxRecordings
import TnxLanguage
import TnxSystem

/// The checks that need more than the grammar, run on the whole script before anything is
/// sent: literal ids must be valid recording ids, id files must be readable, every loop
/// variable must have one clear role, stdin may be read once.
///
/// A `foreach` is one of two kinds, told apart by how its variable is used:
/// - over recording ids, when its body is `delete $var`: the bulk engine runs it
///   concurrently, one outcome per id;
/// - over file names, when `$var` is the source of a nested `foreach`: it runs its body once
///   per file, in order.
struct Planner {
    let context: ScriptContext
    var origin: ScriptOrigin { context.origin }
    /// `--dry-run`: `set dry-run off` is an error.
    let dryRunLocked: Bool
    /// When the check runs (ms since 1970): a query's dates must not be after it.
    let now: Int64
    private(set) var diagnostics: [Diagnostic] = []
    private var stdinLoop: SourceLocation?

    init(context: ScriptContext, dryRunLocked: Bool, now: Int64) {
        self.context = context
        self.dryRunLocked = dryRunLocked
        self.now = now
    }

    /// Every check on `script`, which may be only what parsed of a source with syntax errors:
    /// all of a script's errors are reported together.
    static func check(_ script: Script, context: ScriptContext, dryRunLocked: Bool = false, now: Int64 = WallClock.millis) -> [Diagnostic] {
        var planner = Planner(context: context, dryRunLocked: dryRunLocked, now: now)
        planner.check(script.statements, fileVariables: [])
        return planner.diagnostics
    }

    /// True when `statement` is a `foreach` that the bulk engine runs: its body is steps on its
    /// variable (`download $v to DIR`, `show recording $v`, `delete $v`), and nothing else.
    static func isIDLoop(_ statement: Statement) -> Bool {
        guard case .foreach(let variable, _, _, let body) = statement.kind, !body.isEmpty else { return false }
        return body.allSatisfy { isStep($0, on: variable) }
    }

    static func isStep(_ statement: Statement, on variable: String) -> Bool {
        switch statement.kind {
        case .delete(let target), .download(let target, _), .showRecording(let target): target.kind == .variable(variable)
        default: false
        }
    }

    /// A startup file holds `set` statements only, and none that weakens the safety gate for
    /// every later run.
    private mutating func checkStartup(_ statement: Statement) {
        switch statement.kind {
        case .set(.apiKey):
            report(.apiKeyInScript(.startupFile), at: statement.location, length: 3)
        case .set(.confirm(false)):
            report(.startupConfirmOff, at: statement.location, length: 3)
        case .set:
            break
        default:
            report(.startupNotSet, at: statement.location, length: 1)
        }
    }

    private mutating func check(_ statements: [Statement], fileVariables: Set<String>) {
        for statement in statements { check(statement, fileVariables: fileVariables) }
    }

    private mutating func check(_ statement: Statement, fileVariables: Set<String>) {
        if origin == .startup {
            checkStartup(statement)
            return
        }
        if case .set(let assignment) = statement.kind, Language.setting(assignment.key.rawValue)?.startupOnly == true {
            report(.startupOnlySetting(assignment.key), at: statement.location, length: 3)
            return
        }
        switch statement.kind {
        case .delete(let target):
            checkTarget(target, of: "delete", fileVariables: fileVariables)
        case .download(let target, let directory):
            checkDirectory(directory)
            checkTarget(target, of: "download", fileVariables: fileVariables)
        case .foreach(let variable, let variableLocation, .query(let query), let body):
            check(query)
            for condition in query.conditions {
                // The recording object has no sip_call_id: a server that ignored the filter
                // would have every recording deleted, and nothing here could tell.
                if case .field(let word, "sip_call_id", _) = condition.kind {
                    report(.unverifiableQueryField(word), at: condition.location, length: word.utf8.count)
                }
            }
            if query.conditions.isEmpty, Self.exists(context.resolve(Language.queryWord)) {
                report(.ambiguousRecordings(directory: context.directory), at: query.location, length: Language.queryWord.utf8.count)
            }
            guard !Self.isIDLoop(statement) else {
                checkSteps(body)
                return
            }
            let other = body.first { !Self.isStep($0, on: variable) }
            report(.queryLoopBody(variable: variable), at: other?.location ?? variableLocation, length: 1)
        case .foreach(let variable, let variableLocation, .file(let source), let body):
            checkSource(source, fileVariables: fileVariables)
            if Self.isIDLoop(statement) {
                checkSteps(body)
                return
            }
            if Self.usesAsSource(variable, body) {
                var inner = fileVariables
                inner.insert(variable)
                check(body, fileVariables: inner)
                return
            }
            if Self.shows(variable, body) || Self.deletes(variable, body) {
                let other = body.first { !Self.isStep($0, on: variable) }
                report(.loopBodyNotDelete(variable: variable), at: other?.location ?? body.first?.location ?? variableLocation, length: 1)
            } else {
                report(.unusedLoopVariable(variable), at: variableLocation, length: variable.utf8.count)
            }
            check(body, fileVariables: fileVariables)
        case .set(.apiKey):
            if origin != .repl && origin != .shellScript {
                report(.apiKeyInScript(.script), at: statement.location, length: 3)
            }
        case .set(.dryRun(false)) where dryRunLocked:
            report(.dryRunLocked, at: statement.location, length: 3)
        case .help(let topic?):
            if case .literal(let name) = topic.kind, Help.text(topic: name) == nil {
                report(.unknownHelpTopic(name), at: topic)
            }
        case .run(let file):
            if origin != .repl {
                report(.runOutsideShell, at: statement.location, length: 3)
            } else if case .variable(let name) = file.kind {
                // Read and checked before anything runs, so it is written out.
                report(.unreadableScript(path: "$" + name, problem: "'run' takes a script written out, not a variable: its file is read and checked before anything runs"), at: file)
            } else if case .literal(let path) = file.kind, let problem = Self.unreadable(context.resolve(path)) {
                report(.unreadableScript(path: context.resolve(path), problem: problem), at: file)
            }
        case .count(let query), .list(let query, _):
            check(query)
        case .showRecording(let target):
            switch target.kind {
            case .literal(let text):
                checkID(text, at: target)
            case .variable:
                report(.variableInQuery(.showRecording), at: target)
            }
        case .show, .set, .help, .exit:
            break
        }
    }

    /// The id of a `delete` or `download` outside a loop body of steps: a literal must be a
    /// recording id; a variable there is an error, said for what it holds.
    private mutating func checkTarget(_ target: Expr, of verb: String, fileVariables: Set<String>) {
        switch target.kind {
        case .literal(let text):
            checkID(text, at: target)
        case .variable(let name) where fileVariables.contains(name):
            report(.fileVariableDeleted(name, step: verb == "delete" ? .delete : .download), at: target)
        case .variable(let name):
            report(.deleteOutsideLoopBody(name, step: verb == "delete" ? .delete : .download), at: target)
        }
    }

    /// The steps of an id loop: `delete` last and once; download directories usable.
    private mutating func checkSteps(_ body: [Statement]) {
        for (index, step) in body.enumerated() {
            switch step.kind {
            case .delete where index != body.count - 1:
                report(.deleteNotLast, at: step.location, length: 6)
            case .download(_, let directory):
                checkDirectory(directory)
            default:
                break
            }
        }
    }

    /// A download's directory: written out, and a directory if it exists.
    private mutating func checkDirectory(_ directory: Expr) {
        switch directory.kind {
        case .variable(let name):
            report(.downloadDirectory(.variable(name)), at: directory)
        case .literal(let text):
            if text.isEmpty {
                report(.downloadDirectory(.empty), at: directory)
                return
            }
            let target: DownloadDirectory
            switch DownloadDirectory.parse(context.resolve(text)) {
            case .success(let parsed): target = parsed
            case .failure(let problem):
                let what: String
                switch problem {
                case .unbalanced: what = "a brace that does not open or close a placeholder"
                case .unknown(let name): what = "'{\(name)}'"
                case .format(let format): what = "'{created:\(format)}'"
                }
                report(.downloadDirectory(.template(what)), at: directory)
                return
            }
            switch FileKind.of(target.base) {
            case .missing, .directory: break
            case .regular, .stream:
                report(.downloadDirectory(.notADirectory(target.base)), at: directory)
            }
        }
    }

    /// A literal id must be a `RecordingID`: nothing else is ever sent.
    private mutating func checkID(_ text: String, at target: Expr) {
        do throws(InvalidRecordingID) {
            _ = try RecordingID(text)
        } catch {
            report(.invalidRecordingID(reason: error.description), at: target)
        }
    }

    /// A query's times: none in the future, and `before` after `after`.
    private mutating func check(_ query: Query) {
        var before: (millis: Int64, condition: Condition)?
        var after: (millis: Int64, condition: Condition)?
        for condition in query.conditions {
            let time: TimeValue
            switch condition.kind {
            case .createdBefore(let t): time = t
            case .createdAfter(let t): time = t
            case .field: continue
            }
            let millis = QueryPlan.millis(time, now: now)
            if case .instant = time, millis > now {
                report(.futureTime(QueryPlan.display(millis), now: QueryPlan.display(now)), at: condition.valueLocation, length: condition.valueLength)
                continue
            }
            if case .createdBefore = condition.kind { before = (millis, condition) } else { after = (millis, condition) }
        }
        if let before, let after, before.millis <= after.millis + 1 {
            report(
                .emptyTimeRange(before: QueryPlan.display(before.millis), after: QueryPlan.display(after.millis)),
                at: before.condition.valueLocation, length: before.condition.valueLength)
        }
    }

    private mutating func checkSource(_ source: Expr, fileVariables: Set<String>) {
        guard case .literal(let path) = source.kind else { return }  // `$f`: a file named in an outer file
        if path == "-" {
            switch origin {
            case .standardInput:
                report(.stdinIsScript, at: source)
            case .repl, .shellScript:
                report(.stdinInShell, at: source)
            case .file:
                if let first = stdinLoop {
                    report(.stdinReadTwice(first: first), at: source)
                } else if !fileVariables.isEmpty {
                    report(.stdinInFileLoop, at: source)
                }
                stdinLoop = stdinLoop ?? source.location
            case .startup:
                break  // a startup file holds `set` only
            }
            return
        }
        let absolute = context.resolve(path)
        if let problem = Self.unreadable(absolute) {
            report(.unreadableIDFile(path: absolute, problem: problem), at: source)
        }
    }

    static func exists(_ path: String) -> Bool {
        if case .missing = FileKind.of(path) { return false }
        return true
    }

    /// Why `path` cannot be read as an id file, or nil when it can.
    static func unreadable(_ path: String) -> String? {
        Directories.unreadable(path)
    }

    private static func usesAsSource(_ variable: String, _ body: [Statement]) -> Bool {
        body.contains { statement in
            guard case .foreach(_, _, let source, let inner) = statement.kind else { return false }
            if case .file(let file) = source, file.kind == .variable(variable) { return true }
            return usesAsSource(variable, inner)
        }
    }

    private static func shows(_ variable: String, _ body: [Statement]) -> Bool {
        body.contains { statement in
            switch statement.kind {
            case .showRecording(let target): return target.kind == .variable(variable)
            case .foreach(_, _, _, let inner): return shows(variable, inner)
            default: return false
            }
        }
    }

    private static func deletes(_ variable: String, _ body: [Statement]) -> Bool {
        body.contains { statement in
            switch statement.kind {
            case .delete(let target), .download(let target, _): return target.kind == .variable(variable)
            case .foreach(_, _, _, let inner): return deletes(variable, inner)
            default: return false
            }
        }
    }

    private mutating func report(_ message: DiagnosticMessage, at expr: Expr) {
        report(message, at: expr.location, length: expr.length)
    }

    private mutating func report(_ message: DiagnosticMessage, at location: SourceLocation, length: Int) {
        diagnostics.append(Diagnostic(message, location: location, length: length))
    }
}
