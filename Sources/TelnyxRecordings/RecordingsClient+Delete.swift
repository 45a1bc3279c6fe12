import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import TerminalText

/// `DELETE {base}/recordings/{id}`.
extension RecordingsClient {
    /// Deletes one recording; never throws. A few rules worth knowing:
    /// - A retry that answers 404 after an attempt whose outcome is unknown (a timeout, a
    ///   connection lost after sending, a 504) means the first attempt deleted it: `.deleted`
    ///   with a `note` saying so.
    /// - A 404 counts as "not found" only when its body is the API's error JSON.
    /// - A 2xx is `.deleted` whatever its body: an unreadable one only adds a note.
    /// - With `deletesAllowed` off (`--dry-run`), nothing is ever sent: `.wouldDelete`.
    public func deleteRecording(_ id: RecordingID, dryRun: Bool) async -> DeleteResult {
        if dryRun || !configuration.deletesAllowed { return .wouldDelete(preparedRequest(for: id)) }
        let (key, headers): (String, HTTPHeaders)
        do { (key, headers) = try await authorizedHeaders() } catch { return .failed(error) }
        var attempts = AttemptHistory(key: key, policy: configuration.retryPolicy)
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: recordingsURL + "/" + id.pathSegment, method: .DELETE, headers: headers)
        } catch {
            return .failed(attempts.error(.transport, status: nil, "could not build the request for \(id.rawValue); nothing was sent"))
        }
        let subject = ResponseVerdict.Subject(action: "delete recording \(id.rawValue)", id: id.rawValue)
        switch await perform(request, subject: subject, effect: "deleted", attempts: &attempts) {
        case .success(let answer):
            return .deleted(Self.deleted(id, answer, attempts: attempts))
        case .notFound(let apiErrors, let summary):
            if let uncertain = attempts.uncertain {
                return .deleted(
                    DeletedRecording(
                        recording: Recording(id: id.rawValue), httpStatus: 404, attempts: attempts.attempts,
                        note: "\(uncertain), and the retry's 404 confirms that the first attempt deleted the recording"))
            }
            return .notFound(
                attempts.error(
                    .notFound, status: 404,
                    "HTTP 404 Not Found\(summary): no recording with id \(id.rawValue) (already deleted, or never existed)",
                    apiErrors: apiErrors))
        case .failed(let error):
            return .failed(error)
        }
    }

    /// A 2xx answer: deleted. The recording is read from the body when it is the documented
    /// `{"data": {...}}`; otherwise the note says what the body was.
    static func deleted(_ id: RecordingID, _ answer: HTTPAnswer, attempts: AttemptHistory) -> DeletedRecording {
        var recording = Recording(id: id.rawValue)
        var note: String?
        if !answer.bodyComplete {
            note = "HTTP \(answer.status): the API confirmed the delete, but its answer was cut off or larger than tnx reads (\(ErrorText.excerpt(answer))); the recording's details are not known"
        } else if answer.body.readableBytes > 0 {
            if let decoded = RecordingEnvelope.decode(answer.body) {
                if let data = decoded {
                    // What the API says goes to the journal: never the key, even echoed back.
                    recording = data.redacting(attempts.redact)
                    if recording.id == nil { recording.id = id.rawValue }
                }
            } else {
                note = "HTTP \(answer.status): the API confirmed the delete, but its answer is not the JSON it documents (\(ErrorText.excerpt(answer))); the recording's details are not known"
            }
        }
        return DeletedRecording(
            recording: recording, httpStatus: answer.status, attempts: attempts.attempts, note: note.map(attempts.redact))
    }
}
