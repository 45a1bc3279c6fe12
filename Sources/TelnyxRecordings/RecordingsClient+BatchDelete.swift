import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// `POST {base}/recordings/actions/delete` with `{"ids": [...]}`: deletes a list of recordings.
///
/// The API documents no size cap, no per-id result and no rule for ids it does not know: a
/// 2xx says only that the request was taken. So a batch is never trusted per recording; the
/// caller verifies (lists the query again) and deletes what is still there one by one.
///
/// It is retried only when nothing was done (could not connect, 408, 409, 429): an answer that
/// leaves its fate unknown (a 5xx, a connection lost after sending) ends it, as `.failed`.
extension RecordingsClient {
    public func deleteRecordings(_ ids: [RecordingID]) async -> BatchDeleteResult {
        guard configuration.deletesAllowed else {
            return .failed(RecordingsError(kind: .clientError, status: nil, attempts: 0, description: "a dry-run sends no batch delete"))
        }
        let (key, headers): (String, HTTPHeaders)
        do { (key, headers) = try await authorizedHeaders() } catch { return .failed(error) }
        var attempts = AttemptHistory(key: key, policy: configuration.retryPolicy)
        // Never sent again once it may have been carried out (a 5xx, a connection lost after
        // sending): its fate is settled by the caller's verification, not by a repeat.
        attempts.resendsUnknown = false
        var withType = headers
        withType.add(name: "Content-Type", value: "application/json")
        var body = ByteBuffer()
        body.writeString("{\"ids\":[")
        for (n, id) in ids.enumerated() {
            if n > 0 { body.writeString(",") }
            // A RecordingID holds no quote, backslash or control character: written as it is.
            body.writeString("\"" + id.rawValue + "\"")
        }
        body.writeString("]}")
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: recordingsURL + "/actions/delete", method: .POST, headers: withType, body: .byteBuffer(body))
        } catch {
            return .failed(attempts.error(.transport, status: nil, "could not build the batch request; nothing was sent"))
        }
        let subject = ResponseVerdict.Subject(action: "delete \(ids.count) recordings in one request", id: nil)
        switch await perform(request, subject: subject, effect: "deleted", attempts: &attempts) {
        case .success(let answer):
            return .accepted(status: answer.status, attempts: attempts.attempts)
        case .notFound(let apiErrors, let summary):
            return .failed(attempts.error(.notFound, status: 404, "HTTP 404 Not Found\(summary) for a batch of \(ids.count)", apiErrors: apiErrors))
        case .failed(let error):
            return .failed(error)
        }
    }
}

/// How a batch delete ended, as the client knows it: never per recording.
public enum BatchDeleteResult: Sendable {
    /// A 2xx: the API took the request. What it deleted is for the caller to verify.
    case accepted(status: Int, attempts: Int)
    /// Anything else, after the retries the policy allows (nothing known about any id).
    case failed(RecordingsError)
}
