import TelnyxRecordings
import TnxLanguage
import TnxSystem

extension Interpreter {
    /// What the bulk run waits for: the next lines of the id source, or a finished delete.
    enum BulkEvent: Sendable {
        case lines(IDSource.Batch)
        case finished(Outcome)
        /// An id's way through the loop body's steps (`Pipeline`).
        case piped(PipelineResult)
        /// Time to redraw the progress line (it counts down a pause while nothing happens).
        case tick
    }

    /// `foreach id in FILE delete $id`: streams the ids, deletes each valid, new one once with
    /// at most `concurrency` requests in flight, and gives every id read exactly one outcome.
    ///
    /// The ids are read on a thread of their own (`IDSource`), and the run waits for whichever
    /// comes first, the next lines or a finished request: an outcome is journaled and printed
    /// as soon as its answer arrives, even while the input is silent, and Ctrl-C is honoured
    /// within 100 ms of a wait for input. Outcomes are recorded here on the actor in the order
    /// requests finish: journal first (one write each; the ids a pass starts were journaled
    /// `sending` in one write before their requests went, so a crash loses no id), then
    /// summary and output, flushed after each event. With `--resume`, an id an earlier run left
    /// `sending` is read back first (`SentSettlement`). Ctrl-C (task cancellation) stops
    /// reading; requests on the wire finish and are recorded. A 401 stops reading at once.
    ///
    /// With `snapshot`, `path` is a purge's snapshot file: each line's `id` is deleted (its ids
    /// are already distinct), and the summary names the query.
    ///
    /// With a `pipeline` other than a plain delete, each id goes through its steps (download,
    /// show, delete) in a task of its own, `concurrency` ids at a time, a dry-run too (it reads).
    func bulkDelete(from path: String, snapshot: BulkSnapshot? = nil, pipeline: Pipeline? = nil) async -> RunStatus {
        let piped = pipeline.flatMap { $0.isDeleteOnly ? nil : $0 }
        guard let source = await openSource(path) else { return .failures }
        let dryRun = settings.dryRun
        let format = settings.output
        let concurrency = settings.concurrency
        let client = environment.client
        if snapshot == nil, settings.method == .batch {
            // A batch is verified by listing its query again; ids of a file have no query, and
            // checking each would cost a read per id: no gain over deleting it.
            reporter.note("method batch applies to purges by query; the ids of \(source.name) are deleted one by one")
        }

        // Also before a body that only downloads: the journal records what was saved (for
        // --resume), and the base URL must answer like the API.
        if !dryRun, let refused = await prepareToDelete() { return refused }
        if !dryRun, let piped {
            // Every directory exists (mode 0700) before the first id starts.
            for directory in piped.directories {
                // Off the pool: a directory of a million files takes a while to read.
                let prepared: (swept: Int, problem: String?) = await BlockingWorker().run {
                    if let problem = Directories.create(directory) { return (0, problem) }
                    return (PipelineRunner.sweepPartials(in: directory), nil)
                }
                if let problem = prepared.problem {
                    reporter.error("\(problem); nothing was downloaded or deleted")
                    return .failures
                }
                let swept = prepared.swept
                if swept > 0 {
                    reporter.note("removed \(swept) unfinished download\(swept == 1 ? "" : "s") (.partial) that a stopped run left in \(Reporter.safe(directory))")
                }
            }
        }
        var done: IDSet?
        var unsettled: IDSet?
        var earlier: [String: JournaledDownload] = [:]
        if settings.resume {
            // A dry-run reads the journal too: it shows what the real --resume would skip.
            guard environment.journal != nil else {
                reporter.error("resume skips what the journal says is done, but tnx runs with --no-journal; run without it")
                return .usage
            }
            guard let set = await loadResumeSet() else { return .usage }
            done = set.done
            if !dryRun, set.unsettled.count > 0 { unsettled = set.unsettled }
            if piped?.downloads == true { earlier = set.downloads }
        }

        let showProgress = showsProgress
        let total = !showProgress ? nil : snapshot != nil ? snapshot?.count : !source.isStream ? await Self.countLines(path) : nil
        var report = BulkReport(source: snapshot?.name ?? source.name, dryRun: dryRun)
        if piped?.downloads == true { report.downloads = DownloadTotals() }
        startBulk(report, total: total)
        var seen = IDSet(expected: source.isStream || snapshot != nil ? 0 : Self.estimatedIDCount(path))
        // A dry-run's lines are written straight from their parts (see `DryRunLines`), except
        // under a progress line, which is redrawn around each.
        var dryRunLines: DryRunLines? =
            !dryRun || piped != nil || reporter.summariesOnly ? nil
            : format == .json ? .json(source: source.name)
            : showProgress ? nil : .text(label: reporter.wouldDeleteLabel)
        let started = ContinuousClock.now
        let verifyDuration = settings.verifyDuration
        let runner = piped.map { pipeline in
            PipelineRunner(
                pipeline: pipeline, client: client, dryRun: dryRun, earlier: earlier, journal: { await self.journalStep($0) },
                verifyDuration: verifyDuration, copies: CopyRegistry(earlier), sending: { await self.journalSending([$0.rawValue]) })
        }
        // A dry-run of a plain delete sends nothing, so it takes ids as fast as it reads them;
        // a pipeline reads (the recording, the media's size) even in a dry-run.
        let sends = !dryRun || runner != nil

        await withTaskGroup(of: BulkEvent.self) { group in
            var inFlight = 0
            var reading = false
            var ended = false
            var stopping = false
            var pending: [IDLine] = []
            var next = 0
            // The ids one pass of `taking` starts: journaled `sending` together, then sent.
            var starting: [(id: RecordingID, origin: String, settle: Bool)] = []
            var ticking = false
            // A real run reads little ahead of what it sends: what is read when it stops still
            // gets an outcome (skipped), and should be few.
            let batch = !sends ? 4096 : max(256, concurrency * 4)
            func stop(interrupted: Bool = false) {
                if interrupted { markBulk(interrupted: true) }
                if !stopping { source.stop() }
                stopping = true
            }
            while true {
                if Task.isCancelled, !stopping { stop(interrupted: true) }
                taking: while !stopping, next < pending.count, !sends || inFlight < concurrency {
                    if Task.isCancelled { break taking }
                    let line = pending[next]
                    next += 1
                    // Built only when an outcome needs it: not for each line of a json dry-run.
                    var origin: String { "\(source.name):\(line.number)" }
                    let id: RecordingID
                    do throws(InvalidRecordingID) {
                        id = try RecordingID(snapshot == nil ? line.text : SnapshotFile.id(inLine: line.text) ?? "")
                    } catch {
                        if !record(Outcome(kind: .invalid, id: line.text, origin: origin, message: error.description)) { stop() }
                        continue
                    }
                    guard snapshot != nil || seen.insert(id.rawValue) else {
                        if !record(Outcome(kind: .duplicate, id: id.rawValue, origin: origin, message: "already read earlier in this run")) { stop() }
                        continue
                    }
                    if let done, done.contains(id.rawValue) {
                        if !record(Outcome(kind: .skipped, id: id.rawValue, origin: origin, message: "done in an earlier run (journal)")) { stop() }
                        continue
                    }
                    if dryRun, runner == nil {
                        // No I/O and no hop off the actor: a million-id dry-run stays fast.
                        let request = client.preparedRequest(for: id)
                        if dryRunLines != nil {
                            recordWouldDelete(id: id.rawValue, line: line.number, request: request, lines: &dryRunLines!)
                        } else if !record(Outcome(.wouldDelete(request), id: id, origin: origin)) {
                            stop()
                        }
                        continue
                    }
                    guard dryRun || !(piped?.deletes ?? true) || mayDeleteUnconfirmed() else {
                        _ = record(Outcome(kind: .skipped, id: id.rawValue, origin: origin, message: Self.unconfirmedMessage))
                        markBulk(failure: Self.unconfirmedMessage, status: .usage)
                        stop()
                        break taking
                    }
                    starting.append((id, origin, unsettled?.contains(id.rawValue) == true))
                    inFlight += 1
                }
                // Write-ahead: the ids of this pass are journaled `sending` in one write before
                // any of their deletes goes (a pipeline journals each id before its delete step).
                if !starting.isEmpty {
                    if Task.isCancelled {
                        // Stopped before they went: untouched, like the ids the run did not reach
                        // (no `sending` line that a later --resume would read back for nothing).
                        for start in starting {
                            _ = record(Outcome(kind: .skipped, id: start.id.rawValue, origin: start.origin, message: "not sent: interrupted"))
                        }
                        inFlight -= starting.count
                        if !stopping { stop(interrupted: true) }
                    } else if !dryRun, runner == nil, !journalSending(starting.map(\.id.rawValue)) {
                        for start in starting {
                            _ = record(Outcome(kind: .skipped, id: start.id.rawValue, origin: start.origin, message: "not sent: the journal could not be written"))
                        }
                        inFlight -= starting.count
                        stop()
                    } else {
                        for (id, sentFrom, settle) in starting {
                            if let runner {
                                group.addTask {
                                    // Left `sending` by an earlier run: read back first (404: it is gone).
                                    if settle, let settled = await SentSettlement.readBack(id, origin: sentFrom, client: client) {
                                        return .piped(PipelineResult(outcome: settled))
                                    }
                                    return .piped(await runner.run(id, origin: sentFrom))
                                }
                            } else if settle {
                                group.addTask { .finished(await SentSettlement.settle(id, origin: sentFrom, client: client)) }
                            } else {
                                group.addTask {
                                    .finished(Outcome(await client.deleteRecording(id, dryRun: false), id: id, origin: sentFrom))
                                }
                            }
                        }
                    }
                    starting.removeAll(keepingCapacity: true)
                }
                if !stopping, next == pending.count, !ended, !reading {
                    reading = true
                    group.addTask { .lines(await source.next(limit: batch)) }
                }
                // Everything recorded so far reaches stdout before the run waits again: a
                // `tail -f` of a cron log, or `jq` on a pipe, sees each outcome as it happens.
                environment.stdout.flush()
                if inFlight == 0 && !reading { break }
                if showProgress, !ticking, !stopping {
                    ticking = true
                    group.addTask {
                        try? await Task.sleep(for: .milliseconds(250))
                        return .tick
                    }
                }
                guard let event = await group.next() else { break }
                switch event {
                case .tick:
                    ticking = false
                    bulk?.updateProgress()
                case .finished(let outcome):
                    inFlight -= 1
                    if !record(outcome) { stop() }
                case .piped(let result):
                    inFlight -= 1
                    for recording in result.shown { show(recording) }
                    if let reason = result.stopRun {
                        if bulk?.report.stoppedBecause == nil { markBulk(failure: reason) }
                        stop()
                    }
                    if !record(result.outcome) { stop() }
                case .lines(.lines(let lines)):
                    reading = false
                    // Lines that arrive once the run is stopping are read all the same: they
                    // get their outcome below.
                    pending = Array(pending[next...]) + lines
                    next = 0
                case .lines(.end):
                    reading = false
                    ended = true
                case .lines(.failed(let error)):
                    reading = false
                    ended = true
                    if error.stopped || Task.isCancelled {
                        if !stopping { stop(interrupted: true) }
                    } else {
                        reporter.error(error.description)
                        markBulk(failure: error.description)
                    }
                }
            }
            // From here on the run only records and sums up: a stop signal cannot cut that short.
            environment.finishing(true)
            group.cancelAll()  // a pending tick ends at once
            // Every id read gets its one outcome, those the stop left unsent too.
            let why = bulk?.report.interrupted == true ? "not sent: interrupted" : "not sent: the run stopped"
            for line in pending[next...] {
                let id = snapshot == nil ? line.text : SnapshotFile.id(inLine: line.text) ?? line.text
                _ = record(Outcome(kind: .skipped, id: id, origin: "\(source.name):\(line.number)", message: why))
            }
        }
        return finishBulk(started: started, resumeAdvice: environment.resumeAdvice)
    }

