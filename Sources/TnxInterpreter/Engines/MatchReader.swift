import CivilTime
import TelnyxRecordings
import TnxSystem

/// Reads every recording that matches a query: the first step of a purge (into its snapshot)
/// and the whole of its dry-run (printed).
///
/// Page 1, then the pages its `meta.total_pages` announces, `maximumPagesInFlight` at a time
/// (`PageWalker`, `.adaptive`). Each recording is checked (a valid id, and really a match: a
/// server that lists what was not asked for stops the purge) and handed to `each` once. On
/// failure the error is reported and nothing was deleted.
struct MatchReader {
    /// Pages of a match set read at once, at most: the API's pages are heavy, and the rate
    /// limit is shared with the deletes.
    static let maximumPagesInFlight = 8

    let context: EngineContext

    /// How reading a match set ended.
    enum Read {
        case read(MatchTotals)
        /// Reported already; nothing was deleted.
        case stopped(RunStatus)
    }

    /// With `progress`, a line on stderr (a terminal) counts the matches read, at most ten
    /// times a second: a million matches take a while to read.
    func read(_ plan: QueryPlan, progress: Bool = false, each: (RecordingID, Recording) -> Void) async -> Read {
        let started = ContinuousClock.now
        let client = context.client
        let reporter = context.reporter
        let filter = plan.filter
        let size = RecordingsClient.maximumPageSize
        var totals = MatchTotals()
        var seen: IDFingerprints?
        var problem: String?
        var failure: RecordingsError?
        var announced: Int?
        var line = Progress(sink: progress ? context.terminal.stderr : nil, sharesTerminalWithOutput: false, total: nil)
        func draw() { line.update(reading: totals.count, of: announced, pages: totals.pages) }

        /// Adds a page; false when it brought nothing new.
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

        switch await client.listRecordings(filter, page: 1, size: size) {
        case .failure(let error): failure = error
        case .success(let page):
            announced = page.totalResults
            // Sized once from what the server announces: a table that grows holds its old and
            // new storage at once, the peak memory of a big snapshot.
            seen = IDFingerprints(expected: page.totalResults ?? page.recordings.count)
            _ = take(page)
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
            var walker = PageWalker(
                ending: .adaptive, lastPage: lastPage, firstPageFull: page.recordings.count >= size,
                maximumInFlight: min(Self.maximumPagesInFlight, context.settings.concurrency))
            if problem != nil { walker.halt() }
            // Repeats on page 1 count too: a full single page that holds one reads one more.
            walker.repeatsSeen = totals.duplicates > 0
            failure = await PageWalker.walk(&walker, client: client, filter: filter, size: size) { _, page, walker in
                let new = take(page)
                walker.repeatsSeen = totals.duplicates > 0
                if problem != nil { walker.halt() }
                return new
            }
        }
        // Erased before anything else is said on the terminal.
        line.clear()
        if Task.isCancelled || failure?.kind == .interrupted {
            reporter.warning("interrupted while reading \(plan.description): nothing was deleted")
            return .stopped(.interrupted)
        }
        if let failure {
            reporter.error("reading \(plan.description) failed: \(failure.description); nothing was deleted")
            return .stopped(RunStatus(failed: failure))
        }
        if let problem {
            reporter.error("\(problem): the server's list cannot be trusted, so nothing was deleted")
            return .stopped(.failures)
        }
        totals.seconds = (ContinuousClock.now - started).inSeconds
        return .read(totals)
    }
}

/// What a match set holds.
struct MatchTotals: Sendable {
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
