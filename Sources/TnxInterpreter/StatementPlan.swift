import TelnyxRecordings
import TnxLanguage

/// What a checked statement does, decided once, by the planner, after its checks: the safety
/// gate counts from it (`SafetyGate.estimate`), `--check` describes it, and the interpreter runs
/// it, so what is counted and what is done agree by construction. Nothing re-derives a loop's
/// kind from the syntax tree at run time.
struct PlannedStatement: Sendable {
    /// Where the statement starts, for messages.
    let location: SourceLocation
    let keyword: StatementKeyword
    let action: PlannedAction
}

/// The steps a loop runs on each id, in order: `download $id to DIR`, `show recording $id`,
/// `delete $id` (last).
struct LoopSteps: Sendable, Hashable {
    var steps: [Pipeline.Step]

    /// The last step deletes.
    var deletes: Bool { steps.last == .delete }
    /// Only `delete`: the bulk engine's plain path, with no read per id.
    var isDeleteOnly: Bool { steps == [.delete] }
    var downloads: Bool { steps.contains { if case .download = $0 { true } else { false } } }

    /// The loop's pipeline, in the media format of when it starts (`set format`).
    func pipeline(format: MediaFormat) -> Pipeline { Pipeline(steps: steps, format: format) }
}

/// Where an id loop or a loop over files reads: a path (absolute), or the file a variable of
/// an enclosing loop over files names at run time.
enum PlannedSource: Sendable, Hashable {
    case path(String, written: String)
    case variable(String)

    /// The path, with `bindings` for a variable (resolved against `context`).
    func path(_ bindings: [String: String], context: ScriptContext) -> String {
        switch self {
        case .path(let path, _): path
        case .variable(let name): context.resolve(bindings[name] ?? "")
        }
    }
}

indirect enum PlannedAction: Sendable {
    /// `delete ID`.
    case deleteOne(RecordingID)
    /// `download ID to DIR` (absolute).
    case downloadOne(RecordingID, directory: String)
    /// `foreach id in FILE { steps }`: the bulk engine.
    case idLoop(PlannedSource, LoopSteps)
    /// `foreach id in recordings where … { steps }`: a purge by query (or a body that only
    /// downloads or shows).
    case queryLoop(Query, LoopSteps)
    /// `foreach f in FILES body`: the body once per file name, in order.
    case fileLoop(variable: String, PlannedSource, body: [PlannedStatement])
    case count(Query)
    case list(Query, limit: Int?)
    case showRecording(RecordingID)
    case showSettings
    case showLast
    case set(SettingAssignment)
    /// `set api-key`: asks at the terminal.
    case setAPIKey
    case help(topic: String?)
    /// `run FILE` (absolute).
    case run(String)
    case exit(code: Int?)
}

extension Planner {
    /// The plan of `statements`, which passed every check. A shape the checks let through
    /// that the plan cannot hold is a checker's bug: nil, and the script does not run.
    static func plan(_ statements: [Statement], context: ScriptContext) -> [PlannedStatement]? {
        var planned: [PlannedStatement] = []
        for statement in statements {
            guard let action = action(of: statement, context: context) else { return nil }
            planned.append(PlannedStatement(location: statement.location, keyword: keyword(of: statement), action: action))
        }
        return planned
    }

    static func keyword(of statement: Statement) -> StatementKeyword {
        switch statement.kind {
        case .delete: .delete
        case .download: .download
        case .foreach: .foreach
        case .show, .showRecording: .show
        case .count: .count
        case .list: .list
        case .set: .set
        case .help: .help
        case .run: .run
        case .exit: .exit
        }
    }

    private static func action(of statement: Statement, context: ScriptContext) -> PlannedAction? {
        switch statement.kind {
        case .delete(let target):
            return literalID(target).map { .deleteOne($0) }
        case .download(let target, let directory):
            guard let id = literalID(target), case .literal(let path) = directory.kind else { return nil }
            return .downloadOne(id, directory: context.resolve(path))
        case .foreach(let variable, _, let source, let body):
            switch source {
            case .query(let query):
                guard let steps = steps(of: body, on: variable, context: context) else { return nil }
                return .queryLoop(query, steps)
            case .file(let expr):
                let from: PlannedSource =
                    switch expr.kind {
                    case .literal(let text): .path(context.resolve(text), written: text)
                    case .variable(let name): .variable(name)
                    }
                if isIDLoop(statement), let steps = steps(of: body, on: variable, context: context) {
                    return .idLoop(from, steps)
                }
                guard let inner = plan(body, context: context) else { return nil }
                return .fileLoop(variable: variable, from, body: inner)
            }
        case .show(.settings): return .showSettings
        case .show(.last): return .showLast
        case .show(.recording): return nil  // parsed as `showRecording`
        case .showRecording(let target): return literalID(target).map { .showRecording($0) }
        case .count(let query): return .count(query)
        case .list(let query, let limit): return .list(query, limit: limit)
        case .set(.apiKey): return .setAPIKey
        case .set(let assignment): return .set(assignment)
        case .help(let topic):
            return .help(topic: topic.flatMap { if case .literal(let text) = $0.kind { text } else { nil } })
        case .run(let file):
            guard case .literal(let path) = file.kind else { return nil }
            return .run(context.resolve(path))
        case .exit(let code): return .exit(code: code)
        }
    }

    private static func literalID(_ target: Expr) -> RecordingID? {
        guard case .literal(let text) = target.kind else { return nil }
        return try? RecordingID(text)
    }

    /// The steps of a body that is all steps on `variable`.
    private static func steps(of body: [Statement], on variable: String, context: ScriptContext) -> LoopSteps? {
        var steps: [Pipeline.Step] = []
        for step in body {
            guard isStep(step, on: variable) else { return nil }
            switch step.kind {
            case .delete: steps.append(.delete)
            case .showRecording: steps.append(.show)
            case .download(_, let directory):
                guard case .literal(let path) = directory.kind else { return nil }
                steps.append(.download(directory: context.resolve(path)))
            default: return nil
            }
        }
        return steps.isEmpty ? nil : LoopSteps(steps: steps)
    }
}
