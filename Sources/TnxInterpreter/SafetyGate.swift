import TelnyxRecordings
import TnxLanguage
import TnxSystem

/// The safety gate: without confirmation (`--yes`, `set confirm off`, or a `y` in the shell),
/// one invocation never deletes more than one recording.
///
/// Two halves:
/// - before anything runs, `safetyGate` counts what every script of the invocation would
///   delete with `confirm` on, following their `set` statements in order, each script from the
///   invocation's starting settings. More than one, or anything it cannot count for sure (ids
///   from stdin or another stream, files named in a file, a `set dry-run`/`set confirm` inside a
///   loop body), needs confirmation: the shell asks, a script refuses;
/// - while it runs, every real delete with `confirm` on spends one of
///   `unconfirmedDeletesLeft` (1 unless the gate was answered yes), so no miscount of the first
///   half can ever delete a second recording.
extension Interpreter {
    /// What the gate learns from the scripts before they run.
    struct DeleteEstimate {
        var count = 0
        /// What cannot be counted in advance ("every recording listed in <stdin>").
        var uncounted: [String] = []
        /// Some statement may send a real delete (dry-run off), confirmed or not.
        var mayDelete = false
        /// Real `delete ID` statements and bulk deletes, for `--check`'s report.
        var deleteStatements = 0
        var bulkDeletes = 0
        /// Some statement reads the API (`count`, `list`, `show recording`, a query), which
        /// needs the key even in a dry-run.
        var reads = false
        /// Some statement or loop step downloads; some loop downloads before it deletes.
        var downloads = false
        var copiesBeforeDeleting = false

        var needsConfirmation: Bool { count > 1 || !uncounted.isEmpty }

        var phrase: String {
            var parts: [String] = []
            if count > 0 { parts.append("\(Reporter.grouped(count)) recording\(count == 1 ? "" : "s")") }
            parts += uncounted
            return parts.joined(separator: " and ")
        }
    }

    static let unconfirmedMessage =
        "not sent: deleting more than one recording needs confirmation; add --yes (or 'set confirm off') to go ahead"

    /// Counts the invocation's deletes, checks that a key is set if any may be sent, and asks or
    /// refuses when confirmation is needed. Returns the status to end with when the invocation
    /// must not run. A new invocation starts with an allowance of one unconfirmed delete; a
    /// `nested` one (`run FILE` inside a shell entry) shares its entry's allowance and must ask
    /// when it would go past what is left of it.
    func safetyGate(_ scripts: [([Statement], ScriptContext)], startingFrom start: Settings, nested: Bool) async -> RunStatus? {
        let estimate = await Self.estimate(scripts, startingFrom: start, asksAfterQueries: environment.askConfirmation != nil) { path, resume in
            await self.countDeletable(path, resume: resume)
        }
        if estimate.mayDelete || estimate.reads, !environment.connection().hasAPIKey {
            if !estimate.mayDelete { reporter.error("reading recordings from the API (a query, show recording, download) needs an API key, also in a dry-run; " + environment.noKeyAdvice) } else { reporter.error(environment.noKeyAdvice) }
            return .unauthorized
        }
        // A key that a command gives is asked for now, before any question or progress line
        // takes the terminal where a password manager may ask.
        if estimate.mayDelete || estimate.reads, let error = await environment.client.prepareKey() {
            reporter.error(error.description)
            return error.kind == .interrupted ? .interrupted : .unauthorized
        }
        if !nested { unconfirmedDeletesLeft = 1 }
        guard estimate.needsConfirmation || estimate.count > unconfirmedDeletesLeft else { return nil }
        if let ask = environment.askConfirmation {
            if await ask("Delete \(estimate.phrase)? This cannot be undone. [y/N] ") {
                unconfirmedDeletesLeft = .max
                return nil
            }
            reporter.info("nothing was deleted")
            return .success
        }
        reporter.error(
            "refusing to delete \(estimate.phrase) without confirmation (deletion is permanent): "
                + "add --yes (or 'set confirm off' in the script) to go ahead, or run with --dry-run first to see exactly what would be deleted")
        return .usage
    }

    /// Spends `count` unconfirmed deletes (a batch request carries many) if `confirm` is on;
    /// false when fewer are left.
    func mayDeleteUnconfirmed(_ count: Int = 1) -> Bool {
        guard settings.confirm else { return true }
        guard unconfirmedDeletesLeft >= count else { return false }
        if unconfirmedDeletesLeft != .max { unconfirmedDeletesLeft -= count }
        return true
    }

