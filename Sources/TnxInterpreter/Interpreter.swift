import TelnyxRecordings
import TnxLanguage
import TnxSystem

/// Runs tnx source: the one `run` that the script runner and the shell share.
///
/// An actor because it owns the session's state (settings, `show last`, what stdin has
/// given) while a bulk run's requests complete on other threads; outcomes are recorded here,
/// one at a time, so the journal, the summary and the reporter never race.
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
    var last: LastResult = .nothing
    /// What the journal says is done, read once on the first bulk run with `resume` on.
    var resumeSet: ResumeSet?
    /// The bulk run in progress, if any.
    var bulk: BulkState?
    /// The journal is open and the base URL answered like the API (`prepareToDelete`).
    var preparedToDelete = false
    /// Real deletes this invocation may still send with `confirm` on: 1 when nobody
    /// confirmed, unlimited once the gate was answered yes. The gate's count decides whether to
    /// ask; this decides, request by request, that no miscount can delete a second recording.
    var unconfirmedDeletesLeft = 1
    /// The journal's failure has been reported (the outcomes after it fail the same way).
    var journalFailureReported = false

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
        public init(file: SourceFile, origin: ScriptOrigin, directory: String) {
            self.file = file
            self.context = ScriptContext(origin: origin, directory: directory)
        }
    }

    /// Runs one shell entry (or one script), with the session's current settings.
    public func run(_ source: SourceFile, origin: ScriptOrigin, directory: String = Directories.current) async -> Result {
        await run([Input(file: source, origin: origin, directory: directory)], eachFromStartingSettings: origin != .repl)
    }

    /// Runs the scripts of one invocation: every one is checked and counted by the safety gate
    /// before the first runs; then they run in order, each from the invocation's starting
    /// settings (with `eachFromStartingSettings`), until one ends the invocation.
    public func run(_ inputs: [Input], eachFromStartingSettings: Bool = true) async -> Result {
        defer { flush() }
        var scripts: [(script: Script, context: ScriptContext)] = []
        for input in inputs {
            if let script = Self.checked(input.file, context: input.context, settings: startingSettings, reporter: reporter) {
                scripts.append((script, input.context))
            }
        }
        guard scripts.count == inputs.count else { return Result(status: .usage, exitRequested: false) }

        let first = eachFromStartingSettings ? startingSettings : settings
        if let refusal = await safetyGate(scripts.map { ($0.script.statements, $0.context) }, startingFrom: first, nested: false) {
            return Result(status: refusal, exitRequested: false)
        }
        var status = RunStatus.success
        var flow = Flow()
        for (index, (script, context)) in scripts.enumerated() {
            if eachFromStartingSettings { settings = startingSettings }
            flow = await execute(script.statements, bindings: [:], context: context)
            status = max(status, flow.status)
            let stopHere = flow.stop || flow.exitRequested || (status != .success && (status != .failures || settings.onError == .stop))
            if stopHere {
                sayWhatWasNotRun(flow, filesLeft: scripts.count - index - 1)
                break
            }
        }
        if let failure = await syncJournal() { status = max(status, failure) }
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
        return Self.checked(source, context: ScriptContext(origin: origin, directory: directory), settings: startingSettings, reporter: reporter) != nil
    }

    /// Every diagnostic of `source`: the parser's, then the planner's checks of whatever parsed
    /// (all at once, in source order).
    static func diagnose(_ source: SourceFile, context: ScriptContext, settings: Settings) -> (Script, [Diagnostic]) {
        let parsed = Frontend.parse(source)
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

    /// Parses and checks `source`; prints every diagnostic. The script when it is clean.
    static func checked(_ source: SourceFile, context: ScriptContext, settings: Settings, reporter: Reporter) -> Script? {
        let (script, diagnostics) = diagnose(source, context: context, settings: settings)
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
        return script
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

    func execute(_ statements: [Statement], bindings: [String: String], context: ScriptContext) async -> Flow {
        var flow = Flow()
        for (index, statement) in statements.enumerated() {
            if Task.isCancelled { flow.status = max(flow.status, .interrupted) }
            if flow.status == .interrupted {
                // Ctrl-C: say what was not run, so nobody assumes the rest of the script ran.
                reporter.warning("interrupted: '\(Self.keyword(of: statement).rawValue)' at \(statement.location) and what follows were not run")
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
            case .usage, .unauthorized: flow.stop = true
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

    private func execute(_ statement: Statement, bindings: [String: String], context: ScriptContext) async -> Flow {
        switch statement.kind {
        case .delete(let target):
            guard case .literal(let text) = target.kind, let id = try? RecordingID(text) else {
                reporter.error("\(target.location): cannot delete this value")  // the planner prevents it
                return Flow(status: .usage)
            }
            return Flow(status: await deleteOne(id))
        case .download(let target, let directory):
            guard case .literal(let text) = target.kind, let id = try? RecordingID(text), case .literal(let path) = directory.kind else {
                reporter.error("\(target.location): cannot download this value")  // the planner prevents it
                return Flow(status: .usage)
            }
            return Flow(status: await downloadOne(id, into: context.resolve(path)))
        case .foreach(_, _, .query(let query), _):
            // The planner holds the body to steps on the id.
            return Flow(status: await purge(query, pipeline: Pipeline(statement, context: context, format: settings.format)))
        case .foreach(let variable, _, .file(let source), let body):
            let path: String
            switch source.kind {
            case .literal(let text): path = context.resolve(text)
            case .variable(let name): path = context.resolve(bindings[name] ?? "")
            }
            if Planner.isIDLoop(statement) {
                return Flow(status: await bulkDelete(from: path, pipeline: Pipeline(statement, context: context, format: settings.format)))
            }
            return await forEachFile(in: path, variable: variable, body: body, bindings: bindings, context: context)
        case .show(.settings):
            showSettings()
            return Flow()
        case .show(.last):
            showLast()
            return Flow()
        case .show(.recording):
            return Flow(status: .usage)  // parsed as `showRecording`
        case .showRecording(let target):
            return Flow(status: await showRecording(target))
        case .count(let query):
            return Flow(status: await count(query))
        case .list(let query, let limit):
            return Flow(status: await list(query, limit: limit, context: context))
        case .set(.apiKey):
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
            let name = topic.flatMap { if case .literal(let text) = $0.kind { text } else { nil } }
            if let text = Help.text(topic: name) {
                reporter.info(text)
                return Flow()
            }
            reporter.error(Help.unknownTopicMessage(name ?? ""))
            return Flow(status: .usage)
        case .run(let file):
            guard case .literal(let path) = file.kind else { return Flow(status: .usage) }
            return await runFile(context.resolve(path))
        case .exit(let code):
            return Flow(stop: true, exitRequested: true, exitCode: code.map(Int32.init))
        }
    }

    /// `delete ID`.
    private func deleteOne(_ id: RecordingID) async -> RunStatus {
        let dryRun = settings.dryRun
        if !dryRun {
            if let refused = await prepareToDelete() { return refused }
            if !mayDeleteUnconfirmed() {
                let outcome = Outcome(kind: .skipped, id: id.rawValue, message: Self.unconfirmedMessage)
                reporter.outcome(outcome, format: settings.output)
                reporter.error(Self.unconfirmedMessage)
                return .usage
            }
            // Write-ahead: on record before the request goes.
            guard journalSending([id.rawValue]) else {
                reporter.outcome(Outcome(kind: .skipped, id: id.rawValue, message: "not sent: the journal could not be written"), format: settings.output)
                return .failures
            }
        }
        let outcome = Outcome(await environment.client.deleteRecording(id, dryRun: dryRun), id: id, origin: nil)
        if !dryRun, let failure = journal(outcome) {
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

    /// Appends to the journal; on failure reports it and returns the status that stops the run.
    func journal(_ outcome: Outcome) -> RunStatus? {
        guard let journal = environment.journal else { return nil }
        do throws(JournalError) {
            try journal.record(outcome)
            // A later `resume` in the same session knows what this one did.
            rememberForResume(outcome)
            return nil
        } catch {
            reportJournalFailure(error)
            return .failures
        }
    }

    /// Says why the journal failed, once: every line after it fails the same way.
    func reportJournalFailure(_ error: JournalError) {
        if !journalFailureReported { reporter.error(error.description) }
        journalFailureReported = true
    }

    /// Keeps what a later `resume` of this session must know of a journaled outcome (the
    /// journal is read once a session).
    func rememberForResume(_ outcome: Outcome) {
        switch outcome.kind {
        case .deleted, .notFound:
            resumeSet?.done.insert(outcome.id)
            resumeSet?.unsettled.remove(outcome.id)  // the answer to a `sending` line
        case .failed:
            resumeSet?.done.remove(outcome.id)
            resumeSet?.unsettled.remove(outcome.id)
        default: break
        }
        if let d = outcome.download, let journaled = JournaledDownload(d) {
            resumeSet?.downloads[outcome.id] = journaled
        }
    }

    /// Flushes the journal to the disk at the end of an invocation that wrote to it.
    private func syncJournal() async -> RunStatus? {
        guard preparedToDelete, let journal = environment.journal, let error = await journal.sync() else { return nil }
        reportJournalFailure(error)
        return .failures
    }

    /// `foreach f in FILES body`: the body once per file name, in order.
    private func forEachFile(
        in path: String, variable: String, body: [Statement], bindings: [String: String], context: ScriptContext
    ) async -> Flow {
        guard let source = await openSource(path) else { return Flow(status: .failures) }
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