    /// Whether a progress line goes to stderr: a terminal, text output, no `--quiet`.
    var showsProgress: Bool { !environment.quiet && settings.output == .text && environment.stderr.isTerminal }

    /// Opens an id source (a file, a snapshot, `-`); nil when it cannot be, said on stderr with
    /// `consequence` after the reason.
    func openSource(_ path: String, consequence: String = "") async -> IDSource? {
        switch await IDSource.open(path, standardInput: environment.standardInputDescriptor) {
        case .success(let opened): return opened
        case .failure(let error):
            reporter.error(error.description + consequence)
            return nil
        }
    }

    /// Starts the bulk run whose outcomes `record` counts, with a progress line when one is
    /// shown (`total` ids, when known).
    func startBulk(_ report: BulkReport, total: Int?) {
        environment.finishing(false)
        bulk = BulkState(
            report: report, dryRun: report.dryRun, format: settings.output,
            progress: Progress(
                sink: showsProgress ? environment.stderr : nil, sharesTerminalWithOutput: environment.stdout.isTerminal, total: total),
            activity: environment.client.activity)
    }

    /// Ends the bulk run in progress: its status, its summary printed, `show last` set.
    func finishBulk(started: ContinuousClock.Instant, resumeAdvice: String, failed: Bool = false) -> RunStatus {
        guard var run = bulk else { return .failures }
        bulk = nil
        environment.finishing(true)
        if run.report.interrupted || Task.isCancelled {
            run.report.interrupted = true
            run.status = max(run.status, .interrupted)
        }
        if failed, !run.report.interrupted { run.status = max(run.status, .failures) }
        run.report.seconds = (ContinuousClock.now - started).inSeconds
        run.progress.clear()
        if let reason = run.report.stoppedBecause, !run.report.interrupted {
            reporter.error("the run stopped early: \(reason)")
        }
        reporter.summary(
            run.report.summary, source: run.report.source, dryRun: run.dryRun, interrupted: run.report.interrupted,
            seconds: run.report.seconds, format: run.format, resumeAdvice: resumeAdvice, downloads: run.report.downloads)
        last = .bulk(run.report)
        return run.status
    }

