import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// `GET {base}/recordings/{id}`: one recording, every field (and fresh `download_urls`).
extension RecordingsClient {
    public func retrieveRecording(_ id: RecordingID) async -> Result<Recording, RecordingsError> {
        let (key, headers): (String, HTTPHeaders)
        do { (key, headers) = try await authorizedHeaders() } catch { return .failure(error) }
        var attempts = AttemptHistory(key: key, policy: configuration.retryPolicy)
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: recordingsURL + "/" + id.pathSegment, method: .GET, headers: headers)
        } catch {
            return .failure(attempts.error(.transport, status: nil, "could not build the request for \(id.rawValue); nothing was sent"))
        }
        let subject = ResponseVerdict.Subject(action: "read recording \(id.rawValue)", id: id.rawValue)
        switch await perform(request, subject: subject, effect: nil, attempts: &attempts) {
        case .success(let answer):
            guard answer.bodyComplete, let decoded = RecordingEnvelope.decode(answer.body), let recording = decoded else {
                return .failure(
                    attempts.error(
                        .unreadableResponse, status: answer.status,
                        "GET /recordings/\(id.rawValue) answered HTTP \(answer.status) but not with a recording (\(ErrorText.excerpt(answer)))"))
            }
            return .success(recording.redacting(attempts.redact))
        case .notFound(let apiErrors, let summary):
            return .failure(
                attempts.error(
                    .notFound, status: 404, "HTTP 404 Not Found\(summary): no recording with id \(id.rawValue)", apiErrors: apiErrors))
        case .failed(let error):
            return .failure(error)
        }
    }
}
