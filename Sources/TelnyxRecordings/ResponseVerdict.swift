import NIOCore
import NIOHTTP1
import TerminalText

/// What one answer of the API means, decided from its status first: once a status line has
/// arrived, a broken or oversized body never turns the answer into a network fault.
///
/// The rules shared by every endpoint live here; each endpoint then says what a success and a
/// 404 mean for it (`RecordingsClient+Delete.swift`, `RecordingsClient+Endpoint.swift`).
enum ResponseVerdict {
    /// 2xx: the request did what it asked. The body may still be unreadable (cut off, too
    /// large, not JSON); the status says it happened.
    case success(HTTPAnswer)
    /// 404 with the API's error JSON: no such resource (or no such route).
    case notFound(apiErrors: [RecordingsError.APIError], summary: String)
    /// Give up with this error.
    case failed(RecordingsError)
    /// Ask again after this delay; nil: as soon as the rate limiter lets the request go.
    case retry(after: Duration?)

    /// What the request is about, for messages: "delete recording 3fa8…", "list recordings".
    struct Subject {
        var action: String
        /// The recording the request names, if any.
        var id: String?
    }

    /// Judges `answer`, counting it in `attempts` (retry budgets, uncertainty). `origins`: where
    /// the key and the base URL came from, which a 401 or an answer that is not the API's names.
    static func judge(
        _ answer: HTTPAnswer, hints: ServerHints, subject: Subject, attempts: inout AttemptHistory, origins: RequestOrigins = RequestOrigins()
    ) -> ResponseVerdict {
        let status = answer.status
        if (200..<300).contains(status) { return .success(answer) }
        let parsed = answer.bodyComplete ? ErrorBody.parse(answer.body) : ErrorBody(errors: [], unreadable: answer.body.readableBytes > 0)
        let reason = ErrorText.reasonPhrase(status)
        let apiSummary = parsed.errors.first.map { " (\(ErrorText.describe($0)))" } ?? ""
        // A 404 must be the API's own JSON to mean "no such recording": an HTML 404 from a
        // proxy or a wrong base URL never passes for "already gone".
        let unreadable = parsed.unreadable || !answer.bodyComplete || (status == 404 && parsed.errors.isEmpty)

        func unreadableError() -> RecordingsError {
            let excerpt = ErrorText.excerpt(answer)
            var hint = "a proxy or gateway may be in the way, or \(origins.url.named(origins.baseURL)) does not point at the Telnyx API"
            if status == 404, subject.id != nil { hint = "so it is not known whether the recording exists; " + hint }
            if RetryPolicy.isRetryable(status: status) { hint = "the API or a gateway in front of it is failing; try again later" }
            return attempts.error(
                .unreadableResponse, status: status,
                "HTTP \(status) \(reason) with a body that is not the API's JSON (\(excerpt)): \(hint)")
        }

        if status == 404 && !unreadable { return .notFound(apiErrors: parsed.errors, summary: apiSummary) }

        if RetryPolicy.isRetryable(status: status) {
            let error: RecordingsError
            if unreadable {
                error = unreadableError()
            } else if status == 429 {
                error = attempts.error(
                    .rateLimited, status: status,
                    "HTTP 429 Too Many Requests\(apiSummary): still rate limited; lower `set concurrency` or try again later",
                    apiErrors: parsed.errors)
            } else if status >= 500 {
                error = attempts.error(
                    .serverError, status: status,
                    "HTTP \(status) \(reason)\(apiSummary): the API is failing; try again later",
                    apiErrors: parsed.errors)
            } else {
                error = attempts.error(
                    .clientError, status: status,
                    "HTTP \(status) \(reason)\(apiSummary): the API did not accept the request; try again later",
                    apiErrors: parsed.errors)
            }
            attempts.last = error
            attempts.lastWasUncertain = false
            if status == 504 { attempts.uncertain = "attempt \(attempts.attempts) got 504 Gateway Timeout" }
            if status == 429 {
                // The rate limiter holds every request, this one included, until the pause ends.
                return attempts.retryAfterRateLimit() ? .retry(after: nil) : .failed(error)
            }
            // A 5xx may come after the work was done: a request that must not be repeated
            // blindly (a batch delete) ends here, its fate unknown.
            if status >= 500, !attempts.resendsUnknown { return .failed(error) }
            guard let delay = attempts.retryAfterFailure(hint: hints.retryAfter) else { return .failed(error) }
            return .retry(after: delay)
        }

        if unreadable { return .failed(unreadableError()) }
        switch status {
        case 401:
            return .failed(
                attempts.error(
                    .unauthorized, status: status,
                    "HTTP 401 Unauthorized\(apiSummary): \(KeyOrigin.refused(origins.key))",
                    apiErrors: parsed.errors))
        case 403:
            return .failed(
                attempts.error(
                    .forbidden, status: status,
                    "HTTP 403 Forbidden\(apiSummary): this API key may not \(subject.action); check the key's permissions and account",
                    apiErrors: parsed.errors))
        case 300..<400:
            let location = answer.headers.first(name: "location").map { " to \(TerminalText.sanitized($0, limit: 120, oneLine: true))" } ?? ""
            return .failed(
                attempts.error(
                    .clientError, status: status,
                    "HTTP \(status) \(reason): the server redirected\(location), which tnx does not follow with your key; \(origins.url.checkIsTheAPI(origins.baseURL))",
                    apiErrors: parsed.errors))
        default:
            let what =
                parsed.errors.contains(where: { $0.code == "10006" }) && subject.id != nil
                ? "the API says \(subject.id!) is not a valid recording id"
                : "the API refused the request; it will not succeed if repeated as is"
            return .failed(attempts.error(.clientError, status: status, "HTTP \(status) \(reason)\(apiSummary): \(what)", apiErrors: parsed.errors))
        }
    }
}

