import TelnyxRecordings
import TnxLanguage

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
    var last: LastResult = .nothing
    /// What the journal says is done, read once on the first bulk run with `--resume`.
    var resumeSet: ResumeSet?
    /// The bulk run in progress, if any.
    var bulk: BulkState?
    /// The journal is open and the base URL answered like the API (`prepareToDelete`).
    var preparedToDelete = false
    /// Real deletes this invocation may still send with `confirm` on: 1 when nobody
    /// confirmed, unlimited once the gate was answered yes. The gate's count decides whether to
    /// ask; this decides, request by request, that no miscount can delete a second recording.
    var unconfirmedDeletesLeft = 1

    public init(settings: Settings, environment: InterpreterEnvironment) {
        self.settings = settings
        self.startingSettings = settings
        self.environment = environment
        let colour = environment.colourAllowed
        self.reporter = Reporter(
            stdout: environment.stdout, stderr: environment.stderr,
            colourOut: colour && environment.stdout.isTerminal,
            colourErr: colour && environment.stderr.isTerminal)
        let notices = WaitNotices(stderr: environment.stderr)
        environment.client.activity?.observe { notices.say($0) }
    }

    /// The result of `run`: how it ended, and whether `exit` asked to end the session.
    public struct Result: Sendable {
        public var status: RunStatus
        public var exitRequested: Bool
    }

    /// One piece of source of an invocation, with where it came from.
    public struct Input: Sendable {
        public var file: SourceFile
        public var origin: ScriptOrigin
        public init(file: SourceFile, origin: ScriptOrigin) {
            self.file = file
            self.origin = origin
        }
    }

    /// Runs one shell entry (or one script), with the session's current settings.
    public func run(_ source: SourceFile, origin: ScriptOrigin) async -> Result {
        await run([Input(file: source, origin: origin)], eachFromStartingSettings: origin != .repl)
    }

    /// Runs the scripts of one invocation: every one is checked and counted by the safety gate
    /// before the first runs; then they run in order, each from the invocation's starting
    /// settings (with `eachFromStartingSettings`), until one ends the invocation.
    public func run(_ inputs: [Input], eachFromStartingSettings: Bool = true) async -> Result {
        defer { flush() }
        var scripts: [(script: Script, origin: ScriptOrigin)] = []
        for input in inputs {
            if let script = Self.checked(input.file, origin: input.origin, settings: startingSettings, reporter: reporter) {
                scripts.append((script, input.origin))
            }
        }
        guard scripts.count == inputs.count else { return Result(status: .usage, exitRequested: false) }

        let first = eachFromStartingSettings ? startingSettings : settings
        if let refusal = await safetyGate(scripts.map(\.script.statements), startingFrom: first) {
            return Result(status: refusal, exitRequested: false)
        }
        var status = RunStatus.success
        var exitRequested = false
        for (script, origin) in scripts {
            if eachFromStartingSettings { settings = startingSettings }
            let flow = await execute(script.statements, bindings: [:], origin: origin)
            status = max(status, flow.status)
            if flow.exitRequested { exitRequested = true }
            if flow.stop || flow.exitRequested { break }
            if status != .success, status != .failures || settings.onError == .stop { break }
        }
        if let failure = await syncJournal() { status = max(status, failure) }
        return Result(status: status, exitRequested: exitRequested)
    }

    /// The same checks as `run`, nothing executed. Prints the diagnostics and returns whether
    /// the source is clean.
    public func check(_ source: SourceFile, origin: ScriptOrigin) -> Bool {
        defer { flush() }
        return Self.checked(source, origin: origin, settings: startingSettings, reporter: reporter) != nil
    }

    /// `tnx --check`: needs no client, no journal, no network.
    public static func check(
        _ source: SourceFile, origin: ScriptOrigin, settings: Settings = Settings(), stderr: any OutputSink, colour: Bool
    ) -> Bool {
        let reporter = Reporter(stdout: stderr, stderr: stderr, colourOut: false, colourErr: colour)
        return checked(source, origin: origin, settings: settings, reporter: reporter) != nil
    }

    private static func checked(_ source: SourceFile, origin: ScriptOrigin, settings: Settings, reporter: Reporter) -> Script? {
        let parsed = Frontend.parse(source)
        var diagnostics = parsed.diagnostics
        if !parsed.hasErrors {
            diagnostics += Planner.check(parsed.script, origin: origin, dryRunLocked: settings.dryRunLocked)
        }
        reporter.diagnostics(diagnostics, source: source)
        let errors = diagnostics.filter { $0.severity == .error }.count
        guard errors == 0 else {
            if origin != .repl {
                reporter.error("\(errors) error\(errors == 1 ? "" : "s") in \(source.name); nothing was run or sent")
            }
            return nil
        }
        return parsed.script
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
    }

    func execute(_ statements: [Statement], bindings: [String: String], origin: ScriptOrigin) async -> Flow {
        var flow = Flow()
        for (index, statement) in statements.enumerated() {
            if Task.isCancelled { flow.status = max(flow.status, .interrupted) }
            if flow.status == .interrupted {
                // Ctrl-C: say what was not run, so nobody assumes the rest of the script ran.
                reporter.warning("interrupted: '\(Self.keyword(of: statement))' at \(statement.location) and what follows were not run")
                flow.stop = true
                break
            }
            let step = await execute(statement, bindings: bindings, origin: origin)
            // What a statement printed is on its way before the next one starts.
            environment.stdout.flush()
            flow.status = max(flow.status, step.status)
            if step.exitRequested {
                flow.exitRequested = true
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
            if flow.stop { break }
        }
        return flow
    }

    static func keyword(of statement: Statement) -> String {
        switch statement.kind {
        case .delete: "delete"
        case .foreach: "foreach"
        case .show: "show"
        case .set: "set"
        case .help: "help"
        case .exit: "exit"
        }
    }

    private func execute(_ statement: Statement, bindings: [String: String], origin: ScriptOrigin) async -> Flow {
        switch statement.kind {
        case .delete(let target):
            guard case .literal(let text) = target.kind, let id = try? RecordingID(text) else {
                reporter.error("\(target.location): cannot delete this value")  // the planner prevents it
                return Flow(status: .usage)
            }
            return Flow(status: await deleteOne(id))
        case .foreach(let variable, _, let source, let body):
            let path: String
            switch source.kind {
            case .literal(let text): path = text
            case .variable(let name): path = bindings[name] ?? ""
            }
            if Planner.isIDLoop(statement) {
                return Flow(status: await bulkDelete(from: path))
            }
            return await forEachFile(in: path, variable: variable, body: body, bindings: bindings, origin: origin)
        case .show(.settings):
            showSettings()
            return Flow()
        case .show(.last):
            showLast()
            return Flow()
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
            if let text = Help.text(topic: topic) {
                reporter.info(text)
                return Flow()
            }
            reporter.error(Help.unknownTopicMessage(topic ?? ""))
            return Flow(status: .usage)
        case .exit:
            return Flow(stop: true, exitRequested: true)
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
            return nil
        } catch {
            reporter.error(error.description)
            return .failures
        }
    }

    /// Flushes the journal to the disk at the end of an invocation that wrote to it.
    private func syncJournal() async -> RunStatus? {
        guard preparedToDelete, let journal = environment.journal, let error = await journal.sync() else { return nil }
        reporter.error(error.description)
        return .failures
    }

    /// `foreach f in FILES body`: the body once per file name, in order.
    private func forEachFile(
        in path: String, variable: String, body: [Statement], bindings: [String: String], origin: ScriptOrigin
    ) async -> Flow {
        let source: IDSource
        switch await IDSource.open(path, standardInput: environment.standardInputDescriptor) {
        case .success(let opened): source = opened
        case .failure(let error):
            reporter.error(error.description)
            return Flow(status: .failures)
        }
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
                    let step = await execute(body, bindings: inner, origin: origin)
                    flow.status = max(flow.status, step.status)
                    flow.stop = step.stop
                    flow.exitRequested = step.exitRequested
                }
            }
        }
        return flow
    }
}

/// What `show last` shows: the result of the previous delete or foreach.
enum LastResult {
    case nothing
    case delete(Outcome)
    case bulk(BulkReport)
}

/// A finished bulk run, kept for `show last`.
struct BulkReport {
    static let keptProblems = 1_000

    var source: String
    var summary = Summary()
    /// The first `keptProblems` failed and invalid outcomes.
    var problems: [Outcome] = []
    var seconds = 0.0
    var dryRun: Bool
    var interrupted = false
    /// Why the run stopped early, when it did.
    var stoppedBecause: String?
}