    /// Appends a pipeline's step line (`downloaded`, before a delete) to the journal; false when
    /// it could not be written (then the id is not deleted, and the run stops).
    func journalStep(_ outcome: Outcome) -> Bool {
        guard journal(outcome) == nil else {
            markBulk(failure: BulkState.journalStopped)
            return false
        }
        return true
    }

    /// An audit line of a bulk run that is not an outcome (`downloaded` before a delete,
    /// `batch_sent` before a batch); false when it could not be written: said once, and the run
    /// stops sending.
    func journalAudit(_ write: (Journal) throws(JournalError) -> Void) -> Bool {
        guard let journal = environment.journal else { return true }
        do throws(JournalError) {
            try write(journal)
            return true
        } catch {
            reportJournalFailure(error)
            markBulk(failure: BulkState.journalStopped)
            return false
        }
    }

    /// Prints a recording fetched by a `show recording $id` step.
    func show(_ recording: Recording) {
        bulk?.progress.beforeOutput()
        switch settings.output {
        case .json:
            var w = JSONObjectWriter()
            w.object("recording") { RecordingJSON.write(recording, to: &$0, links: .asSent) }
            reporter.info(w.finish())
        case .text:
            reporter.info(Self.table(RecordingJSON.rows(recording, links: .asSent)) + "\n")
        }
        bulk?.progress.afterOutput()
    }

