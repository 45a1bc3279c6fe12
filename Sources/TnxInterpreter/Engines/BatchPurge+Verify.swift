import TelnyxRecordings
import TnxSystem

/// Step 2 of a batch purge: the query listed again, and the absences it shows confirmed.
extension BatchPurge {
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

    /// Lists the query again until a listing is whole and consistent, then (`verify sample`)
    /// reads back a uniform random sample of the ids it says are gone.
    func verify(sent: ChunksSent) async -> Verdict {
        var flaw = ""
        for _ in 0..<Self.listingAttempts {
            switch await listAgain() {
            case .failure(let error):
                if error.kind == .unauthorized { ledger!.mark(failure: RunLedger.keyRefused(context.client), status: .unauthorized) }
                if error.kind == .interrupted || Task.isCancelled { ledger!.mark(interrupted: true) }
                reporter.error("listing \(plan.description) again, to verify the batches, failed: \(error.description)")
                return .unverified("the listing that verifies them failed")
            case .success(let listing):
                if let why = listing.flaw {
                    flaw = why
                    continue
                }
                guard let (sample, absent) = await sampleAbsent(sent: sent, listing: listing) else {
                    return .unverified("the snapshot could not be read again")
                }
                if settings.verify == .all { return .listed(listing, Evidence(absent: absent, readBack: nil)) }
                // Only a 404 confirms an absence: anything else leaves it unproven, and the
                // listing is not believed.
                if let why = await readBack(sample) { return untrusted(why) }
                if Task.isCancelled {
                    ledger!.mark(interrupted: true)
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
    private func sampleAbsent(sent: ChunksSent, listing: Listing) async -> (sample: [RecordingID], absent: Int)? {
        let size = settings.verify == .all ? 0 : settings.verifySample
        guard let again = await context.openSource(path, consequence: ": the ids sent in batches cannot be verified; run the purge again") else { return nil }
        defer { again.stop() }
        var sample: [RecordingID] = []
        var absent = 0
        var generator = SystemRandomNumberGenerator()
        reading: while true {
            switch await again.next(limit: 4096) {
            case .end: break reading
            case .failed(let error):
                if !error.stopped, !Task.isCancelled { reporter.error(error.description) }
                if Task.isCancelled { ledger!.mark(interrupted: true) }
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
        let client = context.client
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

    /// Every row of the query, page by page (`PageWalker`, `.announced`: exactly the pages the
    /// first announced), and whether the listing is whole: every announced page read, the same
    /// total on each, no row twice, the rows adding up to the total, every row a match.
    private func listAgain() async -> Swift.Result<Listing, RecordingsError> {
        let client = context.client
        let plan = plan
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
        var walker = PageWalker(
            ending: .announced, lastPage: last, firstPageFull: first.recordings.count >= size,
            maximumInFlight: min(MatchReader.maximumPagesInFlight, settings.concurrency))
        let failure = await PageWalker.walk(&walker, client: client, filter: filter, size: size) { number, page, _ in
            take(page, number: number, last: last)
            return true
        }
        if let failure { return .failure(failure) }
        if Task.isCancelled { return .failure(RecordingsError(kind: .interrupted, status: nil, attempts: 0, description: "interrupted")) }
        if listing.rows != total { listing.flaw = listing.flaw ?? "\(listing.rows) rows for a total of \(total)" }
        return .success(listing)
    }
}
