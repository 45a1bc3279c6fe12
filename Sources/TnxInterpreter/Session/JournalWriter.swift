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
        if first {
            reporter.error(error.description)
            reporter.failures.journalFailed()
        }
    }

    /// Flushes the journal to the disk at the end of an invocation that wrote to it.
    func sync() async -> RunStatus? {
        guard let journal, let error = await journal.sync() else { return nil }
        reportFailure(error)
        return .failures
    }
}
