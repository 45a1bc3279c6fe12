import CivilTime
import TelnyxRecordings
import TnxLanguage
import TnxSystem

/// `foreach id in recordings where … delete $id`: a purge by query.
///
/// Deleting while walking the pages would shift them and skip recordings, so a purge goes in
/// four steps: read the whole match set (a snapshot file, de-duplicated, every recording
/// checked against the query), ask (the shell) or hold to `--yes` (a script), delete exactly
/// the snapshot with the bulk engine (same outcomes, journal, `--resume` and Ctrl-C as an id
/// file), and count the query again. A dry-run reads the match set the same way and deletes
/// nothing.
extension Interpreter {
    /// Pages of a match set read at once, at most: the API's pages are heavy, and the rate
    /// limit is shared with the deletes.
    static let maximumPagesInFlight = 8

    /// How reading a match set ended.
    enum MatchRead {
        case read(MatchTotals)
        /// Reported already; nothing was deleted.
        case stopped(RunStatus)
    }

    /// What a match set holds.
    struct MatchTotals {
        var count = 0
        var oldest: Int64?
        var newest: Int64?
        var audioMillis = 0
        /// Pages of the list that were read (a retried page counts once).
        var pages = 0
        /// Recordings listed again on a later page (the pages shifted while being read).
        var duplicates = 0
        /// How long reading took.
        var seconds = 0.0

        mutating func add(_ r: Recording) {
            count += 1
            audioMillis += min(max(r.durationMillis ?? 0, 0), 86_400_000)
            if let created = r.createdAt.flatMap(CivilTime.parse) {
                oldest = min(oldest ?? created, created)
                newest = max(newest ?? created, created)
            }
        }

        /// `oldest 2024-01-02, newest 2026-08-30, 812 h of audio`
        var facts: String {
            var parts: [String] = []
            if let oldest { parts.append("oldest \(CivilTime.formatDate(millis: oldest))") }
            if let newest { parts.append("newest \(CivilTime.formatDate(millis: newest))") }
            let minutes = audioMillis / 60_000
            parts.append(minutes >= 120 ? "\(Reporter.grouped(minutes / 60)) h of audio" : "\(minutes) min of audio")
            return parts.joined(separator: ", ")
        }

        func write(to w: inout JSONObjectWriter) {
            w.field("recordings", count)
            w.field("oldest", oldest.map(QueryPlan.display))
            w.field("newest", newest.map(QueryPlan.display))
            w.field("audio_seconds", audioMillis / 1000)
            w.field("pages", pages)
            w.field("seconds", json: String(Double(Int(seconds * 1000)) / 1000))
        }
    }

