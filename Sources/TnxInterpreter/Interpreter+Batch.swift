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
/// - a chunk answered with an error is split in half and sent again, down to single deletes;
///   a 400 or 413 lowers the chunk size for the rest of the run;
/// - then the query is read again (`readMatches`, every listed recording checked): an id of
///   the snapshot no longer listed is `deleted` ("batch; verified absent", with the snapshot's
///   metadata); an id still listed is deleted on its own, so a 200 that deleted nothing is
///   caught. Recordings that appeared after the snapshot are left alone, and counted.
extension Interpreter {
    /// Chunks in flight at once, at most (within the one rate limiter of every request).
    static let maximumChunksInFlight = 4

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

    /// Returns the run's status; `last` holds its report. `newcomers` is set to the recordings
    /// listed at the verification that were not in the snapshot (nil when it did not run).
    func batchDelete(snapshot path: String, plan: QueryPlan, count: Int, newcomers: inout Int?) async -> RunStatus {
        let source: IDSource
        switch await IDSource.open(path, standardInput: environment.standardInputDescriptor) {
        case .success(let opened): source = opened
        case .failure(let error):
            reporter.error(error.description)
            return .failures
        }
        let client = environment.client
        let format = settings.output
        let concurrency = settings.concurrency
        let showProgress = !environment.quiet && format == .text && environment.stderr.isTerminal
        bulk = BulkState(
            report: BulkReport(source: plan.description, dryRun: false), dryRun: false, format: format,
            progress: Progress(sink: showProgress ? environment.stderr : nil, sharesTerminalWithOutput: environment.stdout.isTerminal, total: count),
            activity: client.activity)
        let started = ContinuousClock.now
        let firstChunkSize = settings.batchSize

        // 1. The chunks. What they leave: the snapshot's ids, those sent, those with an outcome.
        let (inSnapshot, sent, resolved) = await withTaskGroup(of: BatchEvent.self) { group in
            var inSnapshot = IDFingerprints(expected: count)
            var sent = IDFingerprints(expected: count)
            var resolved = IDFingerprints(expected: 0)
            var chunkSize = firstChunkSize
            var stopped = false
            var chunks = 0
            var inFlight = 0
            var reading = false
            var ended = false
            var buffered: [(RecordingID, Int)] = []
            var next = 0
            var retries: [Chunk] = []
            func launch(_ chunk: Chunk) {
                guard recordBatchSent(chunk) else {
                    stopped = true
                    return
                }
                for id in chunk.ids { _ = sent.insert(id.rawValue) }
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
                    stopped = true
                    markBulk(interrupted: true)
                    source.stop()
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
                if inFlight == 0 && !reading { break }
                guard let event = await group.next() else { break }
                switch event {
                case .lines(.lines(let lines)):
                    reading = false
                    for line in lines {
                        guard let text = SnapshotFile.id(inLine: line.text), let id = try? RecordingID(text) else { continue }
                        _ = inSnapshot.insert(id.rawValue)
                        buffered.append((id, line.number))
                    }
                case .lines(.end):
                    reading = false
                    ended = true
                case .lines(.failed(let error)):
                    reading = false
                    ended = true
                    if !error.stopped, !Task.isCancelled {
                        reporter.error(error.description)
                        markBulk(failure: error.description)
                        stopped = true
                    }
                case .single(let outcome):
                    inFlight -= 1
                    _ = resolved.insert(outcome.id)
                    if !record(outcome) { stopped = true }
                case .chunk(_, .accepted):
                    inFlight -= 1
                case .chunk(let chunk, .failed(let error)):
                    inFlight -= 1
                    switch error.kind {
                    case .unauthorized:
                        markBulk(failure: "the API refused the key (401); check TELNYX_API_KEY", status: .unauthorized)
                        stopped = true
                    case .interrupted:
                        markBulk(interrupted: true)
                        stopped = true
                    default:
                        // Split in half and send again, down to single deletes. A refusal that
                        // looks like a size cap lowers the size for the rest of the run.
                        if error.status == 400 || error.status == 413, chunk.ids.count <= chunkSize {
                            let lowered = max(1, chunk.ids.count / 2)
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
            return (inSnapshot, sent, resolved)
        }
        let interrupted = bulk?.report.interrupted == true || Task.isCancelled
        let unauthorized = bulk?.status == .unauthorized

        // 2. What is still listed.
        var stillListed = IDFingerprints(expected: 0)
        var verification: String?
        if interrupted {
            verification = "interrupted before the query was listed again"
        } else if unauthorized {
            verification = "the API refused the key"
        } else {
            var appeared = 0
            switch await readMatches(plan, progress: showProgress, each: { id, _ in
                _ = stillListed.insert(id.rawValue)
                if !inSnapshot.contains(id.rawValue) { appeared += 1 }
            }) {
            case .read: newcomers = appeared
            case .stopped: verification = "listing the query again failed (above)"
            }
        }

        // 3. One outcome per id of the snapshot, read again in order.
        let failureStopped = bulk?.report.stoppedBecause != nil
        let again: IDSource
        switch await IDSource.open(path, standardInput: environment.standardInputDescriptor) {
        case .success(let opened): again = opened
        case .failure(let error):
            reporter.error(error.description)
            return .failures
        }
        let (sentIDs, resolvedIDs, listedIDs) = (sent, resolved, stillListed)
        await withTaskGroup(of: Outcome.self) { group in
            var inFlight = 0
            reading: while true {
                let batch = await again.next(limit: 4096)
                guard case .lines(let lines) = batch else { break reading }
                for line in lines {
                    guard let text = SnapshotFile.id(inLine: line.text), let id = try? RecordingID(text) else { continue }
                    if resolvedIDs.contains(id.rawValue) { continue }
                    let origin = "\(path):\(line.number)"
                    var recording = SnapshotFile.recording(inLine: line.text)
                    recording?.id = id.rawValue
                    guard sentIDs.contains(id.rawValue) else {
                        let why = interrupted ? "not sent: interrupted" : "not sent: the run stopped"
                        _ = record(Outcome(kind: .skipped, id: id.rawValue, origin: origin, message: why))
                        continue
                    }
                    if let verification {
                        let error = RecordingsError(
                            kind: interrupted ? .interrupted : .transport, status: nil, attempts: 1,
                            description: "sent in a batch, not verified (\(verification)): it may be gone; run the purge again, and what is left is listed and deleted")
                        _ = record(Outcome(kind: .failed, id: id.rawValue, origin: origin, message: error.description, error: error, recording: recording))
                        continue
                    }
                    if !listedIDs.contains(id.rawValue) {
                        _ = record(Outcome(kind: .deleted, id: id.rawValue, origin: origin, message: "batch; verified absent", recording: recording))
                        continue
                    }
                    // Still listed: the batch did not delete it. On its own, then.
                    if failureStopped || Task.isCancelled {
                        _ = record(Outcome(kind: .skipped, id: id.rawValue, origin: origin, message: "still listed after its batch; not sent again: the run stopped"))
                        continue
                    }
                    if inFlight >= concurrency, let done = await group.next() {
                        inFlight -= 1
                        _ = record(done)
                    }
                    inFlight += 1
                    group.addTask { Outcome(await client.deleteRecording(id, dryRun: false), id: id, origin: origin) }
                }
            }
            for await done in group { _ = record(done) }
        }

        guard var run = bulk else { return .failures }
        bulk = nil
        if interrupted {
            run.report.interrupted = true
            run.status = max(run.status, .interrupted)
        }
        if verification != nil, !interrupted { run.status = max(run.status, .failures) }
        run.report.seconds = (ContinuousClock.now - started).inSeconds
        run.progress.clear()
        if let reason = run.report.stoppedBecause, !run.report.interrupted {
            reporter.error("the run stopped early: \(reason)")
        }
        reporter.summary(
            run.report.summary, source: run.report.source, dryRun: false, interrupted: run.report.interrupted,
            seconds: run.report.seconds, format: format, resumeAdvice: "run the purge again: what is left is listed and deleted")
        last = .bulk(run.report)
        return run.status
    }

    /// Journals a chunk's ids (`batch_sent`) before it is sent; false when the journal could
    /// not be written (then it is not sent, and the run stops).
    private func recordBatchSent(_ chunk: Chunk) -> Bool {
        guard let journal = environment.journal else { return true }
        do throws(JournalError) {
            try journal.recordBatchSent(chunk.ids.map(\.rawValue), chunk: chunk.number)
            return true
        } catch {
            if !journalFailureReported { reporter.error(error.description) }
            journalFailureReported = true
            markBulk(failure: "the journal could not be written, so nothing more is sent")
            return false
        }
    }
}

extension Journal {
    /// One `batch_sent` line per id of a chunk, in one write, before the chunk is sent.
    func recordBatchSent(_ ids: [String], chunk: Int) throws(JournalError) {
        var bytes: [UInt8] = []
        let time = WallClock.iso8601Now()
        for id in ids {
            var line = JSONObjectWriter()
            line.field("time", time)
            line.field("run", runID)
            line.field("base_url", baseURL)
            line.field("id", id)
            line.field("outcome", "batch_sent")
            line.field("note", "in batch request \(chunk) of \(ids.count) ids; its outcome follows once the query is listed again")
            bytes += line.finishBytes()
            bytes.append(UInt8(ascii: "\n"))
        }
        try appendLines(bytes)
    }
}
