import Synchronization
import TelnyxRecordings
import TnxSystem

/// Before the first real request of the session that deletes or saves: the journal must
/// open, and be this run's alone (its lock: two runs on one journal never interleave), and the
/// base URL must answer like the recordings API. Once a session.
final class DeletePreparation: Sendable {
    private let journal: Journal?
    private let client: any RecordingsAPI
    private let reporter: Reporter
    /// `--wait-lock`: how long to wait for another tnx that holds the journal.
    private let lockWait: Duration
    private let prepared = Mutex(false)

    /// How often a run that waits for the journal tries its lock again.
    static let lockPollInterval: Duration = .milliseconds(100)

    init(journal: Journal?, client: any RecordingsAPI, reporter: Reporter, lockWait: Duration = .zero) {
        self.journal = journal
        self.client = client
        self.reporter = reporter
        self.lockWait = lockWait
    }

    /// Something was prepared: the journal may hold lines of this session.
    var isPrepared: Bool { prepared.withLock { $0 } }

    /// The status to stop with, nothing sent; nil when ready.
    func prepare() async -> RunStatus? {
        if isPrepared { return nil }
        if let journal, let refused = await open(journal) { return refused }
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

    /// Opens the journal and takes its lock; while another tnx holds it, waits up to
    /// `lockWait` (said once), trying again every `lockPollInterval` without holding a thread.
    /// The status to stop with, said, or nil.
    private func open(_ journal: Journal) async -> RunStatus? {
        let deadline = ContinuousClock.now + lockWait
        var waiting = false
        while true {
            do throws(JournalError) {
                try journal.open()
                return nil
            } catch where !error.busy {
                reporter.error(error.description + "; nothing was sent")
                return .usage
            } catch {
                if ContinuousClock.now >= deadline {
                    if waiting {
                        reporter.error(
                            "\(JournalError.another(error.holder)) is still using this journal (\(error.path)) after \(Self.seconds(lockWait)) of waiting; nothing was sent; wait longer with --wait-lock SECONDS")
                    } else {
                        reporter.error(
                            "\(error.description); nothing was sent; wait for it to finish, or run with --wait-lock SECONDS to wait up to that long")
                    }
                    return .journalBusy
                }
                if !waiting {
                    waiting = true
                    reporter.note("waiting up to \(Self.seconds(lockWait)) for \(JournalError.another(error.holder)), which is using this journal (\(error.path))")
                }
                do {
                    try await Task.sleep(for: Self.lockPollInterval)
                } catch {
                    reporter.error("interrupted while waiting for the journal (\(journal.path)); nothing was sent")
                    return .interrupted
                }
            }
        }
    }

    /// `30 s`.
    static func seconds(_ duration: Duration) -> String {
        "\(duration.components.seconds) s"
    }
}