    /// Records one outcome of the bulk run in progress; returns false when the run must stop
    /// reading ids.
    func record(_ outcome: Outcome) -> Bool {
        guard let dryRun = bulk?.dryRun else { return false }
        let journalFailure = dryRun ? nil : journal(outcome)
        return bulk!.record(outcome, journalFailure: journalFailure, reporter: reporter)
    }

    /// Records a `would_delete` outcome of a dry-run without a progress line: what `record`
    /// does for it (a dry-run has no journal), without building the `Outcome`.
    func recordWouldDelete(id: String, line: Int, request: PreparedRequest, lines: inout DryRunLines) {
        guard bulk != nil else { return }
        bulk!.report.summary.add(.wouldDelete)
        reporter.stdout.write { lines.append(id: id, line: line, request: request, to: &$0) }
    }

    /// Marks the bulk run in progress as interrupted, or as stopped early for `failure`.
    func markBulk(interrupted: Bool = false, failure: String? = nil, status: RunStatus = .failures) {
        guard var run = bulk else { return }
        if interrupted { run.report.interrupted = true }
        if let failure {
            run.status = max(run.status, status)
            run.report.stoppedBecause = failure
        }
        bulk = run
    }

    /// About how many ids `path` holds, from its size (a UUID line is 37 bytes).
    static func estimatedIDCount(_ path: String) -> Int {
        guard case .regular(let size) = FileKind.of(path) else { return 0 }
        return size / 37 + 16
    }

