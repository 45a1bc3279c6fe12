import TnxLanguage

/// The front end of a run, before anything runs: parse, check (the parser's diagnostics, then
/// the planner's, all at once in source order), print the diagnostics, and plan
/// (`Planner.plan`). The interpreter, `--check`, `run FILE` and startup files go through it.
enum ScriptChecker {
    /// The parameters given to `inputs` that none of them used (`used`), as the error to stop on.
    static func unusedParameters(_ inputs: [Interpreter.Input], used: Set<String>) -> ParameterError? {
        guard let parameters = inputs.first?.context.parameters else { return nil }
        let unused = parameters.unused(used)
        guard !unused.isEmpty else { return nil }
        return .unused(unused, scripts: inputs.map(\.file.name))
    }

    /// Every diagnostic of `source`: the parser's, then the planner's checks of whatever parsed
    /// (all at once, in source order).
    static func diagnose(_ source: SourceFile, context: ScriptContext, settings: Settings) -> (Script, [Diagnostic]) {
        var used: Set<String> = []
        return diagnose(source, context: context, settings: settings, usedParameters: &used)
    }

    /// `diagnose`, adding the parameters the source used to `usedParameters`.
    static func diagnose(
        _ source: SourceFile, context: ScriptContext, settings: Settings, usedParameters: inout Set<String>
    ) -> (Script, [Diagnostic]) {
        let parsed = Frontend.parse(source, parameters: context.parameters)
        usedParameters.formUnion(parsed.usedParameters)
        var diagnostics = parsed.diagnostics
        // The statements without a syntax error of their own are checked further; one with an
        // error is reported once, not again by a check that misreads what is left of it.
        let errorPlaces = parsed.diagnostics.filter { $0.severity == .error }.map(\.location.offset)
        var checkable = parsed.script
        if !errorPlaces.isEmpty {
            let statements = parsed.script.statements
            checkable.statements = statements.indices.filter { i in
                let start = statements[i].location.offset
                let end = i + 1 < statements.count ? statements[i + 1].location.offset : Int.max
                return !errorPlaces.contains { $0 >= start && $0 < end }
            }.map { statements[$0] }
        }
        diagnostics += Planner.check(checkable, context: context, dryRunLocked: settings.dryRunLocked)
        // A stable sort by place: a too-many-errors stays last.
        diagnostics = diagnostics.enumerated().sorted {
            ($0.element.id == .tooManyErrors ? 1 : 0, $0.element.location.offset, $0.offset)
                < ($1.element.id == .tooManyErrors ? 1 : 0, $1.element.location.offset, $1.offset)
        }.map(\.element)
        return (parsed.script, diagnostics)
    }

    /// Parses and checks `source`; prints every diagnostic. Its plan when it is clean.
    static func checked(_ source: SourceFile, context: ScriptContext, settings: Settings, reporter: Reporter) -> [PlannedStatement]? {
        var used: Set<String> = []
        return checked(source, context: context, settings: settings, reporter: reporter, usedParameters: &used)
    }

    /// `checked`, adding the parameters the source used to `usedParameters`.
    static func checked(
        _ source: SourceFile, context: ScriptContext, settings: Settings, reporter: Reporter, usedParameters: inout Set<String>
    ) -> [PlannedStatement]? {
        let (script, diagnostics) = diagnose(source, context: context, settings: settings, usedParameters: &usedParameters)
        if let note = IDFileAsScript.note(for: diagnostics, source: source) {
            // An id file given as a script: a few of its errors, then what was meant.
            reporter.diagnostics(Array(diagnostics.prefix(3)), source: source)
            reporter.error(note)
            return nil
        }
        reporter.diagnostics(diagnostics, source: source)
        let errors = diagnostics.filter { $0.severity == .error }.count
        guard errors == 0 else {
            if context.origin != .repl {
                reporter.error("\(errors) error\(errors == 1 ? "" : "s") in \(source.name); nothing was run or sent")
            }
            return nil
        }
        guard let plan = Planner.plan(script.statements, context: context) else {
            reporter.error("\(source.name): the checker let through a statement it cannot plan (a bug in tnx); nothing was run or sent")
            return nil
        }
        return plan
    }
}
