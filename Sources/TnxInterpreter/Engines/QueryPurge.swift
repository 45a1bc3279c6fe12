import TelnyxRecordings
import TnxLanguage
import TnxSystem

/// `foreach id in recordings where … delete $id`: a purge by query.
///
/// Deleting while walking the pages would shift them and skip recordings, so a purge goes in
/// four steps: read the whole match set (`MatchReader` into a `SnapshotFile`, de-duplicated,
/// every recording checked against the query), ask (the shell) or hold to `--yes` (a script),
/// delete exactly the snapshot (`BulkRun`, or `BatchPurge` with `set method batch`: same
/// outcomes, journal, `--resume` and Ctrl-C as an id file), and count the query again. A
/// dry-run reads the match set the same way and deletes nothing.
///
/// A body that downloads or shows goes the same way (snapshot, then each id through its
/// steps), without the question when it deletes nothing; its dry-run reads each recording and
/// its media's size, from a snapshot that is removed at the end.
struct QueryPurge {
    let context: EngineContext
    let plan: QueryPlan
    let pipeline: Pipeline

    init(_ context: EngineContext, query: Query, pipeline: Pipeline) {
        self.context = context
        self.plan = QueryPlan(query, now: QueryPlan.now())
        self.pipeline = pipeline
    }

    var reporter: Reporter { context.reporter }
    var settings: Settings { context.settings }

