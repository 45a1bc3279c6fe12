import TelnyxRecordings
import TnxLanguage
import TnxSystem

/// Runs tnx source: the one `run` that the script runner and the shell share.
///
/// It keeps dispatch, the session's state (settings, `show last`) and `show`; each job is an
/// engine of its own (`BulkRun`, `QueryPurge`, `BatchPurge`, the download `Pipeline`), given
/// an `EngineContext` and returning a typed result. A statement runs as the planner planned it
/// (`PlannedStatement`): the safety gate counted the same plan.
///
/// One `run` is one *invocation*: the script files of a command line, or one shell entry. All
/// of it is checked before any of it runs, and the safety gate counts all of it (see
/// `SafetyGate.swift`).
public actor Interpreter {
    public private(set) var settings: Settings
    /// What each script file of an invocation starts from (the command line's options), so a
    /// script means the same alone or after another.
    let startingSettings: Settings
    let environment: InterpreterEnvironment
    let reporter: Reporter
    /// Every failure of the session, said on stderr; what a script's closing line counts.
    public nonisolated let failures: FailureTally
    /// Where the journal is, for the closing line of a run that fails.
    public nonisolated let journalPath: String?
    /// Where the key in use came from, for the closing line of a run that ends on it.
    public nonisolated var keyOrigin: KeyOrigin? { environment.client.keyOrigin }
    var last: LastResult = .nothing
    /// What the session's engines share: the journal's writer (and what `--resume` knows),
    /// the gate's allowance, and the preparation done once before the first delete.
    let services: SessionServices

    public init(settings: Settings, environment: InterpreterEnvironment) {
        self.settings = settings
        self.startingSettings = settings
        self.environment = environment
        let colour = environment.colourAllowed
        var reporter = Reporter(
            stdout: environment.stdout, stderr: environment.stderr,
            colourOut: colour && environment.stdout.isTerminal,
            colourErr: colour && environment.stderr.isTerminal)
        let failures = FailureTally()
        reporter.failures = failures
        reporter.summariesOnly = environment.summariesOnly
        self.reporter = reporter
        self.services = SessionServices(
            journal: JournalWriter(journal: environment.journal, reporter: reporter), allowance: DeleteAllowance(),
            preparation: DeletePreparation(
                journal: environment.journal, client: environment.client, reporter: reporter, lockWait: environment.journalLockWait))
        self.failures = failures
        self.journalPath = environment.journal?.path
        let notices = WaitNotices(stderr: environment.stderr)
        environment.client.activity?.observe { notices.say($0) }
    }

    /// The result of `run`: how it ended, and whether `exit` asked to end the session.
    public struct Result: Sendable {
        public var status: RunStatus
        public var exitRequested: Bool
        /// `exit N`: the status the process ends with.
        public var exitCode: Int32?

        /// What the process exits with.
        public var processStatus: Int32 { exitCode ?? status.exitCode }
    }

    /// One piece of source of an invocation: where it came from, and the absolute directory
    /// its relative id-file paths start from (a script file's own directory; the current one
    /// for `-c`, stdin and the shell).
    public struct Input: Sendable {
        public var file: SourceFile
        public var context: ScriptContext
        /// `parameters`: the command line's `-D NAME=VALUE`.
        public init(file: SourceFile, origin: ScriptOrigin, directory: String, parameters: ScriptParameters = ScriptParameters()) {
            self.file = file
            self.context = ScriptContext(origin: origin, directory: directory, parameters: parameters)
        }
    }

    /// Runs one shell entry, with the session's current settings and the command line's
    /// parameters (which an entry need not use).
    public func run(_ source: SourceFile, origin: ScriptOrigin, directory: String = Directories.current) async -> Result {
        await run(
            [Input(file: source, origin: origin, directory: directory, parameters: environment.parameters)],
            eachFromStartingSettings: origin != .repl, parametersMustBeUsed: false)
    }

    /// Runs the scripts of one invocation: every one is checked and counted by the safety gate
    /// before the first runs; then they run in order, each from the invocation's starting
    /// settings (with `eachFromStartingSettings`), until one ends the invocation. With
    /// `parametersMustBeUsed`, a parameter that none of them uses stops it before it runs.
    public func run(_ inputs: [Input], eachFromStartingSettings: Bool = true, parametersMustBeUsed: Bool = true) async -> Result {
        defer { flush() }
        var scripts: [(plan: [PlannedStatement], context: ScriptContext)] = []
        var used: Set<String> = []
        for input in inputs {
            if let plan = ScriptChecker.checked(input.file, context: input.context, settings: startingSettings, reporter: reporter, usedParameters: &used) {
                scripts.append((plan, input.context))
            }
        }
        guard scripts.count == inputs.count else { return Result(status: .usage, exitRequested: false) }
        if parametersMustBeUsed, let unused = ScriptChecker.unusedParameters(inputs, used: used) {
            reporter.error(unused.message)
            return Result(status: .usage, exitRequested: false)
        }

        let first = eachFromStartingSettings ? startingSettings : settings
        if let refusal = await safetyGate(scripts.map { ($0.plan, $0.context) }, startingFrom: first, nested: false) {
            return Result(status: refusal, exitRequested: false)
        }
        var status = RunStatus.success
        var flow = Flow()
        for (index, (plan, context)) in scripts.enumerated() {
            if eachFromStartingSettings { settings = startingSettings }
            flow = await execute(plan, bindings: [:], context: context)
            status = max(status, flow.status)
            let stopHere = flow.stop || flow.exitRequested || (status != .success && (status != .failures || settings.onError == .stop))
            if stopHere {
                sayWhatWasNotRun(flow, filesLeft: scripts.count - index - 1)
                break
            }
        }
        // The journal reaches the disk at the end of an invocation that wrote to it.
        if services.preparation.isPrepared, let failure = await services.journal.sync() { status = max(status, failure) }
        return Result(status: status, exitRequested: flow.exitRequested, exitCode: flow.exitCode)
    }

    /// `the script stopped at cleanup.tnx:4:1 (on-error stop): 3 statements after it were not run`.
    private func sayWhatWasNotRun(_ flow: Flow, filesLeft: Int) {
        guard !flow.exitRequested, flow.status != .interrupted, let place = flow.stoppedAt else { return }
        var parts: [String] = []
        if flow.notRun > 0 { parts.append("\(flow.notRun) statement\(flow.notRun == 1 ? "" : "s") after it") }
        if filesLeft > 0 { parts.append("\(filesLeft) more script file\(filesLeft == 1 ? "" : "s")") }
        guard !parts.isEmpty else { return }
        let why = flow.status == .failures ? " (on-error stop; 'set on-error continue' goes on after a failure)" : ""
        reporter.warning("stopped at \(place)\(why): \(parts.joined(separator: " and ")) \(parts.count == 1 && flow.notRun == 1 && filesLeft == 0 ? "was" : "were") not run")
    }

    /// The same checks as `run`, nothing executed. Prints the diagnostics and returns whether
    /// the source is clean.
    public func check(_ source: SourceFile, origin: ScriptOrigin, directory: String = Directories.current) -> Bool {
        defer { flush() }
        var used: Set<String> = []
        let context = ScriptContext(origin: origin, directory: directory, parameters: environment.parameters)
        return ScriptChecker.checked(source, context: context, settings: startingSettings, reporter: reporter, usedParameters: &used) != nil
    }

    func flush() {
        environment.stdout.flush()
        environment.stderr.flush()
    }

    // MARK: Statements

    /// How a run of statements went on: its status, and whether it must end there.
    struct Flow {
        var status: RunStatus = .success
        var stop = false
        var exitRequested = false
        /// `exit N`.
        var exitCode: Int32?
        /// Where a failure stopped the statements (on-error stop), and how many after it in the
        /// same script were therefore not run.
        var stoppedAt: SourceLocation?
        var notRun = 0
    }

    func execute(_ statements: [PlannedStatement], bindings: [String: String], context: ScriptContext) async -> Flow {
        var flow = Flow()
        for (index, statement) in statements.enumerated() {
            if Task.isCancelled { flow.status = max(flow.status, .interrupted) }
            if flow.status == .interrupted {
                // Ctrl-C: say what was not run, so nobody assumes the rest of the script ran.
                reporter.warning("interrupted: '\(statement.keyword.rawValue)' at \(statement.location) and what follows were not run")
                flow.stop = true
                break
            }
            let step = await execute(statement, bindings: bindings, context: context)
            // What a statement printed is on its way before the next one starts.
            environment.stdout.flush()
            flow.status = max(flow.status, step.status)
            if step.exitRequested {
                flow.exitRequested = true
                flow.exitCode = step.exitCode
                flow.stop = true
            }
            if step.stop { flow.stop = true }
            switch step.status {
            case .success: break
            case .failures: if settings.onError == .stop { flow.stop = true }
            case .usage, .unauthorized, .journalBusy: flow.stop = true
            case .interrupted:
                if index + 1 < statements.count { continue }  // reported at the next statement
                flow.stop = true
            }
            if flow.stop {
                flow.stoppedAt = step.stoppedAt ?? statement.location
                flow.notRun = step.notRun + statements.count - index - 1
                break
            }
        }
        return flow
    }

    private func execute(_ statement: PlannedStatement, bindings: [String: String], context: ScriptContext) async -> Flow {
        switch statement.action {
        case .deleteOne(let id):
            return Flow(status: await deleteOne(id))
        case .downloadOne(let id, let directory):
            return Flow(status: await downloadOne(id, into: directory))
        case .queryLoop(let query, let steps):
            let purge = await QueryPurge(engineContext(), query: query, pipeline: steps.pipeline(format: settings.format)).run()
            last = .purge(purge.report)
            return Flow(status: purge.status)
        case .idLoop(let source, let steps):
            let path = source.path(bindings, context: context)
            let run = await BulkRun(engineContext(), path: path, pipeline: steps.pipeline(format: settings.format)).run()
            if let report = run.report { last = .bulk(report) }
            return Flow(status: run.status)
        case .fileLoop(let variable, let source, let body):
            return await forEachFile(in: source.path(bindings, context: context), variable: variable, body: body, bindings: bindings, context: context)
        case .showSettings:
            showSettings()
            return Flow()
        case .showLast:
            showLast()
            return Flow()
        case .showRecording(let id):
            return Flow(status: await showRecording(id))
        case .count(let query):
            return Flow(status: await count(query))
        case .list(let query, let limit):
            return Flow(status: await list(query, limit: limit, context: context))
        case .setAPIKey:
            guard let enter = environment.enterAPIKey else {
                reporter.error("'set api-key' only works in the shell; use TELNYX_API_KEY or --api-key")
                return Flow(status: .usage)
            }
            switch await enter() {
            case .set: reporter.info("API key set for this session (it is not saved anywhere)")
            case .unchanged: reporter.info("no key entered; the API key is unchanged")
            case .refused(let reason):
                reporter.error(reason)
                return Flow(status: .usage)
            }
            return Flow()
        case .set(let assignment):
            settings.apply(assignment)
            return Flow()
        case .help(let topic):
            if let text = Help.text(topic: topic) {
                reporter.info(text)
                return Flow()
            }
            reporter.error(Help.unknownTopicMessage(topic ?? ""))
            return Flow(status: .usage)
        case .run(let path):
            return await runFile(path)
        case .exit(let code):
            return Flow(stop: true, exitRequested: true, exitCode: code.map(Int32.init))
        }
    }

    /// What an engine is given, with the settings as they are now (the statement's start).
    func engineContext() -> EngineContext {
        EngineContext(
            client: environment.client, reporter: reporter, journal: services.journal, allowance: services.allowance,
            preparation: services.preparation, settings: settings,
            terminal: RunTerminal(
                stdout: environment.stdout, stderr: environment.stderr, quiet: environment.quiet, finishing: environment.finishing,
                standardInputDescriptor: environment.standardInputDescriptor, resumeAdvice: environment.resumeAdvice,
                snapshotDirectory: environment.snapshotDirectory, askConfirmation: environment.askConfirmation))
    }

    /// `delete ID`.
    private func deleteOne(_ id: RecordingID) async -> RunStatus {
        let dryRun = settings.dryRun
        let journal = services.journal
        if !dryRun {
            if let refused = await services.preparation.prepare() { return refused }
            if !engineContext().mayDeleteUnconfirmed() {
                let outcome = Outcome(kind: .skipped, id: id.rawValue, message: DeleteAllowance.unconfirmedMessage)
                reporter.outcome(outcome, format: settings.output)
                reporter.error(DeleteAllowance.unconfirmedMessage)
                return .usage
            }
            // Write-ahead: on record before the request goes.
            guard journal.sending([id.rawValue]) else {
                reporter.outcome(Outcome(kind: .skipped, id: id.rawValue, message: "not sent: the journal could not be written"), format: settings.output)
                return .failures
            }
        }
        let outcome = Outcome(await environment.client.deleteRecording(id, dryRun: dryRun), id: id, origin: nil)
        if !dryRun, let failure = journal.record(outcome) {
            reporter.outcome(outcome, format: settings.output)
            return failure
        }
        reporter.outcome(outcome, format: settings.output)
        last = .delete(outcome)
        return Self.status(of: outcome)
    }

    static func status(of outcome: Outcome) -> RunStatus {
        guard outcome.kind == .failed else { return .success }
        return outcome.error?.kind == .unauthorized ? .unauthorized : .failures
    }

    /// `foreach f in FILES body`: the body once per file name, in order.
    private func forEachFile(
        in path: String, variable: String, body: [PlannedStatement], bindings: [String: String], context: ScriptContext
    ) async -> Flow {
        guard let source = await engineContext().openSource(path) else { return Flow(status: .failures) }
        var flow = Flow()
        var inner = bindings
        reading: while !flow.stop {
            switch await source.next(limit: 1) {
            case .end:
                break reading
            case .failed(let error):
                if error.stopped || Task.isCancelled {
                    flow.status = max(flow.status, .interrupted)
                } else {
                    reporter.error(error.description)
                    flow.status = max(flow.status, .failures)
                }
                break reading
            case .lines(let lines):
                for line in lines where !flow.stop {
                    inner[variable] = line.text
                    let step = await execute(body, bindings: inner, context: context)
                    flow.status = max(flow.status, step.status)
                    flow.stop = step.stop
                    flow.exitRequested = step.exitRequested
                    flow.exitCode = step.exitCode
                    flow.stoppedAt = step.stoppedAt
                    flow.notRun = step.notRun
                }
            }
        }
        return flow
    }
}