    /// What `scripts` would delete, each from `start`, following their `set` statements;
    /// `count` counts the ids of a regular file (nil when it cannot). With `asksAfterQueries`
    /// (the shell) a purge by query is left to the question it asks once its snapshot is read;
    /// otherwise it cannot be counted for sure, so it needs confirmation now.
    static func estimate(
        _ scripts: [([Statement], ScriptContext)], startingFrom start: Settings, asksAfterQueries: Bool = false,
        count: @Sendable (_ path: String, _ resume: Bool) async -> Int?
    ) async -> DeleteEstimate {
        var estimate = DeleteEstimate()
        for (statements, context) in scripts {
            var simulated = start
            await Self.estimate(
                statements, context: context, settings: &simulated, into: &estimate, insideFileLoop: false, asksAfterQueries: asksAfterQueries,
                count: count)
        }
        return estimate
    }

    private static func estimate(
        _ statements: [Statement], context: ScriptContext, settings: inout Settings, into estimate: inout DeleteEstimate,
        insideFileLoop: Bool, asksAfterQueries: Bool, count: @Sendable (String, Bool) async -> Int?
    ) async {
        for statement in statements {
            switch statement.kind {
            case .set(let assignment):
                if insideFileLoop, !settings.dryRunLocked, assignment.key == .dryRun || assignment.key == .confirm {
                    // Runs once per file: whether the deletes after it are counted, dry or
                    // confirmed depends on how many files there are.
                    estimate.uncounted.append("whatever the loop at \(statement.location) deletes ('set \(assignment.key.rawValue)' inside a loop)")
                }
                settings.apply(assignment)
            case .delete:
                guard !settings.dryRun else { continue }
                estimate.mayDelete = true
                estimate.deleteStatements += 1
                guard settings.confirm else { continue }
                if insideFileLoop {
                    estimate.uncounted.append("the delete at \(statement.location), once for each file of its loop")
                } else {
                    estimate.count += 1
                }
            case .foreach(_, _, .query(let query), let body):
                estimate.reads = true
                noteDownloads(statement, body, into: &estimate)
                // A body that only downloads or shows deletes nothing.
                guard !settings.dryRun, Planner.loopDeletes(statement) else { continue }
                estimate.mayDelete = true
                estimate.bulkDeletes += 1
                guard settings.confirm, insideFileLoop || !asksAfterQueries else { continue }
                estimate.uncounted.append("every recording matching the query at \(query.location)")
            case .foreach(_, _, .file(let source), let body):
                if Planner.isIDLoop(statement) {
                    if !Planner.isDeleteOnly(statement) { estimate.reads = true }
                    noteDownloads(statement, body, into: &estimate)
                    guard !settings.dryRun, Planner.loopDeletes(statement) else { continue }
                    estimate.mayDelete = true
                    estimate.bulkDeletes += 1
                    guard settings.confirm else { continue }
                    switch source.kind {
                    case .literal(let path) where path != "-" && !insideFileLoop:
                        if let n = await count(context.resolve(path), settings.resume) {
                            estimate.count += n
                        } else {
                            estimate.uncounted.append("every recording listed in \(path)")
                        }
                    case .literal(let path):
                        estimate.uncounted.append("every recording listed in \(path == "-" ? "stdin" : path)")
                    case .variable(let name):
                        estimate.uncounted.append("every recording listed in the files named by $\(name)")
                    }
                } else {
                    await Self.estimate(
                        body, context: context, settings: &settings, into: &estimate, insideFileLoop: true, asksAfterQueries: asksAfterQueries,
                        count: count)
                }
            case .exit:
                return
            case .count, .list, .showRecording:
                estimate.reads = true
            case .download:
                estimate.reads = true
                estimate.downloads = true
            case .show, .help, .run:
                // `run FILE` (shell only) counts its file when it runs, before anything in it.
                break
            }
        }
    }

    private static func noteDownloads(_ loop: Statement, _ body: [Statement], into estimate: inout DeleteEstimate) {
        guard Planner.isIDLoop(loop), body.contains(where: { if case .download = $0.kind { true } else { false } }) else { return }
        estimate.downloads = true
        if Planner.loopDeletes(loop) { estimate.copiesBeforeDeleting = true }
    }

    /// Valid, distinct ids in the regular file `path` that `--resume` would not skip; nil for
    /// a stream (a pipe, a FIFO, `/dev/stdin`), which can be read only once: the run reads it.
    func countDeletable(_ path: String, resume: Bool) async -> Int? {
        let done = resume ? await loadResumeSet()?.done : nil
        return await Self.countDeletable(path, skipping: done)
    }