    func run() async -> PurgeResult {
        let dryRun = settings.dryRun
        var result = PurgeResult(status: .success, report: PurgeReport(query: plan.description, dryRun: dryRun))
        if dryRun, pipeline.isDeleteOnly { return await self.dryRun() }
        if settings.resume, context.journal.journal == nil {
            reporter.error("resume skips what the journal says is done, but tnx runs with --no-journal; run without it")
            return result.ending(.usage)
        }
        // Before the first request of a real run, whatever the body: the journal is this run's
        // alone (its lock) and the base URL answers like the API.
        if !dryRun, let refused = await context.preparation.prepare() { return result.ending(refused) }
        // Ids an earlier batch purge sent and never verified: read back, so that one gone is
        // journaled deleted (no listing shows it again), even when nothing matches any more.
        if !dryRun, pipeline.deletes, settings.method == .batch || settings.resume, let stop = await EarlierBatches(context: context).settle() {
            return result.ending(stop)
        }
        let requestsBefore = context.client.activity?.requestsSent

        // 1. The snapshot. A dry-run's is a file in memory, never on a disk: a dry-run leaves
        // nothing behind, not even when it is killed (the lines hold phone numbers).
        let snapshot: SnapshotFile
        switch createSnapshot() {
        case .success(let file): snapshot = file
        case .failure(let failure): return result.ending(failure.status)
        }
        // A dry-run keeps nothing: its snapshot goes once the run has read it (the deferred call
        // also keeps an in-memory one open until then).
        defer { if dryRun { snapshot.discard() } }
        if !dryRun { await pruneSnapshots(besides: snapshot.path) }
        let read = await MatchReader(context: context).read(plan, progress: context.showsProgress) { id, recording in
            snapshot.append(id, recording)
        }
        let totals: MatchTotals
        let written = snapshot.finishWriting()
        switch read {
        case .stopped(let status):
            // Nothing is deleted from a match set that was not read whole: no file claims one.
            if case .success(let file) = written { _ = await file.syncAndClose() }
            snapshot.discard()
            return result.ending(status)
        case .read(let t): totals = t
        }
        result.report.matched = totals
        let failure: String?
        switch written {
        case .failure(let problem): failure = problem.reason
        case .success(let file): failure = await file.syncAndClose()
        }
        if let failure {
            reporter.error(failure + "; nothing was deleted")
            return result.ending(.failures)
        }
        let requestsAfterSnapshot = context.client.activity?.requestsSent
        guard totals.count > 0 else {
            snapshot.discard()
            reportSnapshot(totals, path: nil, dryRun: dryRun)
            // The journal shows that the job ran, also when it found nothing to do.
            if !dryRun, !context.journal.audit({ journal throws(JournalError) in try journal.recordPurge(query: plan.description, matched: 0) }) {
                return result.ending(.failures)
            }
            return result
        }
        if !dryRun { result.report.snapshotPath = snapshot.path }
        reportSnapshot(totals, path: dryRun ? nil : snapshot.path, dryRun: dryRun)

        // 2. The gate, now that it knows exactly what would go. With confirm on it always asks:
        // a yes given to anything else (an earlier question of the same entry) does not cover
        // a match set nobody has seen.
        let allowanceBefore = context.allowance.remaining
        if settings.confirm, pipeline.deletes, !dryRun {
            guard let ask = context.terminal.askConfirmation else {
                // The gate before the run refuses scripts that purge by query without --yes.
                reporter.error(DeleteAllowance.unconfirmedMessage)
                return result.ending(.usage)
            }
            let n = totals.count
            // A body that keeps a copy first says so: the question is about both.
            let verb = pipeline.downloads ? "Download and then delete" : "Delete"
            let question = "\(verb) \(Reporter.grouped(n)) recording\(n == 1 ? "" : "s") (\(Reporter.safe(plan.description)); \(totals.facts))? This cannot be undone. [y/N] "
            guard await ask(question) else {
                reporter.info("nothing was deleted")
                result.report.declined = true
                return result
            }
            context.allowance.grantAll()
        }

        // 3. Exactly the snapshot, with the bulk or the batch engine.
        let run: BulkResult
        if settings.method == .batch, pipeline.isDeleteOnly, !dryRun {
            let batch = await BatchPurge(context, snapshot: snapshot.path, plan: plan, count: totals.count).run()
            run = batch.run
            result.report.newcomers = batch.newcomers
            result.report.evidence = batch.evidence
            result.report.batched = true
        } else {
            if settings.method == .batch, !pipeline.isDeleteOnly {
                reporter.note("method batch applies when the loop's body is just 'delete $id'; these recordings go one by one")
            }
            run = await BulkRun(
                context, path: snapshot.path, snapshot: BulkSnapshot(name: plan.description, count: totals.count), pipeline: pipeline
            ).run()
        }
        // The yes was for this match set only.
        if settings.confirm { context.allowance.restore(allowanceBefore) }
        result.status = run.status
        result.report.run = run.report
        guard pipeline.deletes, !dryRun else { return result }
        guard run.status != .interrupted, run.status != .unauthorized, !Task.isCancelled else { return result }
        guard let report = run.report else { return result }  // it did not start (reported)
        let deleted = report.summary[.deleted]
        let requestsAfterDeletes = context.client.activity?.requestsSent

        // 4. What still matches.
        switch await context.client.countRecordings(plan.filter) {
        case .failure(let error):
            reporter.error("after the purge, counting \(plan.description) again failed: \(error.description)")
            result.status = max(result.status, RunStatus(failed: error))
        case .success(let left):
            result.report.stillMatching = left
            if let requestsBefore, let requestsAfterSnapshot, let requestsAfterDeletes, let end = context.client.activity?.requestsSent {
                result.report.requests = PurgeRequests(
                    list: requestsAfterSnapshot - requestsBefore, delete: requestsAfterDeletes - requestsAfterSnapshot, count: end - requestsAfterDeletes)
            }
            if let newcomers = result.report.newcomers, newcomers > 0 {
                reporter.note("\(Reporter.grouped(newcomers)) recording\(newcomers == 1 ? "" : "s") that appeared after the snapshot \(newcomers == 1 ? "was" : "were") left alone (not asked for); run the purge again to delete \(newcomers == 1 ? "it" : "them")")
            }
            result.report.phase = !pipeline.isDeleteOnly ? "read and delete" : result.report.newcomers != nil ? "batch, verify and delete" : "delete"
            reportAfterPurge(result.report, deleted: deleted)
        }
        return result
    }

    /// The snapshot file: in memory for a dry-run, else in the snapshot directory (beside the
    /// journal by default). The status to stop with, said, when it cannot be made.
    private func createSnapshot() -> Swift.Result<SnapshotFile, RunStatusError> {
        if settings.dryRun {
            switch SnapshotFile.createInMemory() {
            case .success(let file): return .success(file)
            case .failure(let problem):
                reporter.error("a dry-run of this loop reads its matches into a file in memory, but \(problem.reason)")
                return .failure(RunStatusError(.failures))
            }
        }
        let journal = context.journal.journal
        let directory = context.terminal.snapshotDirectory ?? journal.map { Directories.containing($0.path) + "/snapshots" }
        guard let directory else {
            reporter.error("a purge by query needs a directory for its snapshot; nothing was deleted")
            return .failure(RunStatusError(.usage))
        }
        switch SnapshotFile.create(in: directory, runID: journal?.runID ?? Journal.makeRunID()) {
        case .success(let file): return .success(file)
        case .failure(let problem):
            reporter.error("cannot write the snapshot of \(plan.description): \(problem.reason); nothing was deleted")
            return .failure(RunStatusError(.usage))
        }
    }