    /// The foreach over `query`, whose body is `pipeline`.
    ///
    /// A body that downloads or shows goes the same way (snapshot, then each id through its
    /// steps), without the question when it deletes nothing; its dry-run reads each recording
    /// and its media's size, from a snapshot that is removed at the end.
    func purge(_ query: Query, pipeline: Pipeline = Pipeline(steps: [.delete], format: .mp3)) async -> RunStatus {
        let plan = QueryPlan(query, now: QueryPlan.now())
        let dryRun = settings.dryRun
        if dryRun, pipeline.isDeleteOnly { return await dryRunPurge(plan) }
        if settings.resume, environment.journal == nil {
            reporter.error("resume skips what the journal says is done, but tnx runs with --no-journal; run without it")
            return .usage
        }
        if !dryRun, pipeline.deletes, let refused = await prepareToDelete() { return refused }
        // Ids an earlier batch purge sent and never verified: read back, so that one gone is
        // journaled deleted (no listing shows it again), even when nothing matches any more.
        if !dryRun, pipeline.deletes, settings.method == .batch || settings.resume, let stop = await settleEarlierBatches() { return stop }
        let requestsBefore = environment.client.activity?.requestsSent

        // 1. The snapshot. A dry-run's is a file in memory, never on a disk: a dry-run leaves
        // nothing behind, not even when it is killed (the lines hold phone numbers).
        let snapshot: SnapshotFile
        if dryRun {
            switch SnapshotFile.createInMemory() {
            case .success(let file): snapshot = file
            case .failure(let problem):
                reporter.error("a dry-run of this loop reads its matches into a file in memory, but \(problem.reason)")
                return .failures
            }
        } else {
            let directory = environment.snapshotDirectory ?? environment.journal.map { Directories.containing($0.path) + "/snapshots" }
            guard let directory else {
                reporter.error("a purge by query needs a directory for its snapshot; nothing was deleted")
                return .usage
            }
            switch SnapshotFile.create(in: directory, runID: environment.journal?.runID ?? Journal.makeRunID()) {
            case .success(let file): snapshot = file
            case .failure(let problem):
                reporter.error("cannot write the snapshot of \(plan.description): \(problem.reason); nothing was deleted")
                return .usage
            }
        }
        // A dry-run keeps nothing: its snapshot goes once the run has read it (the deferred call
        // also keeps an in-memory one open until then).
        defer { if dryRun { snapshot.discard() } }
        let showProgress = showsProgress
        let read = await readMatches(plan, progress: showProgress) { id, recording in snapshot.append(id, recording) }
        let totals: MatchTotals
        let written = snapshot.finishWriting()
        switch read {
        case .stopped(let status):
            // Nothing is deleted from a match set that was not read whole: no file claims one.
            if case .success(let file) = written { _ = await file.syncAndClose() }
            snapshot.discard()
            return status
        case .read(let t): totals = t
        }
        let failure: String?
        switch written {
        case .failure(let problem): failure = problem.reason
        case .success(let file): failure = await file.syncAndClose()
        }
        if let failure {
            reporter.error(failure + "; nothing was deleted")
            return .failures
        }
        let requestsAfterSnapshot = environment.client.activity?.requestsSent
        guard totals.count > 0 else {
            snapshot.discard()
            reportSnapshot(plan, totals, path: nil, dryRun: dryRun)
            return .success
        }
        reportSnapshot(plan, totals, path: dryRun ? nil : snapshot.path, dryRun: dryRun)

        // 2. The gate, now that it knows exactly what would go. With confirm on it always asks:
        // a yes given to anything else (an earlier question of the same entry) does not cover
        // a match set nobody has seen.
        let allowanceBefore = unconfirmedDeletesLeft
        if settings.confirm, pipeline.deletes, !dryRun {
            guard let ask = environment.askConfirmation else {
                // The gate before the run refuses scripts that purge by query without --yes.
                reporter.error(Self.unconfirmedMessage)
                return .usage
            }
            let n = totals.count
            // A body that keeps a copy first says so: the question is about both.
            let verb = pipeline.downloads ? "Download and then delete" : "Delete"
            let question = "\(verb) \(Reporter.grouped(n)) recording\(n == 1 ? "" : "s") (\(Reporter.safe(plan.description)); \(totals.facts))? This cannot be undone. [y/N] "
            guard await ask(question) else {
                reporter.info("nothing was deleted")
                return .success
            }
            unconfirmedDeletesLeft = .max
        }

        // 3. Exactly the snapshot, with the bulk engine.
        last = .nothing
        var status: RunStatus
        var newcomers: Int?
        var evidence: String?
        if settings.method == .batch, pipeline.isDeleteOnly, !dryRun {
            status = await batchDelete(snapshot: snapshot.path, plan: plan, count: totals.count, newcomers: &newcomers, evidence: &evidence)
        } else {
            if settings.method == .batch, !pipeline.isDeleteOnly {
                reporter.note("method batch applies when the loop's body is just 'delete $id'; these recordings go one by one")
            }
            status = await bulkDelete(
                from: snapshot.path, snapshot: BulkSnapshot(name: plan.description, count: totals.count), pipeline: pipeline)
        }
        // The yes was for this match set only.
        if settings.confirm { unconfirmedDeletesLeft = allowanceBefore }
        guard pipeline.deletes, !dryRun else { return status }
        guard status != .interrupted, status != .unauthorized, !Task.isCancelled else { return status }
        guard let report = last.bulkReport else { return status }  // it did not start (reported)
        let deleted = report.summary[.deleted]
        let requestsAfterDeletes = environment.client.activity?.requestsSent

        // 4. What still matches.
        switch await environment.client.countRecordings(plan.filter) {
        case .failure(let error):
            reporter.error("after the purge, counting \(plan.description) again failed: \(error.description)")
            status = max(status, Self.status(of: error))
        case .success(let left):
            var requests: (list: Int, delete: Int, count: Int)?
            if let requestsBefore, let requestsAfterSnapshot, let requestsAfterDeletes, let end = environment.client.activity?.requestsSent {
                requests = (requestsAfterSnapshot - requestsBefore, requestsAfterDeletes - requestsAfterSnapshot, end - requestsAfterDeletes)
            }
            if let newcomers, newcomers > 0 {
                reporter.note("\(Reporter.grouped(newcomers)) recording\(newcomers == 1 ? "" : "s") that appeared after the snapshot \(newcomers == 1 ? "was" : "were") left alone (not asked for); run the purge again to delete \(newcomers == 1 ? "it" : "them")")
            }
            let phase = !pipeline.isDeleteOnly ? "read and delete" : newcomers != nil ? "batch, verify and delete" : "delete"
            reportAfterPurge(plan, left: left, deleted: deleted, requests: requests, phase: phase, evidence: evidence)
        }
        return status
    }

