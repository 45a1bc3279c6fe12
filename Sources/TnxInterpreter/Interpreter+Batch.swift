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
///   (every page, the same total on each, no repeats, rows adding up, every row a match) may
///   say an id is gone, and only once reads back confirm it (`set verify`): a uniform random
///   sample of the ids it says are gone (`verify-sample`, 300 by default, all of them when
///   fewer), every one answering 404, or (`verify all`) each id's own 404. Then `deleted`, with
///   the evidence in its note ("batch; absent from the listing; 300 of 20,000 read back, none
///   present") and the snapshot's metadata. An id still listed, or every id when no listing
///   can be believed, is deleted on its own, so each ends with its own answer. Recordings that
///   appeared after the snapshot are left alone, and counted.
///
/// The sample costs a fixed number of reads, whatever the size of the purge: 300 for 20,000
/// recordings (0.015 of a request each) as for 100,000 (0.003).
extension Interpreter {
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
        /// The whole snapshot was read.
        var readAll = false
    }

    /// Returns the run's status; `last` holds its report. `newcomers` is set to the recordings
    /// listed again that were not in the snapshot (nil when it is not known).
    ///
    /// `evidence` is set to what verified the ids taken for gone, for the summary.
    func batchDelete(snapshot path: String, plan: QueryPlan, count: Int, newcomers: inout Int?, evidence: inout String?) async -> RunStatus {
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
        let sent = await sendChunks(source: source, path: path, skipping: done)
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
            verdict = await verify(plan, path: path, sent: sent)
        }
        if case .listed(_, let proof) = verdict, proof.absent > 0 { evidence = proof.summary }

        // 3. One outcome per id read, in the snapshot's order.
        let inSnapshotListed = await settle(path: path, sent: sent, verdict: verdict)
        if case .listed(let listing, _) = verdict, sent.readAll { newcomers = max(0, listing.rows - inSnapshotListed) }

        var unverified: Bool { if case .unverified = verdict { true } else { false } }
        return finishBulk(started: started, resumeAdvice: "run the purge again: what is left is listed and deleted", failed: unverified)
    }

    /// Step 1: reads the snapshot and sends its ids in chunks.
    private func sendChunks(source: IDSource, path: String, skipping done: IDSet?) async -> ChunksSent {
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

    /// What the listing after the chunks says.
    enum Verdict {
        /// A whole, consistent listing, its absences confirmed (a sample read back), or to be
        /// confirmed one by one (`verify all`).
        case listed(Listing, Evidence)
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

    /// What made the ids absent from a listing believed gone.
    struct Evidence {
        /// Ids sent whose listing no longer has them.
        var absent = 0
        /// How many of them were read back (each answered 404); nil with `verify all`, which
        /// reads each back as it settles it.
        var readBack: Int?

        /// The note of each id taken for gone: `batch; absent from the listing; 300 of 20,000
        /// read back, none present`.
        var note: String {
            guard let readBack else { return "batch; absent from the listing; read back: 404" }
            return "batch; absent from the listing; \(Reporter.grouped(readBack)) of \(Reporter.grouped(absent)) read back, none present"
        }

        /// The same, for the summary, with what it supports.
        var summary: String {
            let ids = "\(Reporter.grouped(absent)) recording\(absent == 1 ? "" : "s") absent from the listing"
            guard let readBack else { return "verified: \(ids), each read back (404)" }
            if readBack >= absent { return "verified: \(ids), every one read back, none present" }
            // A clean uniform sample of k supports "at most 3/k kept" at 95 % confidence.
            let percent = 300.0 / Double(max(readBack, 1))
            let shown = percent >= 10 ? String(Int(percent.rounded())) : String(Double(Int(percent * 10)) / 10).replacing(".0", with: "")
            return "verified: \(ids); \(Reporter.grouped(readBack)) of them read back at random, none present: at most \(shown) % of them kept, at 95 % confidence"
        }
    }

    /// Step 2: lists the query again until a listing is whole and consistent, then (`verify
    /// sample`) reads back a uniform random sample of the ids it says are gone.
    private func verify(_ plan: QueryPlan, path: String, sent: ChunksSent) async -> Verdict {
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
                guard let (sample, absent) = await sampleAbsent(path: path, sent: sent, listing: listing) else {
                    return .unverified("the snapshot could not be read again")
                }
                if settings.verify == .all { return .listed(listing, Evidence(absent: absent, readBack: nil)) }
                // Only a 404 confirms an absence: anything else leaves it unproven, and the
                // listing is not believed.
                if let why = await readBack(sample) { return untrusted(why) }
                if Task.isCancelled {
                    markBulk(interrupted: true)
                    return .unverified("interrupted")
                }
                return .listed(listing, Evidence(absent: absent, readBack: sample.count))
            }
        }
        return untrusted(flaw)
    }

    /// A uniform random sample (`verify-sample` of them, reservoir sampling over the snapshot
    /// read again) of the ids sent in batches that `listing` no longer has, and how many
    /// those are. With `verify all` no sample is kept. Nil when the snapshot cannot be read.
    private func sampleAbsent(path: String, sent: ChunksSent, listing: Listing) async -> (sample: [RecordingID], absent: Int)? {
        let size = settings.verify == .all ? 0 : settings.verifySample
        guard let again = await openSource(path, consequence: ": the ids sent in batches cannot be verified; run the purge again") else { return nil }
        defer { again.stop() }
        var sample: [RecordingID] = []
        var absent = 0
        var generator = SystemRandomNumberGenerator()
        reading: while true {
            switch await again.next(limit: 4096) {
            case .end: break reading
            case .failed(let error):
                if !error.stopped, !Task.isCancelled { reporter.error(error.description) }
                if Task.isCancelled { markBulk(interrupted: true) }
                return nil
            case .lines(let lines):
                for line in lines {
                    if line.number > sent.readUpTo { break reading }
                    guard let text = SnapshotFile.id(inLine: line.text), let id = try? RecordingID(text),
                        !sent.resolved.contains(id.rawValue), !sent.unsent.contains(id.rawValue), !listing.ids.contains(id.rawValue)
                    else { continue }
                    absent += 1
                    if sample.count < size {
                        sample.append(id)
                    } else if size > 0 {
                        // Algorithm R: the n-th stays with probability size/n.
                        let j = Int.random(in: 0..<absent, using: &generator)
                        if j < size { sample[j] = id }
                    }
                }
            }
        }
        return (sample, absent)
    }

    /// Reads back each of `sample` (up to `concurrency` at once); the reason not to believe
    /// the listing, or nil when each answered 404.
    private func readBack(_ sample: [RecordingID]) async -> String? {
        let client = environment.client
        let inFlightMax = settings.concurrency
        return await withTaskGroup(of: (RecordingID, Swift.Result<Recording, RecordingsError>).self) { group in
            var next = 0
            var inFlight = 0
            var present = 0
            var why: String?
            while true {
                while why == nil, !Task.isCancelled, inFlight < inFlightMax, next < sample.count {
                    let id = sample[next]
                    group.addTask { (id, await client.retrieveRecording(id)) }
                    next += 1
                    inFlight += 1
                }
                guard inFlight > 0, let (id, result) = await group.next() else { break }
                inFlight -= 1
                switch result {
                case .failure(let error) where error.kind == .notFound:
                    continue
                case .success:
                    present += 1
                    why = why ?? "\(id.rawValue) is missing from the listing but still exists"
                case .failure(let error):
                    if error.kind == .interrupted { continue }
                    why = why ?? "reading \(id.rawValue) back to confirm it is gone failed: \(error.kind.rawValue)"
                }
            }
            if present > 1, let reason = why, reason.hasSuffix("still exists") {
                return "\(present) of the \(Reporter.grouped(sample.count)) read back of those it no longer lists still exist, \(reason)"
            }
            return why
        }
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
                    let listed: Bool? = if case .listed(let listing, _) = verdict { listing.ids.contains(id.rawValue) } else { nil }
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
                    case .listed(_, let evidence) where listed == false && evidence.readBack != nil:
                        // Believed on the sample's word, which the note states.
                        _ = record(Outcome(kind: .deleted, id: id.rawValue, origin: origin, message: evidence.note, recording: recording))
                        continue
                    case .listed, .untrusted:
                        break
                    }
                    // Still listed (or no listing to believe): on its own. Absent from the
                    // listing with `verify all`: read back, and deleted on its own unless 404.
                    let readFirst = listed == false
                    guard keepGoing, !Task.isCancelled else {
                        _ = record(Outcome(kind: .skipped, id: id.rawValue, origin: origin, message: "sent in a batch, not verified, not sent again: the run stopped"))
                        continue
                    }
                    if inFlight >= concurrency, let done = await group.next() {
                        inFlight -= 1
                        take(done)
                    }
                    inFlight += 1
                    let readNote = readFirst ? Evidence(readBack: nil).note : ""
                    group.addTask {
                        if readFirst, case .failure(let error) = await client.retrieveRecording(id), error.kind == .notFound {
                            return Outcome(kind: .deleted, id: id.rawValue, origin: origin, message: readNote, recording: recording)
                        }
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
