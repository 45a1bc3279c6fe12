import TelnyxRecordings
import TnxLanguage
import TnxSystem

/// The bulk engine: `foreach id in FILE delete $id`, and a purge's snapshot. Streams the ids,
/// deletes each valid, new one once with at most `concurrency` requests in flight, and gives
/// every id read exactly one outcome.
///
/// The ids are read on a thread of their own (`IDSource`), and the run waits for whichever
/// comes first, the next lines or a finished request: an outcome is journaled and printed as
/// soon as its answer arrives, even while the input is silent, and Ctrl-C is honoured within
/// 100 ms of a wait for input. Outcomes are recorded on this actor (`RunLedger`) in the order
/// requests finish: journal first (one write each; the ids a pass starts were journaled
/// `sending` in one write before their requests went, so a crash loses no id), then summary
/// and output, flushed after each event. With `--resume`, an id an earlier run left `sending`
/// is read back first (`SentSettlement`). Ctrl-C (task cancellation) stops reading; requests
/// on the wire finish and are recorded. A 401 stops reading at once.
///
/// What to do next at each event is `IDFeed`'s (a value type, `IDFeed.swift`); this actor
/// carries it out.
actor BulkRun {
    /// What the run waits for: the next lines of the id source, or a finished delete.
    enum Event: Sendable {
        case lines(IDSource.Batch)
        case finished(Outcome)
        /// An id's way through the loop body's steps (`Pipeline`).
        case piped(PipelineResult)
        /// Time to redraw the progress line (it counts down a pause while nothing happens).
        case tick
    }

    private let context: EngineContext
    private let path: String
    private let snapshot: BulkSnapshot?
    /// The steps of each id, unless the body is a plain delete.
    private let piped: Pipeline?
    private var ledger: RunLedger?

    /// With `snapshot`, `path` is a purge's snapshot file: each line's `id` is deleted (its ids
    /// are already distinct), and the summary names the query. With a `pipeline` other than a
    /// plain delete, each id goes through its steps (download, show, delete) in a task of its
    /// own, `concurrency` ids at a time, a dry-run too (it reads).
    init(_ context: EngineContext, path: String, snapshot: BulkSnapshot? = nil, pipeline: Pipeline? = nil) {
        self.context = context
        self.path = path
        self.snapshot = snapshot
        self.piped = pipeline.flatMap { $0.isDeleteOnly ? nil : $0 }
    }

    private var reporter: Reporter { context.reporter }
    private var settings: Settings { context.settings }

    func run() async -> BulkResult {
        guard let source = await context.openSource(path) else { return .notStarted(.failures) }
        let dryRun = settings.dryRun
        if snapshot == nil, settings.method == .batch {
            // A batch is verified by listing its query again; ids of a file have no query, and
            // checking each would cost a read per id: no gain over deleting it.
            reporter.note("method batch applies to purges by query; the ids of \(source.name) are deleted one by one")
        }
        // Also before a body that only downloads: the journal records what was saved (for
        // --resume), and the base URL must answer like the API.
        if !dryRun, let refused = await context.preparation.prepare() { return .notStarted(refused) }
        if !dryRun, let piped, let refused = await Self.prepareDirectories(piped, reporter: reporter) { return .notStarted(refused) }
        var done: IDSet?
        var unsettled: IDSet?
        var earlier: [String: JournaledDownload] = [:]
        if settings.resume {
            // A dry-run reads the journal too: it shows what the real --resume would skip.
            guard context.journal.journal != nil else {
                reporter.error("resume skips what the journal says is done, but tnx runs with --no-journal; run without it")
                return .notStarted(.usage)
            }
            guard let set = await context.resume.load(reporter: reporter) else { return .notStarted(.usage) }
            done = set.done
            if !dryRun, set.unsettled.count > 0 { unsettled = set.unsettled }
            if piped?.downloads == true { earlier = set.downloads }
        }

        let total = !context.showsProgress ? nil : snapshot != nil ? snapshot?.count : !source.isStream ? await Self.countLines(path) : nil
        var report = BulkReport(source: snapshot?.name ?? source.name, dryRun: dryRun)
        if piped?.downloads == true { report.downloads = DownloadTotals() }
        ledger = RunLedger(report, total: total, context: context)
        let started = ContinuousClock.now
        let runner = piped.map { pipeline in
            PipelineRunner(
                pipeline: pipeline, client: context.client, dryRun: dryRun, earlier: earlier, journal: { await self.journalStep($0) },
                verifyDuration: settings.verifyDuration, copies: CopyRegistry(earlier),
                sending: { await self.journalSending([$0.rawValue]) })
        }
        await loop(source, done: done, unsettled: unsettled, runner: runner)
        return ledger!.finish(started: started, resumeAdvice: context.terminal.resumeAdvice)
    }

    /// Creates every directory of `pipeline` (mode 0700) before the first id starts, and
    /// removes the `.partial` files stopped runs left; the status to stop with, if any.
    static func prepareDirectories(_ pipeline: Pipeline, reporter: Reporter) async -> RunStatus? {
        for directory in pipeline.directories {
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
        return nil
    }

    /// The loop: `IDFeed` decides, this carries it out.
    private func loop(_ source: IDSource, done: IDSet?, unsettled: IDSet?, runner: PipelineRunner?) async {
        let dryRun = settings.dryRun
        let format = settings.output
        let concurrency = settings.concurrency
        let client = context.client
        let snapshot = snapshot
        let showProgress = context.showsProgress
        var seen = IDSet(expected: source.isStream || snapshot != nil ? 0 : Self.estimatedIDCount(path))
        // A dry-run's lines are written straight from their parts (see `DryRunLines`), except
        // under a progress line, which is redrawn around each.
        var dryRunLines: DryRunLines? =
            !dryRun || piped != nil || reporter.summariesOnly ? nil
            : format == .json ? .json(source: source.name)
            : showProgress ? nil : .text(label: reporter.wouldDeleteLabel)
        // A dry-run of a plain delete sends nothing, so it takes ids as fast as it reads them;
        // a pipeline reads (the recording, the media's size) even in a dry-run.
        let sends = !dryRun || runner != nil
        var feed = IDFeed(
            concurrency: sends ? concurrency : .max,
            // A real run reads little ahead of what it sends: what is read when it stops still
            // gets an outcome (skipped), and should be few.
            readAhead: !sends ? 4096 : max(256, concurrency * 4), ticks: showProgress)

        await withTaskGroup(of: Event.self) { group in
            // The ids one pass starts: journaled `sending` together, then sent.
            var starting: [(id: RecordingID, origin: String, settle: Bool)] = []
            func stop(interrupted: Bool = false) {
                if interrupted { ledger!.mark(interrupted: true) }
                if feed.stop() { source.stop() }
            }
            while true {
                if Task.isCancelled, !feed.isStopping { stop(interrupted: true) }
                taking: while !Task.isCancelled, let line = feed.nextLine() {
                    // Built only when an outcome needs it: not for each line of a json dry-run.
                    var origin: String { "\(source.name):\(line.number)" }
                    let id: RecordingID
                    do throws(InvalidRecordingID) {
                        id = try RecordingID(snapshot == nil ? line.text : SnapshotFile.id(inLine: line.text) ?? "")
                    } catch {
                        if !ledger!.record(Outcome(kind: .invalid, id: line.text, origin: origin, message: error.description)) { stop() }
                        continue
                    }
                    guard snapshot != nil || seen.insert(id.rawValue) else {
                        if !ledger!.record(Outcome(kind: .duplicate, id: id.rawValue, origin: origin, message: "already read earlier in this run")) { stop() }
                        continue
                    }
                    if let done, done.contains(id.rawValue) {
                        if !ledger!.record(Outcome(kind: .skipped, id: id.rawValue, origin: origin, message: "done in an earlier run (journal)")) { stop() }
                        continue
                    }
                    if dryRun, runner == nil {
                        // No I/O and no hop off the actor: a million-id dry-run stays fast.
                        let request = client.preparedRequest(for: id)
                        if dryRunLines != nil {
                            ledger!.recordWouldDelete(id: id.rawValue, line: line.number, request: request, lines: &dryRunLines!)
                        } else if !ledger!.record(Outcome(.wouldDelete(request), id: id, origin: origin)) {
                            stop()
                        }
                        continue
                    }
                    guard dryRun || !(piped?.deletes ?? true) || context.mayDeleteUnconfirmed() else {
                        _ = ledger!.record(Outcome(kind: .skipped, id: id.rawValue, origin: origin, message: DeleteAllowance.unconfirmedMessage))
                        ledger!.mark(failure: DeleteAllowance.unconfirmedMessage, status: .usage)
                        stop()
                        break taking
                    }
                    starting.append((id, origin, unsettled?.contains(id.rawValue) == true))
                    feed.started()
                }
                // Write-ahead: the ids of this pass are journaled `sending` in one write before
                // any of their deletes goes (a pipeline journals each id before its delete step).
                if !starting.isEmpty {
                    if Task.isCancelled {
                        // Stopped before they went: untouched, like the ids the run did not reach
                        // (no `sending` line that a later --resume would read back for nothing).
                        for start in starting {
                            _ = ledger!.record(Outcome(kind: .skipped, id: start.id.rawValue, origin: start.origin, message: "not sent: interrupted"))
                        }
                        feed.finished(starting.count)
                        if !feed.isStopping { stop(interrupted: true) }
                    } else if !dryRun, runner == nil, !ledger!.audit(context.journal.sending(starting.map(\.id.rawValue))) {
                        for start in starting {
                            _ = ledger!.record(Outcome(kind: .skipped, id: start.id.rawValue, origin: start.origin, message: "not sent: the journal could not be written"))
                        }
                        feed.finished(starting.count)
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
                // Everything recorded so far reaches stdout before the run waits again: a
                // `tail -f` of a cron log, or `jq` on a pipe, sees each outcome as it happens.
                context.terminal.stdout.flush()
                guard let actions = feed.beforeWait() else { break }
                for action in actions {
                    switch action {
                    case .read(let limit): group.addTask { .lines(await source.next(limit: limit)) }
                    case .tick:
                        group.addTask {
                            try? await Task.sleep(for: .milliseconds(250))
                            return .tick
                        }
                    }
                }
                guard let event = await group.next() else { break }
                switch event {
                case .tick:
                    feed.ticked()
                    ledger!.updateProgress()
                case .finished(let outcome):
                    feed.finished()
                    if !ledger!.record(outcome) { stop() }
                case .piped(let result):
                    feed.finished()
                    for recording in result.shown { ledger!.show(recording) }
                    if let reason = result.stopRun {
                        if ledger!.report.stoppedBecause == nil { ledger!.mark(failure: reason) }
                        stop()
                    }
                    if !ledger!.record(result.outcome) { stop() }
                case .lines(.lines(let lines)):
                    // Lines that arrive once the run is stopping are read all the same: they
                    // get their outcome below.
                    feed.read(lines)
                case .lines(.end):
                    feed.ended()
                case .lines(.failed(let error)):
                    feed.ended()
                    if error.stopped || Task.isCancelled {
                        if !feed.isStopping { stop(interrupted: true) }
                    } else {
                        reporter.error(error.description)
                        ledger!.mark(failure: error.description)
                    }
                }
            }
            // From here on the run only records and sums up: a stop signal cannot cut that short.
            context.terminal.finishing(true)
            group.cancelAll()  // a pending tick ends at once
            // Every id read gets its one outcome, those the stop left unsent too.
            let why = ledger!.report.interrupted ? "not sent: interrupted" : "not sent: the run stopped"
            for line in feed.unstarted {
                let id = snapshot == nil ? line.text : SnapshotFile.id(inLine: line.text) ?? line.text
                _ = ledger!.record(Outcome(kind: .skipped, id: id, origin: "\(source.name):\(line.number)", message: why))
            }
        }
    }

    /// Appends a pipeline's step line (`downloaded`, before a delete) to the journal; false when
    /// it could not be written (then the id is not deleted, and the run stops).
    private func journalStep(_ outcome: Outcome) -> Bool {
        guard context.journal.record(outcome) == nil else {
            ledger?.mark(failure: JournalWriter.stopped)
            return false
        }
        return true
    }

    /// Write-ahead for a pipeline's delete step.
    private func journalSending(_ ids: [String]) -> Bool {
        ledger?.audit(context.journal.sending(ids)) ?? false
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

/// A bulk run that deletes a purge's snapshot: the ids are the `id` of each line, and the
/// summary names the query.
struct BulkSnapshot: Sendable {
    var name: String
    var count: Int
}