    /// A dry-run of a purge: reads the match set (that is what makes it worth running) and
    /// shows each recording that would be deleted, with the totals the gate would show.
    private func dryRunPurge(_ plan: QueryPlan) async -> RunStatus {
        let format = settings.output
        let client = environment.client
        var summary = Summary()
        let started = ContinuousClock.now
        let read = await readMatches(plan) { id, recording in
            let outcome = Outcome(kind: .wouldDelete, id: id.rawValue, origin: nil, recording: recording, request: client.preparedRequest(for: id))
            summary.add(.wouldDelete)
            reporter.outcome(outcome, format: format)
        }
        guard case .read(let totals) = read else {
            if case .stopped(let status) = read { return status }
            return .failures
        }
        let seconds = (ContinuousClock.now - started).inSeconds
        // What matched, then the summary that ends with "dry-run: nothing was deleted", as
        // the dry-run of a body that downloads says them.
        reportSnapshot(plan, totals, path: nil, dryRun: true)
        reporter.summary(summary, source: plan.description, dryRun: true, interrupted: false, seconds: seconds, format: format)
        if settings.method == .batch, totals.count > 0 { reportBatchPlan(count: totals.count) }
        last = .bulk(BulkReport(source: plan.description, summary: summary, seconds: seconds, dryRun: true))
        return .success
    }