/// How a request ended, as `RecordingsClient.perform` returns it once its retries are done:
/// a `ResponseVerdict` without `.retry`, so an endpoint handles only what can reach it.
enum FinalVerdict {
    /// 2xx: the request did what it asked (its body may still be unreadable).
    case success(HTTPAnswer)
    /// 404 with the API's error JSON: no such resource (or no such route).
    case notFound(apiErrors: [RecordingsError.APIError], summary: String)
    /// Given up with this error (retries spent, or none allowed).
    case failed(RecordingsError)
}

/// The words tnx uses for statuses, API errors and bodies in its messages. Every piece of text
/// that came from the server goes through `TerminalText` here.
enum ErrorText {
    /// Names worth showing for Telnyx's error codes.
    static let knownCodes: [String: String] = [
        "10005": "not found", "10006": "invalid id", "10009": "authentication failed",
        "10010": "authorization failed", "10011": "too many requests",
    ]

    /// `code 10009: Authentication failed: The API key looks malformed.`
    static func describe(_ error: RecordingsError.APIError) -> String {
        var text = "code \(TerminalText.sanitized(error.code, limit: 20, oneLine: true))"
        let title = TerminalText.sanitized(error.title, limit: 100, oneLine: true)
        if !title.isEmpty {
            text += ": \(title)"
        } else if let known = knownCodes[error.code] {
            text += ": \(known)"
        }
        if let detail = error.detail.map({ TerminalText.sanitized($0, limit: 200, oneLine: true) }), !detail.isEmpty,
            detail.lowercased() != title.lowercased()
        {
            text += ": \(detail)"
        }
        return text
    }

    /// `text/html, 512 bytes: "<html><head><title>502 Bad Gateway…"`; a body tnx stopped
    /// reading says so.
    static func excerpt(_ answer: HTTPAnswer) -> String {
        let type = answer.headers.first(name: "content-type").map { TerminalText.sanitized($0, limit: 60, oneLine: true) } ?? "no content type"
        let size = answer.body.readableBytes
        let cut = answer.bodyComplete ? "" : ", cut off"
        if size == 0 { return "\(type), empty\(cut)" }
        let text = String(buffer: answer.body)
        let collapsed = TerminalText.sanitized(text, limit: 80, oneLine: true)
            .split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        let shown = answer.bodyComplete ? "\(size) bytes" : "over \(size) bytes"
        return "\(type), \(shown)\(cut): \"\(collapsed)\""
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 422: "Unprocessable Entity"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 300..<400: "Redirect"
        case 400..<500: "Client Error"
        case 500..<600: "Server Error"
        default: "Unexpected Status"
        }
    }
}
