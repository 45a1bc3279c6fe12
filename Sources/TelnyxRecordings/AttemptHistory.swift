import NIOCore
import TerminalText

/// What happened so far to one request across its attempts: how many were sent, which
/// failures count against the retry budget, and whether an earlier attempt may already have
/// done its work (a timeout after sending a DELETE). Its errors never contain the key.
struct AttemptHistory {
    let key: String
    let policy: RetryPolicy
    /// Requests sent.
    var attempts = 0
    /// Retryable failures other than 429.
    var failures = 0
    var rateLimited = 0
    /// Set when an attempt's outcome is unknown: it may have done its work (deleted the
    /// recording). Says which attempt and why.
    var uncertain: String?
    /// The last failure, reported if the request is interrupted before the next attempt.
    var last: RecordingsError?
    var lastWasUncertain = false
    /// The request id of the last answer as sent, for the errors built from it (a support
    /// ticket needs it).
    var requestID: String?
    /// Whether a request whose fate an answer leaves unknown (a 5xx, a connection lost after
    /// sending) is sent again. A batch delete is not: a repeat of a batch that was carried out
    /// proves nothing, and its fate is settled by verifying instead.
    var resendsUnknown = true

    /// The key as it may be written in an answer: as is, percent-encoded (an answer that echoes
    /// a URL), and as JSON escapes it (`\/`, `\"`). Worked out once: `redact` runs for every
    /// string of every recording a list returns (a key of letters, digits and `_` has one form).
    private let keyForms: [String]

    init(key: String, policy: RetryPolicy) {
        self.key = key
        self.policy = policy
        var forms = LinkText.forms(of: key)
        if key.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "/") }) {
            forms.append(key.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("/", with: "\\/"))
        }
        keyForms = forms
    }

    /// What to wait before the next attempt after a retryable failure counted in `failures`
    /// (nil: the budget is spent, give up). `hint` is the server's `Retry-After`.
    mutating func retryAfterFailure(hint: Duration?) -> Duration? {
        failures += 1
        guard failures < policy.maxAttempts else { return nil }
        return policy.delay(retry: failures, hint: hint)
    }

    /// After a 429: whether to try again (the rate limiter holds the request until the pause
    /// that the 429 started ends).
    mutating func retryAfterRateLimit() -> Bool {
        rateLimited += 1
        return rateLimited < policy.maxRateLimitedAttempts
    }

    func redact(_ text: String) -> String {
        var text = text
        for form in keyForms where Self.contains(text, form) { text = text.replacing(form, with: "***") }
        return text
    }

    /// `answer` with the key hidden in its body and headers, before any of it is cut short for
    /// a message (a cut copy of the key would no longer be found). An answer that echoes the key
    /// — a debugging proxy, a wrong base URL — never puts it in an error, a note or the journal.
    func redacting(_ answer: HTTPAnswer) -> HTTPAnswer {
        var answer = answer
        let body = String(buffer: answer.body)
        let clean = redact(body)
        if clean != body { answer.body = ByteBuffer(string: clean) }
        for (name, value) in answer.headers where redact(value) != value {
            answer.headers.replaceOrAdd(name: name, value: redact(value))
        }
        return answer
    }

    /// A byte search: Foundation's `String.contains` bridges to CFString and was the largest
    /// single cost of a delete in profiles (every answer's body is searched for the key).
    static func contains(_ text: String, _ needle: String) -> Bool {
        var haystack = text
        var needle = needle
        return haystack.withUTF8 { h in
            needle.withUTF8 { n in
                guard n.count > 0, h.count >= n.count else { return false }
                let first = n[0]
                var i = 0
                let last = h.count - n.count
                while i <= last {
                    if h[i] == first && UnsafeBufferPointer(rebasing: h[i..<(i + n.count)]).elementsEqual(n) { return true }
                    i += 1
                }
                return false
            }
        }
    }

    /// An error of this request, with the attempt count appended and the key redacted.
    func error(
        _ kind: RecordingsError.Kind, status: Int?, _ description: String, apiErrors: [RecordingsError.APIError] = []
    ) -> RecordingsError {
        let suffix = attempts > 1 ? " (after \(attempts) attempts)" : ""
        return RecordingsError(
            kind: kind, status: status,
            apiErrors: apiErrors.map { e in
                .init(code: redact(e.code), title: redact(e.title), detail: e.detail.map(redact))
            }, attempts: attempts, requestID: requestID.map { TerminalText.sanitized(redact($0), limit: 100, oneLine: true) }, description: redact(description + suffix))
    }

    /// What to report when the task was cancelled before the next attempt. `effect` is what
    /// the request would have done ("deleted"), for the message.
    func interrupted(effect: String) -> RecordingsError {
        guard let last else {
            return RecordingsError(
                kind: .interrupted, status: nil, attempts: attempts,
                description: "interrupted before the request was sent; nothing was \(effect)")
        }
        if lastWasUncertain {
            return RecordingsError(
                kind: .interrupted, status: last.status, apiErrors: last.apiErrors, attempts: attempts,
                requestID: last.requestID, description:
                    "interrupted before a retry: \(last.description); the recording may or may not have been \(effect), run this id again to find out"
            )
        }
        var error = last
        error.description += "; not retried: interrupted"
        return error
    }
}