    /// `set keep-snapshots`: the snapshots older than it in the directory of `path` (this
    /// purge's own, just created), removed off the pool; how many is said on stderr.
    private func pruneSnapshots(besides path: String) async {
        let retention = settings.keepSnapshots
        guard case .age = retention else { return }
        let directory = Directories.containing(path)
        let pruned = await BlockingWorker().run { SnapshotPruning.prune(directory, retention: retention) }
        if pruned.removed > 0 {
            reporter.note(
                "removed \(Reporter.grouped(pruned.removed)) snapshot\(pruned.removed == 1 ? "" : "s") older than \(retention.text) from \(directory) (set keep-snapshots)")
        }
        if let failure = pruned.failure {
            reporter.warning("\(failure), a snapshot older than \(retention.text); remove it by hand, or set keep-snapshots off to keep every snapshot")
        }
    }

    /// A dry-run of a purge: reads the match set (that is what makes it worth running) and
    /// shows each recording that would be deleted, with the totals the gate would show.
    private func dryRun() async -> PurgeResult {
        let format = settings.output
        let client = context.client
        var summary = Summary()
        let started = ContinuousClock.now
        let read = await MatchReader(context: context).read(plan) { id, recording in
            let outcome = Outcome(kind: .wouldDelete, id: id.rawValue, origin: nil, recording: recording, request: client.preparedRequest(for: id))
            summary.add(.wouldDelete)
            reporter.outcome(outcome, format: format)
        }
        var result = PurgeResult(status: .success, report: PurgeReport(query: plan.description, dryRun: true))
        guard case .read(let totals) = read else {
            if case .stopped(let status) = read { return result.ending(status) }
            return result.ending(.failures)
        }
        let seconds = (ContinuousClock.now - started).inSeconds
        // What matched, then the summary that ends with "dry-run: nothing was deleted", as
        // the dry-run of a body that downloads says them.
        reportSnapshot(totals, path: nil, dryRun: true)
        reporter.summary(summary, source: plan.description, dryRun: true, interrupted: false, seconds: seconds, format: format)
        if settings.method == .batch, totals.count > 0 { reportBatchPlan(count: totals.count) }
        result.report.matched = totals
        result.report.run = BulkReport(source: plan.description, summary: summary, seconds: seconds, dryRun: true)
        return result
    }
}

/// A status carried as an error, for a `Result` whose failure was said already.
struct RunStatusError: Error {
    var status: RunStatus
    init(_ status: RunStatus) { self.status = status }
}

/// How a purge ended, and what it did: `show last` shows it.
struct PurgeResult: Sendable {
    var status: RunStatus
    var report: PurgeReport

    /// The same, ended with `status`.
    func ending(_ status: RunStatus) -> PurgeResult {
        var ended = self
        ended.status = status
        return ended
    }
}

/// What a purge by query did, for `show last`: the query, its snapshot, its run, the count
/// after it, and what it cost.
struct PurgeReport: Sendable {
    var query: String
    var dryRun: Bool
    var matched: MatchTotals?
    /// The snapshot kept (a real purge with matches).
    var snapshotPath: String?
    /// The shell's question was answered no.
    var declined = false
    /// The bulk or batch run of the snapshot, when it started.
    var run: BulkReport?
    var batched = false
    /// Recordings listed again by a batch purge that were not in its snapshot (nil when not
    /// known).
    var newcomers: Int?
    /// What verified the ids a batch purge took for gone (`Evidence.summary`).
    var evidence: String?
    /// What still matched when it was counted again.
    var stillMatching: Int?
    var requests: PurgeRequests?
    /// The requests between the snapshot and the count: `delete`, `read and delete`,
    /// `batch, verify and delete`.
    var phase = "delete"

    init(query: String, dryRun: Bool) {
        self.query = query
        self.dryRun = dryRun
    }
}

/// The requests of a purge, by step.
struct PurgeRequests: Sendable, Hashable {
    var list: Int
    var delete: Int
    var count: Int
    var total: Int { list + delete + count }
}
