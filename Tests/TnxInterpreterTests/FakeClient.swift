import Synchronization
import TelnyxRecordings

/// A stand-in for the API that answers from a table and remembers every call, so the
/// interpreter's decisions (what is sent, how often, how concurrently) can be checked.
final class FakeClient: RecordingsAPI {
    enum Answer: Sendable {
        case delete
        case notFound
        case fail(RecordingsError.Kind, Int?)
    }

    struct State {
        var answers: [String: Answer] = [:]
        var sent: [String] = []
        var dryRuns: [String] = []
        var inFlight = 0
        var maxInFlight = 0
    }

    let state = Mutex(State())
    let defaultAnswer: Answer
    let delay: Duration
    /// Where the fake's key came from, as the live client says.
    let keyOrigin: KeyOrigin?

    init(defaultAnswer: Answer = .delete, delay: Duration = .zero, answers: [String: Answer] = [:], keyOrigin: KeyOrigin? = nil) {
        self.defaultAnswer = defaultAnswer
        self.delay = delay
        self.keyOrigin = keyOrigin
        state.withLock { $0.answers = answers }
    }

    var sent: [String] { state.withLock { $0.sent } }
    var dryRuns: [String] { state.withLock { $0.dryRuns } }
    var maxInFlight: Int { state.withLock { $0.maxInFlight } }

    func preparedRequest(for id: RecordingID) -> PreparedRequest {
        state.withLock { $0.dryRuns.append(id.rawValue) }
        return PreparedRequest(
            method: "DELETE", url: "https://api.example/v2/recordings/\(id.pathSegment)", headers: [("Authorization", "Bearer ***")])
    }

    func deleteRecording(_ id: RecordingID, dryRun: Bool) async -> DeleteResult {
        if dryRun { return .wouldDelete(preparedRequest(for: id)) }
        let answer = state.withLock { s -> Answer in
            s.sent.append(id.rawValue)
            s.inFlight += 1
            s.maxInFlight = max(s.maxInFlight, s.inFlight)
            return s.answers[id.rawValue] ?? defaultAnswer
        }
        if delay > .zero {
            // Like a request on the wire: finishes even when the caller is cancelled.
            try? await Task { try await Task.sleep(for: delay) }.value
        }
        state.withLock { $0.inFlight -= 1 }
        switch answer {
        case .delete:
            var recording = Recording(id: id.rawValue)
            recording.from = "+15551230000"
            recording.to = "+15557650000"
            recording.durationMillis = 42_000
            return .deleted(DeletedRecording(recording: recording, httpStatus: 200, attempts: 1))
        case .notFound:
            return .notFound(
                RecordingsError(
                    kind: .notFound, status: 404, apiErrors: [.init(code: "10005", title: "Resource not found")], attempts: 1,
                    description: "HTTP 404: no such recording"))
        case .fail(let kind, let status):
            return .failed(
                RecordingsError(kind: kind, status: status, attempts: 1, description: "HTTP \(status ?? 0): \(kind.rawValue)"))
        }
    }
}
