import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// `GET {base}/recordings?page[size]=1`: the read that tells, before anything is deleted,
/// whether the base URL is the recordings API at all. A wrong base URL (one without `/v2`, a
/// proxy, another API) answers every DELETE with a 404 that would read as "already gone", and
/// `--resume` would then skip those ids for good.
extension RecordingsClient {
    /// Confirms once per client (a session, one base URL) that `{base}/recordings` answers 200
    /// with a JSON `data` array. nil when it does; otherwise the error to stop on, which says
    /// that nothing was deleted. Needs the key (a 401 here is the key's fault, reported as such).
    public func confirmEndpoint() async -> RecordingsError? {
        if endpointConfirmed.withLock({ $0 }) { return nil }
        let (key, headers): (String, HTTPHeaders)
        do { (key, headers) = try await authorizedHeaders() } catch { return error }
        var attempts = AttemptHistory(key: key, policy: configuration.retryPolicy)
        let url = recordingsURL + "?page%5Bsize%5D=1"
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: url, method: .GET, headers: headers)
        } catch {
            return attempts.error(.transport, status: nil, "could not build the request GET \(url); nothing was sent")
        }
        let subject = ResponseVerdict.Subject(action: "list recordings", id: nil)
        let wrong = "\(baseURLNamed) does not point at the Telnyx recordings API (it normally ends in /v2); nothing was deleted"
        switch await perform(request, subject: subject, effect: nil, attempts: &attempts) {
        case .success(let answer):
            guard answer.bodyComplete, RecordingListEnvelope.isList(answer.body) else {
                return attempts.error(
                    .wrongBaseURL, status: answer.status,
                    "GET \(url) answered HTTP \(answer.status) but not with a list of recordings (\(ErrorText.excerpt(answer))): \(wrong)")
            }
            endpointConfirmed.withLock { $0 = true }
            return nil
        case .notFound(let apiErrors, let summary):
            return attempts.error(
                .wrongBaseURL, status: 404, "GET \(url) answered HTTP 404 Not Found\(summary): \(wrong)", apiErrors: apiErrors)
        case .failed(let error):
            var error = error
            if error.kind == .unreadableResponse { error.kind = .wrongBaseURL }
            error.description = "checking the API at \(baseURL) before deleting: " + error.description
            if !error.description.hasSuffix("nothing was deleted") { error.description += "; nothing was deleted" }
            return error
        }
    }
}