    /// Valid, distinct ids in the regular file `path` not in `done`, counted on a thread of
    /// their own; nil for a stream.
    static func countDeletable(_ path: String, skipping done: IDSet?) async -> Int? {
        guard FileKind.of(path).isRegular else { return nil }
        let worker = BlockingWorker()
        return await worker.run {
            guard let reader = try? IDLineReader(path: path) else { return 0 }
            var seen = IDSet()
            var n = 0
            while let line = (try? reader.next()) ?? nil {
                guard let id = try? RecordingID(line.text), seen.insert(id.rawValue) else { continue }
                if done?.contains(id.rawValue) == true { continue }
                n += 1
            }
            return n
        }
    }

    /// The journal's done ids for `resume` (read once), or nil without a journal. Reports a
    /// journal that cannot be read, and warns once about lines it ignored.
    func loadResumeSet() async -> ResumeSet? {
        guard let journal = environment.journal else { return nil }
        if let resumeSet { return resumeSet }
        let path = journal.path
        let baseURL = journal.baseURL
        let read: Swift.Result<ResumeSet, JournalError> = await BlockingWorker().run {
            do throws(JournalError) {
                return .success(try Journal.completedIDs(at: path, baseURL: baseURL))
            } catch {
                return .failure(error)
            }
        }
        switch read {
        case .success(let set):
            if let warning = set.warning(path: path, baseURL: baseURL) { reporter.warning(warning) }
            resumeSet = set
            return set
        case .failure(let error):
            reporter.error(error.description)
            return nil
        }
    }

    /// Before the first real request of the session: the journal must open, and the base URL
    /// must answer like the recordings API. Returns the status to stop with, nothing sent.
    func prepareToDelete() async -> RunStatus? {
        if preparedToDelete { return nil }
        if let journal = environment.journal {
            do throws(JournalError) {
                try journal.open()
            } catch {
                reporter.error(error.description + "; nothing was sent")
                return .usage
            }
        }
        if let error = await environment.client.confirmEndpoint() {
            reporter.error(error.description)
            switch error.kind {
            case .unauthorized: return .unauthorized
            case .wrongBaseURL: return .usage
            case .interrupted: return .interrupted
            default: return .failures
            }
        }
        preparedToDelete = true
        return nil
    }
}

extension Interpreter {
    /// `tnx --check`: every source checked (diagnostics printed), and for each clean one what
    /// it would do: `retention.tnx: ok (1 bulk delete of 1,234 recordings; needs --yes to run)`.
    /// Reads the id files it names to count them; contacts nothing.
    public static func checkReport(
        _ inputs: [Input], settings: Settings, stdout: any OutputSink, stderr: any OutputSink, colour: Bool
    ) async -> Bool {
        let reporter = Reporter(stdout: stdout, stderr: stderr, colourOut: false, colourErr: colour)
        var clean = true
        for input in inputs {
            guard let script = checked(input.file, context: input.context, settings: settings, reporter: reporter) else {
                clean = false
                continue
            }
            let estimate = await estimate([(script.statements, input.context)], startingFrom: settings) { path, _ in
                await countDeletable(path, skipping: nil)
            }
            reporter.info("\(Reporter.safe(input.file.name)): ok (\(describe(estimate, settings: settings)))")
        }
        stdout.flush()
        stderr.flush()
        return clean
    }

    private static func describe(_ e: DeleteEstimate, settings: Settings) -> String {
        guard e.mayDelete else {
            let what = e.downloads ? "downloads; deletes nothing" : "deletes nothing"
            return settings.dryRunLocked ? "dry-run: \(what)" : what
        }
        var parts: [String] = []
        if e.deleteStatements > 0 { parts.append("\(e.deleteStatements) delete statement\(e.deleteStatements == 1 ? "" : "s")") }
        if e.bulkDeletes > 0 { parts.append("\(e.bulkDeletes) bulk delete\(e.bulkDeletes == 1 ? "" : "s")") }
        var text = parts.joined(separator: " and ")
        if e.count > 0 || !e.uncounted.isEmpty { text += " of " + e.phrase }
        if e.copiesBeforeDeleting { text += ", each only once its downloaded copy is verified" }
        text += e.needsConfirmation ? "; needs --yes to run" : "; runs without confirmation"
        return text
    }
}
