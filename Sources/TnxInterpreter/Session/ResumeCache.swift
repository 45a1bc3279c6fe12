import Synchronization
import TelnyxRecordings
import TnxSystem

/// What `--resume` knows: the journal read once a session, then kept up to date with what the
/// session itself journals.
final class ResumeCache: Sendable {
    private let journal: Journal?
    private let cached = Mutex<ResumeSet?>(nil)

    init(journal: Journal?) { self.journal = journal }

    /// The journal's done ids (read the first time), or nil without a journal. Reports a
    /// journal that cannot be read, and warns once about lines it ignored.
    func load(reporter: Reporter) async -> ResumeSet? {
        guard let journal else { return nil }
        if let set = cached.withLock({ $0 }) { return set }
        let path = journal.path
        let baseURL = journal.baseURL
        let read: Swift.Result<ResumeSet, JournalError> = await BlockingWorker().run {
            do throws(JournalError) {
                return .success(try Journal.completedIDs(at: path, baseURL: baseURL))
            } catch {
                return .failure(error)
            }
        }
        switch read {
        case .success(let set):
            if let warning = set.warning(path: path, baseURL: baseURL) { reporter.warning(warning) }
            cached.withLock { $0 = set }
            return set
        case .failure(let error):
            reporter.error(error.description)
            return nil
        }
    }

    /// Keeps what a later `resume` of this session must know of a journaled outcome.
    func remember(_ outcome: Outcome) {
        cached.withLock { set in
            guard set != nil else { return }
            switch outcome.kind {
            case .deleted, .notFound:
                set!.done.insert(outcome.id)
                set!.unsettled.remove(outcome.id)  // the answer to a `sending` line
            case .failed:
                set!.done.remove(outcome.id)
                set!.unsettled.remove(outcome.id)
            default: break
            }
            if let d = outcome.download, let journaled = JournaledDownload(d) {
                set!.downloads[outcome.id] = journaled
            }
        }
    }
}