    /// Reads every recording that matches `plan`: page 1, then the pages its `meta.total_pages`
    /// announces, `maximumPagesInFlight` at a time. Each recording is checked (a valid id, and
    /// really a match: a server that lists what was not asked for stops the purge) and handed
    /// to `each` once, on the actor. On failure the error is reported and nothing was deleted.
    ///
    /// With `progress`, a line on stderr (a terminal) counts the matches read, at most ten
    /// times a second: a million matches take a while to read.
    func readMatches(_ plan: QueryPlan, progress: Bool = false, each: (RecordingID, Recording) -> Void) async -> MatchRead {
        let started = ContinuousClock.now
        let client = environment.client
        let filter = plan.filter
        let size = RecordingsClient.maximumPageSize
        var totals = MatchTotals()
        var seen: IDFingerprints?
        var problem: String?
        var failure: RecordingsError?
        let stderr = environment.stderr
        var announced: Int?
        var lastDraw: ContinuousClock.Instant?
        func draw() {
            guard progress else { return }
            let now = ContinuousClock.now
            if let lastDraw, now - lastDraw < .milliseconds(100) { return }
            lastDraw = now
            let of = announced.map { " of \(Reporter.grouped($0))" } ?? ""
            stderr.write("\r\u{1B}[Kreading the matches: \(Reporter.grouped(totals.count))\(of), \(totals.pages) page\(totals.pages == 1 ? "" : "s")")
            stderr.flush()
        }

        /// Adds a page; false when it brought nothing new (a server that ignores the page
        /// number would otherwise be read page after page).
        @discardableResult
        func take(_ page: RecordingPage) -> Bool {
            totals.pages += 1
            let before = totals.count
            defer { draw() }
            for recording in page.recordings.prefix(size) where problem == nil {
                let id: RecordingID
                do throws(InvalidRecordingID) {
                    id = try RecordingID(recording.id ?? "")
                } catch {
                    problem = "the server listed a recording whose id is not a recording id (\(error.description))"
                    return false
                }
                if let why = plan.mismatch(recording) {
                    problem = "the server listed \(id.rawValue) as a match, but \(why)"
                    return false
                }
                guard seen!.insert(id.rawValue) else {
                    totals.duplicates += 1
                    continue
                }
                totals.add(recording)
                each(id, recording)
            }
            return totals.count > before
        }

        let first = await client.listRecordings(filter, page: 1, size: size)
        switch first {
        case .failure(let error): failure = error
        case .success(let page):
            announced = page.totalResults
            // Sized once from what the server announces: a table that grows holds its old and
            // new storage at once, the peak memory of a big snapshot.
            seen = IDFingerprints(expected: page.totalResults ?? page.recordings.count)
            take(page)
            var lastPage: Int
            if let pages = page.totalPages {
                // A server's numbers are clamped: to what its own total allows, and to a
                // billion matches.
                lastPage = min(pages, 4_000_000)
                if let results = page.totalResults { lastPage = min(lastPage, max(1, (results + size - 1) / size)) }
            } else if page.recordings.count < size {
                lastPage = 1
            } else {
                problem = "the server did not say how many pages match (meta.total_pages)"
                lastPage = 1
            }
            let announcedLast = lastPage
            let pagesInFlight = min(Self.maximumPagesInFlight, settings.concurrency)
            await withTaskGroup(of: (Int, Swift.Result<RecordingPage, RecordingsError>).self) { group in
                var next = 2
                var inFlight = 0
                var lastPageFull = lastPage == 1 && page.recordings.count >= size
                while true {
                    while problem == nil, failure == nil, !Task.isCancelled, inFlight < pagesInFlight, next <= lastPage {
                        let number = next
                        group.addTask { (number, await client.listRecordings(filter, page: number, size: size)) }
                        next += 1
                        inFlight += 1
                    }
                    if inFlight == 0 {
                        // New recordings shifted the pages while they were read (the repeats
                        // show it), and the last page was full: more may follow it.
                        if problem == nil, failure == nil, !Task.isCancelled, lastPageFull, totals.duplicates > 0, lastPage < announcedLast + 1_000 {
                            lastPage += 1
                            lastPageFull = false
                            continue
                        }
                        break
                    }
                    guard let (number, result) = await group.next() else { break }
                    inFlight -= 1
                    switch result {
                    case .failure(let error): failure = failure ?? error
                    case .success(let page):
                        let new = take(page)
                        if number == lastPage { lastPageFull = page.recordings.count >= size }
                        // An empty page is past the end, and a page of repeats means the
                        // server does not page: no page after it is asked for.
                        if !new, number < lastPage { lastPage = max(number, 1) }
                    }
                }
            }
        }
        if progress, lastDraw != nil {
            // Erased before anything else is said on the terminal.
            stderr.write("\r\u{1B}[K")
            stderr.flush()
        }
        if Task.isCancelled || failure?.kind == .interrupted {
            reporter.warning("interrupted while reading \(plan.description): nothing was deleted")
            return .stopped(.interrupted)
        }
        if let failure {
            reporter.error("reading \(plan.description) failed: \(failure.description); nothing was deleted")
            return .stopped(Self.status(of: failure))
        }
        if let problem {
            reporter.error("\(problem): the server's list cannot be trusted, so nothing was deleted")
            return .stopped(.failures)
        }
        totals.seconds = (ContinuousClock.now - started).inSeconds
        return .read(totals)
    }

    /// `snapshot 12,345 recordings (oldest …, newest …, 812 h of audio), read in 50 pages;
    /// kept in …/snapshots/….jsonl`; a dry-run's (`matched …`) has no file.
    private func reportSnapshot(_ plan: QueryPlan, _ totals: MatchTotals, path: String?, dryRun: Bool = false) {
        switch settings.output {
        case .json:
            var s = JSONObjectWriter()
            s.field("query", plan.description)
            totals.write(to: &s)
            s.field("path", orNull: path)
            s.field("dry_run", dryRun)
            var w = JSONObjectWriter()
            w.field("snapshot", json: s.finish())
            reporter.info(w.finish())
        case .text:
            let n = totals.count
            guard n > 0 else {
                reporter.info("no recordings match: \(Reporter.safe(plan.description)); nothing to delete")
                return
            }
            // A dry-run keeps no snapshot: it says what matched.
            var line = reporter.styleOut.paint(dryRun ? "matched" : "snapshot", .bold) + " \(Reporter.grouped(n)) recording\(n == 1 ? "" : "s")"
            line += " (\(totals.facts)), read in \(totals.pages) page\(totals.pages == 1 ? "" : "s") (\(String(format1: totals.seconds)) s)"
            if let path { line += "; kept in \(Reporter.safe(path))" }
            reporter.info(line)
        }
    }

