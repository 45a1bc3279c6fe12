import TelnyxRecordings
import TnxLanguage
import TnxSystem

/// Step 3 of a purge by query with `set method batch`: the snapshot's ids go to
/// `POST /recordings/actions/delete` in chunks, then the query is listed again, and each id
/// ends with its own outcome.
///
/// The API promises nothing per id for a batch (no size cap, no result per id, no rule for
/// unknown ids), so nothing is trusted:
/// - before a chunk is sent, its ids are journaled (`batch_sent`): nothing is deleted without
///   its line, even if tnx is killed before it can verify;
/// - a chunk the API refused (a 4xx) is split in half and sent again, down to single deletes;
///   a 400 or 413 lowers the chunk size for the rest of the run, never below a size it took. A
///   chunk whose fate is unknown (5xx, timeout, a cut connection) is not sent again: the
///   listing decides;
/// - then the query is listed again (`BatchPurge+Verify.swift`): only a listing that is whole
///   and consistent (every page, the same total on each, no repeats, rows adding up, every row
///   a match) may say an id is gone, and only once reads back confirm it (`set verify`): a
///   uniform random sample of the ids it says are gone (`verify-sample`, 300 by default, all
///   of them when fewer), every one answering 404, or (`verify all`) each id's own 404. Then
///   `deleted`, with the evidence in its note ("batch; absent from the listing; 300 of 20,000
///   read back, none present") and the snapshot's metadata. An id still listed, or every id
///   when no listing can be believed, is deleted on its own (`BatchPurge+Settle.swift`), so
///   each ends with its own answer. Recordings that appeared after the snapshot are left
///   alone, and counted.
///
/// The sample costs a fixed number of reads, whatever the size of the purge: 300 for 20,000
/// recordings (0.015 of a request each) as for 100,000 (0.003).
actor BatchPurge {
    /// Chunks in flight at once, at most (within the one rate limiter of every request).
    static let maximumChunksInFlight = 4
    /// Listings tried before giving up on verifying by listing.
    static let listingAttempts = 3

    /// One chunk: ids with their snapshot lines.
    struct Chunk: Sendable {
        var ids: [RecordingID]
        var lines: [Int]
        var number: Int
    }

    enum Event: Sendable {
        case lines(IDSource.Batch)
        case chunk(Chunk, BatchDeleteResult)
        case single(Outcome)
    }

    /// What the chunks left for the verification.
    struct ChunksSent: Sendable {
        /// The last snapshot line read: the ids after it were not read (no outcome, as in a
        /// bulk run that stops).
        var readUpTo = 0
        /// Ids read but never sent (the run stopped first).
        var unsent = IDFingerprints(expected: 0)
        /// Ids with an outcome already (single deletes, `--resume` skips, refused by a 429).
        var resolved = IDFingerprints(expected: 0)
        /// The whole snapshot was read.
        var readAll = false
    }

    /// How a batch purge ended.
    struct Result: Sendable {
        var run: BulkResult
        /// The recordings listed again that were not in the snapshot (nil when not known).
        var newcomers: Int?
        /// What verified the ids taken for gone, for the summary.
        var evidence: String?
    }

    let context: EngineContext
    let path: String
    let plan: QueryPlan
    let count: Int
    var ledger: RunLedger?

    init(_ context: EngineContext, snapshot path: String, plan: QueryPlan, count: Int) {
        self.context = context
        self.path = path
        self.plan = plan
        self.count = count
    }

    var reporter: Reporter { context.reporter }
    var settings: Settings { context.settings }

    func run() async -> Result {
        guard let source = await context.openSource(path) else { return Result(run: .notStarted(.failures)) }
        // `--resume`: what the journal says is done is skipped, as by the bulk engine.
        var done: IDSet?
        if settings.resume {
            guard let set = await context.resume.load(reporter: reporter) else { return Result(run: .notStarted(.usage)) }
            done = set.done
        }
        ledger = RunLedger(BulkReport(source: plan.description, dryRun: false), total: count, context: context)
        let started = ContinuousClock.now

        // 1. The chunks.
        let sent = await sendChunks(source: source, skipping: done)
        var stopped: String? {
            if ledger!.report.interrupted || Task.isCancelled { return "interrupted" }
            if ledger!.status == .unauthorized { return "the API refused the key" }
            return nil
        }

        // 2. What is still listed, if a listing can be believed.
        var verdict: Verdict
        if let why = stopped {
            verdict = .unverified(why)
        } else {
            verdict = await verify(sent: sent)
        }
        var result = Result(run: .notStarted(.failures))
        if case .listed(_, let proof) = verdict, proof.absent > 0 { result.evidence = proof.summary }

        // 3. One outcome per id read, in the snapshot's order.
        let inSnapshotListed = await settle(sent: sent, verdict: verdict)
        if case .listed(let listing, _) = verdict, sent.readAll { result.newcomers = max(0, listing.rows - inSnapshotListed) }

        var unverified: Bool { if case .unverified = verdict { true } else { false } }
        result.run = ledger!.finish(started: started, resumeAdvice: "run the purge again: what is left is listed and deleted", failed: unverified)
        return result
    }

    /// Step 1: reads the snapshot and sends its ids in chunks (`IDFeed` keeps the reading).
    private func sendChunks(source: IDSource, skipping done: IDSet?) async -> ChunksSent {
        let client = context.client
        let path = path
        return await withTaskGroup(of: Event.self) { group in
            var sent = ChunksSent()
            var feed = IDFeed(concurrency: Self.maximumChunksInFlight, readAhead: 4096)
            var chunkSize = settings.batchSize
            var largestTaken = 0
            var chunks = 0
            var buffered: [(RecordingID, Int)] = []
            var next = 0
            var retries: [Chunk] = []
            func stop() {
                if feed.stop() { source.stop() }
            }
            func launch(_ chunk: Chunk) {
                // Every request is held to the confirmation, as in the bulk engine: a batch
                // goes only when the gate's question was answered yes (or confirm is off).
                guard context.mayDeleteUnconfirmed(chunk.ids.count) else {
                    ledger!.mark(failure: DeleteAllowance.unconfirmedMessage, status: .usage)
                    for id in chunk.ids { _ = sent.unsent.insert(id.rawValue) }
                    stop()
                    return
                }
                guard ledger!.audit(context.journal.batchSent(chunk.ids, chunk: chunk.number)) else {
                    for id in chunk.ids { _ = sent.unsent.insert(id.rawValue) }
                    stop()
                    return
                }
                feed.started()
                if chunk.ids.count == 1 {
                    let id = chunk.ids[0]
                    let origin = "\(path):\(chunk.lines[0])"
                    group.addTask { .single(Outcome(await client.deleteRecording(id, dryRun: false), id: id, origin: origin)) }
                } else {
                    group.addTask { .chunk(chunk, await client.deleteRecordings(chunk.ids)) }
                }
            }
            while true {
                if Task.isCancelled, !feed.isStopping {
                    ledger!.mark(interrupted: true)
                    stop()
                }
                while !feed.isStopping, feed.inFlight < Self.maximumChunksInFlight {
                    if !retries.isEmpty {
                        launch(retries.removeFirst())
                    } else if buffered.count - next >= chunkSize || (feed.hasEnded && next < buffered.count) {
                        let take = buffered[next..<min(buffered.count, next + chunkSize)]
                        next += take.count
                        chunks += 1
                        launch(Chunk(ids: take.map(\.0), lines: take.map(\.1), number: chunks))
                    } else {
                        break
                    }
                }
                if next > 4096 {
                    buffered.removeFirst(next)
                    next = 0
                }
                context.terminal.stdout.flush()
                guard let actions = feed.beforeWait(wantsLines: buffered.count - next < chunkSize * Self.maximumChunksInFlight) else { break }
                for case .read(let limit) in actions { group.addTask { .lines(await source.next(limit: limit)) } }
                guard let event = await group.next() else { break }
                switch event {
                case .lines(.lines(let lines)):
                    feed.read(lines)
                    for line in feed.takeAll() {
                        sent.readUpTo = line.number
                        guard let text = SnapshotFile.id(inLine: line.text), let id = try? RecordingID(text) else { continue }
                        if let done, done.contains(id.rawValue) {
                            _ = sent.resolved.insert(id.rawValue)
                            if !ledger!.record(Outcome(kind: .skipped, id: id.rawValue, origin: "\(path):\(line.number)", message: "done in an earlier run (journal)")) {
                                stop()
                            }
                            continue
                        }
                        buffered.append((id, line.number))
                    }
                case .lines(.end):
                    feed.ended()
                    sent.readAll = true
                case .lines(.failed(let error)):
                    feed.ended()
                    if !error.stopped, !Task.isCancelled {
                        reporter.error(error.description)
                        ledger!.mark(failure: error.description)
                        stop()
                    }
                case .single(let outcome):
                    feed.finished()
                    _ = sent.resolved.insert(outcome.id)
                    if !ledger!.record(outcome) { stop() }
                case .chunk(let chunk, .accepted):
                    feed.finished()
                    largestTaken = max(largestTaken, chunk.ids.count)
                case .chunk(let chunk, .failed(let error)):
                    feed.finished()
                    switch error.kind {
                    case .unauthorized:
                        ledger!.mark(failure: RunLedger.keyRefused(context.client), status: .unauthorized)
                        stop()
                    case .interrupted:
                        ledger!.mark(interrupted: true)
                        stop()
                    case .rateLimited:
                        // Still limited after every pause the policy allows: not taken. Each id
                        // fails as a single delete would; no more load on a limiting server.
                        for (id, line) in zip(chunk.ids, chunk.lines) {
                            _ = sent.resolved.insert(id.rawValue)
                            if !ledger!.record(Outcome(kind: .failed, id: id.rawValue, origin: "\(path):\(line)", httpStatus: error.status, message: error.description, error: error, attempts: error.attempts)) {
                                stop()
                            }
                        }
                    case .serverError, .timeout, .transport, .unreadableResponse:
                        // It may have been carried out: the client did not send it again
                        // either (`deleteRecordings`). The listing and the reads back decide.
                        break
                    default:
                        // Refused (a 4xx): split in half and send again, down to single deletes.
                        // A refusal that looks like a size cap lowers the size for the rest of
                        // the run, never below a size the API took.
                        if error.status == 400 || error.status == 413, chunk.ids.count <= chunkSize {
                            let lowered = max(1, chunk.ids.count / 2, largestTaken)
                            if lowered < chunkSize {
                                reporter.note("the API refused \(chunk.ids.count) ids in one request (HTTP \(error.status ?? 0)): \(lowered) a request from now on")
                                chunkSize = lowered
                            }
                        }
                        let half = (chunk.ids.count + 1) / 2
                        chunks += 2
                        retries.insert(Chunk(ids: Array(chunk.ids[half...]), lines: Array(chunk.lines[half...]), number: chunks), at: 0)
                        retries.insert(Chunk(ids: Array(chunk.ids[..<half]), lines: Array(chunk.lines[..<half]), number: chunks - 1), at: 0)
                    }
                }
            }
            group.cancelAll()
            // What was read and never went.
            for chunk in retries { for id in chunk.ids { _ = sent.unsent.insert(id.rawValue) } }
            for (id, _) in buffered[next...] { _ = sent.unsent.insert(id.rawValue) }
            return sent
        }
    }
}
