import Synchronization
import TelnyxRecordings
import TnxSystem

/// The one way the interpreter and its engines write the journal: an outcome, a `sending` line
/// before a delete, a `batch_sent` line before a batch. A failure is said once (every line
/// after it fails the same way) and turns into the status or the `false` that stops the run;
/// what is written is also kept for a later `--resume` of the same session (`ResumeCache`).
final class JournalWriter: Sendable {
    /// nil with `--no-journal`: every write succeeds and keeps nothing.
    let journal: Journal?
    let resume: ResumeCache
    private let reporter: Reporter
    private let failureReported = Mutex(false)

    init(journal: Journal?, reporter: Reporter) {
        self.journal = journal
        self.resume = ResumeCache(journal: journal)
        self.reporter = reporter
    }

    /// Why a run stops when its journal cannot be written.
    static let stopped = "the journal could not be written, so nothing more is sent"

    /// Appends `outcome`; on failure says why (once) and returns the status that stops the run.
    func record(_ outcome: Outcome) -> RunStatus? {
        guard let journal else { return nil }
        do throws(JournalError) {
            try journal.record(outcome)
            // A later `resume` in the same session knows what this one did.
            resume.remember(outcome)
            return nil
        } catch {
            reportFailure(error)
            return .failures
        }
    }

    /// An audit line that is not an outcome; false when it could not be written (said once):
    /// then nothing it stands before may be sent.
    func audit(_ write: (Journal) throws(JournalError) -> Void) -> Bool {
        guard let journal else { return true }
        do throws(JournalError) {
            try write(journal)
            return true
        } catch {
            reportFailure(error)
            return false
        }
    }

    /// Write-ahead: `sending` for `ids`, in one write, before their deletes go.
    func sending(_ ids: [String]) -> Bool {
        audit { journal throws(JournalError) in try journal.recordSending(ids) }
    }

    /// A batch's ids (`batch_sent`), before it is sent.
    func batchSent(_ ids: [RecordingID], chunk: Int) -> Bool {
        audit { journal throws(JournalError) in try journal.recordBatchSent(ids.map(\.rawValue), chunk: chunk) }
    }

    /// Says why the journal failed, once.
    func reportFailure(_ error: JournalError) {
        let first = failureReported.withLock { reported in
            defer { reported = true }
            return !reported
        }
        if first { reporter.error(error.description) }
    }

    /// Flushes the journal to the disk at the end of an invocation that wrote to it.
    func sync() async -> RunStatus? {
        guard let journal, let error = await journal.sync() else { return nil }
        reportFailure(error)
        return .failures
    }
}

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

/// Before the first real request of the session that deletes or saves: the journal must
/// open, and the base URL must answer like the recordings API. Once a session.
final class DeletePreparation: Sendable {
    private let journal: Journal?
    private let client: any RecordingsAPI
    private let reporter: Reporter
    private let prepared = Mutex(false)

    init(journal: Journal?, client: any RecordingsAPI, reporter: Reporter) {
        self.journal = journal
        self.client = client
        self.reporter = reporter
    }

    /// Something was prepared: the journal may hold lines of this session.
    var isPrepared: Bool { prepared.withLock { $0 } }

    /// The status to stop with, nothing sent; nil when ready.
    func prepare() async -> RunStatus? {
        if isPrepared { return nil }
        if let journal {
            do throws(JournalError) {
                try journal.open()
            } catch {
                reporter.error(error.description + "; nothing was sent")
                return .usage
            }
        }
        if let error = await client.confirmEndpoint() {
            reporter.error(error.description)
            switch error.kind {
            case .unauthorized: return .unauthorized
            case .wrongBaseURL: return .usage
            case .interrupted: return .interrupted
            default: return .failures
            }
        }
        prepared.withLock { $0 = true }
        return nil
    }
}