    /// A dry-run with `method batch`: the chunks a real run would send. None is sent.
    private func reportBatchPlan(count: Int) {
        let size = settings.batchSize
        let requests = (count + size - 1) / size
        let last = count - (requests - 1) * size
        switch settings.output {
        case .json:
            var b = JSONObjectWriter()
            b.field("requests", requests)
            b.field("chunk_size", size)
            b.field("last_chunk", last)
            var w = JSONObjectWriter()
            w.field("batch", json: b.finish())
            reporter.info(w.finish())
        case .text:
            let sizes = requests == 1 ? "of \(Reporter.grouped(last)) ids" : last == size ? "of \(size) ids each" : "of \(size) ids (the last of \(last))"
            reporter.info("method batch: would send \(Reporter.grouped(requests)) batch request\(requests == 1 ? "" : "s") \(sizes), then list the query again to verify each recording; none was sent")
        }
    }

    /// `after the purge: 0 recordings match …` and the requests the purge took.
    /// `phase` names the requests between the snapshot and the count: `delete`; `read and
    /// delete` when the body's steps also read each recording; `batch, verify and delete` for a
    /// batch purge (its chunks, the listing that verifies them, the single deletes after it).
    /// `evidence`: what verified the ids a batch purge took for gone (`Evidence.summary`).
    private func reportAfterPurge(
        _ plan: QueryPlan, left: Int, deleted: Int, requests: (list: Int, delete: Int, count: Int)?, phase: String, evidence: String? = nil
    ) {
        let perDeleted = requests.flatMap { r in deleted > 0 ? Double(r.list + r.delete + r.count) / Double(deleted) : nil }
        switch settings.output {
        case .json:
            var a = JSONObjectWriter()
            a.field("query", plan.description)
            a.field("still_match", left)
            if let requests {
                a.object("requests") { r in
                    r.field("list", requests.list)
                    r.field("delete", requests.delete)
                    r.field("count", requests.count)
                    r.field("total", requests.list + requests.delete + requests.count)
                }
                if let perDeleted { a.field("requests_per_recording_deleted", json: String(Double(Int(perDeleted * 1000)) / 1000)) }
            }
            if let evidence { a.field("verification", evidence) }
            var w = JSONObjectWriter()
            w.field("after_purge", json: a.finish())
            reporter.info(w.finish())
        case .text:
            var text =
                left == 0
                ? "after the purge, no recordings match: \(Reporter.safe(plan.description))"
                : "after the purge: \(Reporter.grouped(left)) still \(left == 1 ? "matches" : "match") (new recordings, or ones not deleted above); run it again to delete them"
            if let requests {
                let total = requests.list + requests.delete + requests.count
                text += "\nrequests: \(requests.list) list + \(Reporter.grouped(requests.delete)) \(phase) + \(requests.count) count = \(Reporter.grouped(total))"
                if let perDeleted { text += " (\(String(format3: perDeleted)) per recording deleted)" }
            }
            if let evidence { text += "\n" + evidence }
            reporter.info(text)
        }
    }
}

/// A bulk run that deletes a purge's snapshot: the ids are the `id` of each line, and the
/// summary names the query.
struct BulkSnapshot: Sendable {
    var name: String
    var count: Int
}

extension LastResult {
    var bulkReport: BulkReport? {
        if case .bulk(let report) = self { return report }
        return nil
    }
}

extension String {
    /// Three decimals: `1.004`.
    init(format3 value: Double) {
        let thousandths = Int((value * 1000).rounded())
        let fraction = String(abs(thousandths % 1000))
        self = "\(thousandths / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