    /// Lines in the regular file `path` that may hold ids, for the progress line's total,
    /// counted on a thread of its own. Cheap: no validation.
    static func countLines(_ path: String) async -> Int? {
        await BlockingWorker().run {
            guard let reader = try? IDLineReader(path: path) else { return nil }
            var n = 0
            while (try? reader.next()) ?? nil != nil { n += 1 }
            return n
        }
    }
}

/// The state of the bulk run in progress, kept on the interpreter actor so that outcomes
/// finishing on other threads are recorded one at a time.
struct BulkState {
    var report: BulkReport
    var status = RunStatus.success
    let dryRun: Bool
    let format: OutputFormat
    var progress: Progress
    let activity: ClientActivity?

    /// Why a run stops when its journal cannot be written.
    static let journalStopped = "the journal could not be written, so nothing more is sent"

    /// Counts, keeps and prints one outcome (already journaled); false when the run must stop.
    mutating func record(_ outcome: Outcome, journalFailure: RunStatus?, reporter: Reporter) -> Bool {
        var keepGoing = true
        if let journalFailure {
            status = max(status, journalFailure)
            report.stoppedBecause = Self.journalStopped
            keepGoing = false
        }
        report.summary.add(outcome.kind)
        if let download = outcome.download { report.downloads?.add(download) }
        if outcome.kind == .failed || outcome.kind == .invalid, report.problems.count < BulkReport.keptProblems {
            report.problems.append(outcome)
        }
        if outcome.kind == .invalid {
            // The input was not what the user thought: a cron job must notice.
            status = max(status, .failures)
        }
        if outcome.kind == .failed {
            if outcome.error?.kind == .unauthorized {
                status = max(status, .unauthorized)
                report.stoppedBecause = "the API refused the key (401); check TELNYX_API_KEY"
                keepGoing = false
            } else if outcome.error?.kind != .interrupted {
                status = max(status, .failures)
            }
        }
        progress.beforeOutput()
        reporter.outcome(outcome, format: format)
        progress.afterOutput()
        updateProgress()
        return keepGoing
    }

    mutating func updateProgress() {
        guard progress.isShown else { return }
        progress.update(report.summary, activity: activity?.snapshot)
    }
}
