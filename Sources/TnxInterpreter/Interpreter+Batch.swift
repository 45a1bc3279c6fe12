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
/// - then the query is listed again (`listAgain`): only a listing that is whole and consistent
///   (every page, the same total on each, no repeats, rows adding up, every row a match), and
///   whose absences a few reads confirm, may say an id is gone: `deleted`, "batch; verified
///   absent", with the snapshot's metadata. An id still listed, or every id when no listing
///   can be trusted, is deleted on its own, so each ends with its own answer. Recordings that
///   appeared after the snapshot are left alone, and counted.
extension Interpreter {
    /// Chunks in flight at once, at most (within the one rate limiter of every request).
    static let maximumChunksInFlight = 4
    /// Absent ids read back (`GET`) to confirm a listing before it is believed: one per 2,500
    /// recordings, at most 8 (0.0004 of a request per recording).
    static let spotChecks = 8
    /// Listings tried before giving up on verifying by listing.
    static let listingAttempts = 3

    /// One chunk: ids with their snapshot lines.
    struct Chunk: Sendable {
        var ids: [RecordingID]
        var lines: [Int]
        var number: Int
    }

    enum BatchEvent: Sendable {
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
        /// Up to `spotChecks` ids of chunks the API took, to confirm a listing's absences.
        var sample: [RecordingID] = []
        /// The whole snapshot was read.
        var readAll = false
    }

    /// Returns the run's status; `last` holds its report. `newcomers` is set to the recordings
    /// listed again that were not in the snapshot (nil when it is not known).
    func batchDelete(snapshot path: String, plan: QueryPlan, count: Int, newcomers: inout Int?) async -> RunStatus {
        guard let source = await openSource(path) else { return .failures }
        // `--resume`: what the journal says is done is skipped, as by the bulk engine.
        var done: IDSet?
        if settings.resume {
            guard let set = await loadResumeSet() else { return .usage }
            done = set.done
        }
        startBulk(BulkReport(source: plan.description, dryRun: false), total: count)
        let started = ContinuousClock.now

        // 1. The chunks.
        let sent = await sendChunks(source: source, path: path, skipping: done, checks: min(Self.spotChecks, max(1, count / 2_500)))
        var stopped: String? {
            if bulk?.report.interrupted == true || Task.isCancelled { return "interrupted" }
            if bulk?.status == .unauthorized { return "the API refused the key" }
            return nil
        }

        // 2. What is still listed, if a listing can be believed.
        var verdict: Verdict
        if let why = stopped {
            verdict = .unverified(why)
        } else {
            verdict = await verify(plan, sample: sent.sample)
        }

        // 3. One outcome per id read, in the snapshot's order.
        let inSnapshotListed = await settle(path: path, sent: sent, verdict: verdict)
        if case .listed(let listing) = verdict, sent.readAll { newcomers = max(0, listing.rows - inSnapshotListed) }

        var unverified: Bool { if case .unverified = verdict { true } else { false } }
        return finishBulk(started: started, resumeAdvice: "run the purge again: what is left is listed and deleted", failed: unverified)
    }

