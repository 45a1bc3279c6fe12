import Synchronization
import TelnyxRecordings

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
