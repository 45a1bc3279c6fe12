import TelnyxRecordings

/// Step 3 of a batch purge: one outcome for each id read.
extension BatchPurge {
    /// Reads the snapshot again and gives each id read its one outcome. Returns how many of
    /// the snapshot's ids the listing still had (to count the newcomers).
    func settle(sent: ChunksSent, verdict: Verdict) async -> Int {
        let client = context.client
        let concurrency = settings.concurrency
        let path = path
        guard let again = await context.openSource(path, consequence: ": the ids sent in batches have no outcome; run the purge again") else { return 0 }
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
                if !ledger!.record(outcome) { keepGoing = false }
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
                        let why = ledger!.report.interrupted ? "not sent: interrupted" : "not sent: the run stopped"
                        _ = ledger!.record(Outcome(kind: .skipped, id: id.rawValue, origin: origin, message: why))
                        continue
                    }
                    var recording = SnapshotFile.recording(inLine: line.text)
                    recording?.id = id.rawValue
                    switch verdict {
                    case .unverified(let why):
                        let error = RecordingsError(
                            kind: ledger!.report.interrupted ? .interrupted : .transport, status: nil, attempts: 1,
                            description: "sent in a batch, not verified (\(why)): it may be gone; run the purge again, and what is left is listed and deleted")
                        _ = ledger!.record(Outcome(kind: .failed, id: id.rawValue, origin: origin, message: error.description, error: error, recording: recording))
                        continue
                    case .listed(_, let evidence) where listed == false && evidence.readBack != nil:
                        // Believed on the sample's word, which the note states.
                        _ = ledger!.record(Outcome(kind: .deleted, id: id.rawValue, origin: origin, message: evidence.note, recording: recording))
                        continue
                    case .listed, .untrusted:
                        break
                    }
                    // Still listed (or no listing to believe): on its own. Absent from the
                    // listing with `verify all`: read back, and deleted on its own unless 404.
                    let readFirst = listed == false
                    guard keepGoing, !Task.isCancelled else {
                        _ = ledger!.record(Outcome(kind: .skipped, id: id.rawValue, origin: origin, message: "sent in a batch, not verified, not sent again: the run stopped"))
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
                context.terminal.stdout.flush()
            }
            for await done in group { take(done) }
            return stillListed
        }
    }
}