    /// Step 1: reads the snapshot and sends its ids in chunks.
    private func sendChunks(source: IDSource, path: String, skipping done: IDSet?, checks: Int) async -> ChunksSent {
        let client = environment.client
        let firstSize = settings.batchSize
        return await withTaskGroup(of: BatchEvent.self) { group in
            var sent = ChunksSent()
            var chunkSize = firstSize
            var largestTaken = 0
            var stopped = false
            var chunks = 0
            var inFlight = 0
            var reading = false
            var ended = false
            var buffered: [(RecordingID, Int)] = []
            var next = 0
            var retries: [Chunk] = []
            var seenTaken = 0
            func stop() {
                stopped = true
                source.stop()
            }
            func launch(_ chunk: Chunk) {
                // Every request is held to the confirmation, as in the bulk engine: a batch
                // goes only when the gate's question was answered yes (or confirm is off).
                guard mayDeleteUnconfirmed(chunk.ids.count) else {
                    markBulk(failure: Self.unconfirmedMessage, status: .usage)
                    for id in chunk.ids { _ = sent.unsent.insert(id.rawValue) }
                    stop()
                    return
                }
                guard recordBatchSent(chunk) else {
                    for id in chunk.ids { _ = sent.unsent.insert(id.rawValue) }
                    stop()
                    return
                }
                inFlight += 1
                if chunk.ids.count == 1 {
                    let id = chunk.ids[0]
                    let origin = "\(path):\(chunk.lines[0])"
                    group.addTask { .single(Outcome(await client.deleteRecording(id, dryRun: false), id: id, origin: origin)) }
                } else {
                    group.addTask { .chunk(chunk, await client.deleteRecordings(chunk.ids)) }
                }
            }
            while true {
                if Task.isCancelled, !stopped {
                    markBulk(interrupted: true)
                    stop()
                }
                while !stopped, inFlight < Self.maximumChunksInFlight {
                    if !retries.isEmpty {
                        launch(retries.removeFirst())
                    } else if buffered.count - next >= chunkSize || (ended && next < buffered.count) {
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
                if !stopped, !ended, !reading, buffered.count - next < chunkSize * Self.maximumChunksInFlight {
                    reading = true
                    group.addTask { .lines(await source.next(limit: 4096)) }
                }
                environment.stdout.flush()
                if inFlight == 0 && !reading { break }
                guard let event = await group.next() else { break }
                switch event {
                case .lines(.lines(let lines)):
                    reading = false
                    for line in lines {
                        sent.readUpTo = line.number
                        guard let text = SnapshotFile.id(inLine: line.text), let id = try? RecordingID(text) else { continue }
                        if let done, done.contains(id.rawValue) {
                            _ = sent.resolved.insert(id.rawValue)
                            if !record(Outcome(kind: .skipped, id: id.rawValue, origin: "\(path):\(line.number)", message: "done in an earlier run (journal)")) {
                                stop()
                            }
                            continue
                        }
                        buffered.append((id, line.number))
                    }
                case .lines(.end):
                    reading = false
                    ended = true
                    sent.readAll = true
                case .lines(.failed(let error)):
                    reading = false
                    ended = true
                    if !error.stopped, !Task.isCancelled {
                        reporter.error(error.description)
                        markBulk(failure: error.description)
                        stop()
                    }
                case .single(let outcome):
                    inFlight -= 1
                    _ = sent.resolved.insert(outcome.id)
                    if !record(outcome) { stop() }
                case .chunk(let chunk, .accepted):
                    inFlight -= 1
                    largestTaken = max(largestTaken, chunk.ids.count)
                    // A reservoir of ids the API took, to read back after the listing.
                    for id in chunk.ids {
                        seenTaken += 1
                        if sent.sample.count < checks {
                            sent.sample.append(id)
                        } else if Int.random(in: 0..<seenTaken) < checks {
                            sent.sample[Int.random(in: 0..<checks)] = id
                        }
                    }
                case .chunk(let chunk, .failed(let error)):
                    inFlight -= 1
                    switch error.kind {
                    case .unauthorized:
                        markBulk(failure: "the API refused the key (401); check TELNYX_API_KEY", status: .unauthorized)
                        stop()
                    case .interrupted:
                        markBulk(interrupted: true)
                        stop()
                    case .rateLimited:
                        // Still limited after every pause the policy allows: not taken. Each id
                        // fails as a single delete would; no more load on a limiting server.
                        for (id, line) in zip(chunk.ids, chunk.lines) {
                            _ = sent.resolved.insert(id.rawValue)
                            if !record(Outcome(kind: .failed, id: id.rawValue, origin: "\(path):\(line)", httpStatus: error.status, message: error.description, error: error, attempts: error.attempts)) {
                                stop()
                            }
                        }
                    case .serverError, .timeout, .transport, .unreadableResponse:
                        // It may have been carried out: sending it again would turn deleted
                        // recordings into 404s. The listing decides.
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

    /// What the listing after the chunks says.
    enum Verdict {
        /// A whole, consistent listing, its absences confirmed.
        case listed(Listing)
        /// No listing could be believed: every id sent is deleted on its own.
        case untrusted(String)
        /// Nothing more is sent (a 401, Ctrl-C, a failed listing): the ids sent stay unverified.
        case unverified(String)
    }

    /// One listing of the query: every row, without de-duplication.
    struct Listing {
        var ids = IDFingerprints(expected: 0)
        var rows = 0
        /// Why it cannot be believed, or nil.
        var flaw: String?
    }

    /// Step 2: lists the query again until a listing is whole and consistent, and reads back
    /// the sample's absent ids.
    private func verify(_ plan: QueryPlan, sample: [RecordingID]) async -> Verdict {
        var flaw = ""
        for _ in 0..<Self.listingAttempts {
            switch await listAgain(plan) {
            case .failure(let error):
                if error.kind == .unauthorized { markBulk(failure: "the API refused the key (401); check TELNYX_API_KEY", status: .unauthorized) }
                if error.kind == .interrupted || Task.isCancelled { markBulk(interrupted: true) }
                reporter.error("listing \(plan.description) again, to verify the batches, failed: \(error.description)")
                return .unverified("the listing that verifies them failed")
            case .success(let listing):
                if let why = listing.flaw {
                    flaw = why
                    continue
                }
                // The listing says these are gone: a few are read back before it is believed.
                // Only a 404 confirms an absence: anything else leaves it unproven.
                for id in sample where !listing.ids.contains(id.rawValue) {
                    switch await environment.client.retrieveRecording(id) {
                    case .failure(let error) where error.kind == .notFound:
                        continue
                    case .success:
                        return untrusted("\(id.rawValue) is missing from the listing but still exists")
                    case .failure(let error):
                        return untrusted("reading \(id.rawValue) back to confirm it is gone failed: \(error.kind.rawValue)")
                    }
                }
                return .listed(listing)
            }
        }
        return untrusted(flaw)
    }

    private func untrusted(_ why: String) -> Verdict {
        reporter.note("the listing that verifies the batches cannot be believed (\(why)): every recording sent is deleted on its own instead")
        return .untrusted(why)
    }

    /// Every row of the query, page by page (up to `maximumPagesInFlight` at once), and
    /// whether the listing is whole: every announced page read, the same total on each, no row
    /// twice, the rows adding up to the total, every row a match.
    private func listAgain(_ plan: QueryPlan) async -> Swift.Result<Listing, RecordingsError> {
        let client = environment.client
        let filter = plan.filter
        let size = RecordingsClient.maximumPageSize
        let first: RecordingPage
        switch await client.listRecordings(filter, page: 1, size: size) {
        case .failure(let error): return .failure(error)
        case .success(let page): first = page
        }
        var listing = Listing(ids: IDFingerprints(expected: first.totalResults ?? 0))
        guard let total = first.totalResults else {
            listing.flaw = "the server did not say how many match"
            return .success(listing)
        }
        func take(_ page: RecordingPage, number: Int, last: Int) {
            if page.totalResults != total { listing.flaw = listing.flaw ?? "the total changed while it was read" }
            if number < last, page.recordings.count != size { listing.flaw = listing.flaw ?? "page \(number) is not full" }
            for recording in page.recordings {
                listing.rows += 1
                guard let id = try? RecordingID(recording.id ?? ""), plan.mismatch(recording) == nil else {
                    listing.flaw = listing.flaw ?? "it lists a recording that does not match"
                    continue
                }
                if !listing.ids.insert(id.rawValue) { listing.flaw = listing.flaw ?? "it lists a recording twice" }
            }
        }
        let last = max(1, (total + size - 1) / size)
        guard last <= 4_000_000 else {
            listing.flaw = "it announces too many pages"
            return .success(listing)
        }
        take(first, number: 1, last: last)
        var failure: RecordingsError?
        let inFlightMax = min(Self.maximumPagesInFlight, settings.concurrency)
        await withTaskGroup(of: (Int, Swift.Result<RecordingPage, RecordingsError>).self) { group in
            var next = 2
            var inFlight = 0
            while true {
                while failure == nil, !Task.isCancelled, inFlight < inFlightMax, next <= last {
                    let number = next
                    group.addTask { (number, await client.listRecordings(filter, page: number, size: size)) }
                    next += 1
                    inFlight += 1
                }
                guard inFlight > 0, let (number, result) = await group.next() else { break }
                inFlight -= 1
                switch result {
                case .failure(let error): failure = failure ?? error
                case .success(let page): take(page, number: number, last: last)
                }
            }
        }
        if let failure { return .failure(failure) }
        if Task.isCancelled { return .failure(RecordingsError(kind: .interrupted, status: nil, attempts: 0, description: "interrupted")) }
        if listing.rows != total { listing.flaw = listing.flaw ?? "\(listing.rows) rows for a total of \(total)" }
        return .success(listing)
    }

    /// Step 3: reads the snapshot again and gives each id read its one outcome. Returns how
    /// many of the snapshot's ids the listing still had (to count the newcomers).
    private func settle(path: String, sent: ChunksSent, verdict: Verdict) async -> Int {
        let client = environment.client
        let concurrency = settings.concurrency
        guard let again = await openSource(path, consequence: ": the ids sent in batches have no outcome; run the purge again") else { return 0 }
        return await withTaskGroup(of: Outcome.self) { group in
            var stillListed = 0
            var keepGoing = true
            var inFlight = 0
            func take(_ outcome: Outcome) {
                // A 404 when deleted alone, after its batch: gone, by its batch (or another
                // client), since the snapshot listed it.
                var outcome = outcome
                if outcome.kind == .notFound {
                    outcome.kind = .deleted
                    outcome.error = nil
                    outcome.message = "batch; verified absent (404 when deleted alone)"
                }
                if !record(outcome) { keepGoing = false }
            }
            reading: while true {
                guard case .lines(let lines) = await again.next(limit: 4096) else { break reading }
                for line in lines {
                    if line.number > sent.readUpTo { break reading }
                    guard let text = SnapshotFile.id(inLine: line.text), let id = try? RecordingID(text) else { continue }
                    let listed: Bool? = if case .listed(let listing) = verdict { listing.ids.contains(id.rawValue) } else { nil }
                    if listed == true { stillListed += 1 }
                    if sent.resolved.contains(id.rawValue) { continue }
                    let origin = "\(path):\(line.number)"
                    if sent.unsent.contains(id.rawValue) {
                        let why = bulk?.report.interrupted == true ? "not sent: interrupted" : "not sent: the run stopped"
                        _ = record(Outcome(kind: .skipped, id: id.rawValue, origin: origin, message: why))
                        continue
                    }
                    var recording = SnapshotFile.recording(inLine: line.text)
                    recording?.id = id.rawValue
                    switch verdict {
                    case .unverified(let why):
                        let error = RecordingsError(
                            kind: bulk?.report.interrupted == true ? .interrupted : .transport, status: nil, attempts: 1,
                            description: "sent in a batch, not verified (\(why)): it may be gone; run the purge again, and what is left is listed and deleted")
                        _ = record(Outcome(kind: .failed, id: id.rawValue, origin: origin, message: error.description, error: error, recording: recording))
                        continue
                    case .listed where listed == false:
                        _ = record(Outcome(kind: .deleted, id: id.rawValue, origin: origin, message: "batch; verified absent", recording: recording))
                        continue
                    case .listed, .untrusted:
                        break
                    }
                    // Still listed (or no listing to believe): on its own.
                    guard keepGoing, !Task.isCancelled else {
                        _ = record(Outcome(kind: .skipped, id: id.rawValue, origin: origin, message: "sent in a batch, not verified, not sent again: the run stopped"))
                        continue
                    }
                    if inFlight >= concurrency, let done = await group.next() {
                        inFlight -= 1
                        take(done)
                    }
                    inFlight += 1
                    group.addTask {
                        var outcome = Outcome(await client.deleteRecording(id, dryRun: false), id: id, origin: origin)
                        if outcome.recording?.createdAt == nil, let recording { outcome.recording = recording }
                        return outcome
                    }
                }
                environment.stdout.flush()
            }
            for await done in group { take(done) }
            return stillListed
        }
    }

    /// Journals a chunk's ids (`batch_sent`) before it is sent; false when the journal could
    /// not be written (then it is not sent, and the run stops).
    private func recordBatchSent(_ chunk: Chunk) -> Bool {
        journalAudit { (journal: Journal) throws(JournalError) in try journal.recordBatchSent(chunk.ids.map(\.rawValue), chunk: chunk.number) }
    }
}
