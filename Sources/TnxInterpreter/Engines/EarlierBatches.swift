import TelnyxRecordings
import TnxSystem

/// Before a batch purge, or a purge with `--resume`: ids an earlier purge sent and never
/// verified or heard back from (it was stopped, or killed: its batches, or the single deletes
/// it journaled `sending`) are settled, each read back (`GET`): a 404 is journaled `deleted`
/// ("batch in an earlier run; read back: 404", or "sent in an earlier run that stopped before
/// its answer; read back: 404"), so the journal's last word on a recording that is gone is
/// never `failed` or `sending`. One still there is left to the purge (listed and
/// deleted if it matches); one whose read fails stays for the next run.
///
/// The purge that follows cannot do it: a listing no longer shows what is gone.
struct EarlierBatches {
    let context: EngineContext

    /// Returns the status to stop with (the journal could not be read or written, or the run
    /// was interrupted), or nil to go on.
    func settle() async -> RunStatus? {
        let reporter = context.reporter
        guard let journal = context.journal.journal else { return nil }
        let path = journal.path
        let baseURL = journal.baseURL
        let read: Swift.Result<UnsettledBatchIDs, JournalError> = await BlockingWorker().run {
            do throws(JournalError) {
                return .success(try Journal.unsettledBatchIDs(at: path, baseURL: baseURL))
            } catch {
                return .failure(error)
            }
        }
        let unsettled: UnsettledBatchIDs
        switch read {
        case .success(let found): unsettled = found
        case .failure(let error):
            reporter.error(error.description + "; nothing was deleted")
            return .usage
        }
        guard !unsettled.ids.isEmpty else { return nil }
        let client = context.client
        let inFlightMax = context.settings.concurrency
        let format = context.settings.output
        var gone = 0
        var present = 0
        var unknown = 0
        var journalFailed = false
        await withTaskGroup(of: (String, Bool?).self) { group in
            var next = 0
            var inFlight = 0
            while true {
                while !journalFailed, !Task.isCancelled, inFlight < inFlightMax, next < unsettled.ids.count {
                    let text = unsettled.ids[next]
                    next += 1
                    guard let id = try? RecordingID(text) else { continue }
                    inFlight += 1
                    group.addTask {
                        switch await client.retrieveRecording(id) {
                        case .failure(let error) where error.kind == .notFound: return (text, false)
                        case .success: return (text, true)
                        case .failure: return (text, nil)
                        }
                    }
                }
                guard inFlight > 0, let (id, exists) = await group.next() else { break }
                inFlight -= 1
                switch exists {
                case false?:
                    let how = unsettled.singles.contains(id) ? "sent in an earlier run that stopped before its answer" : "batch in an earlier run"
                    let outcome = Outcome(
                        kind: .deleted, id: id, origin: "journal", message: "\(how); read back: 404",
                        recording: unsettled.recordings[id] ?? Recording(id: id))
                    guard context.journal.record(outcome) == nil else {
                        journalFailed = true
                        continue
                    }
                    gone += 1
                    reporter.outcome(outcome, format: format)
                case true?: present += 1
                case nil: unknown += 1
                }
            }
        }
        context.terminal.stdout.flush()
        let n = unsettled.ids.count
        var parts = ["\(Reporter.grouped(gone)) gone (journaled deleted)"]
        if present > 0 { parts.append("\(Reporter.grouped(present)) still there (left to this purge)") }
        if unknown > 0 { parts.append("\(Reporter.grouped(unknown)) could not be read back (settled by a later run)") }
        let unread = n - gone - present - unknown
        if unread > 0 { parts.append("\(Reporter.grouped(unread)) not read back: the run stopped") }
        reporter.note(
            "\(Reporter.grouped(n)) recording\(n == 1 ? "" : "s") an earlier purge sent and never verified, read back: \(parts.joined(separator: ", "))")
        if journalFailed { return .failures }
        if Task.isCancelled { return .interrupted }
        return nil
    }
}
