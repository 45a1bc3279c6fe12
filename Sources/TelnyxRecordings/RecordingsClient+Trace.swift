import NIOHTTP1
import TerminalText

/// `--verbose`: one line per HTTP exchange, for the person reading stderr and for a support
/// ticket. What a line holds is fixed here, once:
///
///     DELETE https://api.telnyx.com/v2/recordings/ID → 200 in 48 ms · attempt 1 · Authorization: Bearer *** · request id 6f1c… · rate limit 99 of 100 left, reset 12
///
/// - the key is never in it: the header is written `Bearer ***`, and every value a server
///   sent is redacted before it is cut short (a cut copy of the key would no longer be
///   found), then the whole line again;
/// - a media link loses its query (the presigned signature, itself a credential);
/// - a proxy is named without its user and password;
/// - text from the server (the request id, rate-limit values) is sanitised for a terminal.
extension RecordingsClient {
    /// The response headers that name a request, in the order they are looked for.
    static let requestIDHeaders = ["x-request-id", "request-id", "x-telnyx-request-id"]

    /// The request id an answer carries, as sent (every answer: cheap), or nil. It is redacted
    /// and sanitised only if an error keeps it (`AttemptHistory.error`).
    static func requestID(in headers: HTTPHeaders) -> String? {
        for name in requestIDHeaders {
            if let value = headers.first(name: name), !value.isEmpty { return value }
        }
        return nil
    }

    /// Reports one exchange when `--verbose` asked for it. `status` nil: no answer came,
    /// `failure` says why.
    func traceExchange(
        method: String, url: String, status: Int?, failure: String? = nil, headers: HTTPHeaders?, elapsed: Duration,
        attempt: Int, sendsKey: Bool, redact: (String) -> String
    ) {
        guard let trace else { return }
        let shownURL = sendsKey ? url : Self.shown(url) + (url.contains("?") ? "?…" : "")
        var line = "\(method) \(TerminalText.sanitized(shownURL, limit: 300, oneLine: true)) → "
        if let status {
            line += "\(status) in \(Self.milliseconds(elapsed))"
        } else {
            line += "no answer (\(failure ?? "failed")) after \(Self.milliseconds(elapsed))"
        }
        line += " · attempt \(attempt)"
        line += sendsKey ? " · Authorization: Bearer ***" : " · no Authorization (a media link)"
        if let proxy = configuration.proxies.proxy(for: url) {
            line += " · via proxy \(proxy)"
        }
        if let headers {
            func value(_ name: String) -> String? { headers.first(name: name).map(redact) }
            if let id = Self.requestIDHeaders.compactMap({ value($0) }).first(where: { !$0.isEmpty }) {
                line += " · request id \(TerminalText.sanitized(id, limit: 100, oneLine: true))"
            }
            let limit = value("x-ratelimit-limit")
            let remaining = value("x-ratelimit-remaining")
            let reset = value("x-ratelimit-reset")
            let retryAfter = value("retry-after-ms").map { "\($0) ms" } ?? value("retry-after")
            if remaining != nil || limit != nil || reset != nil {
                var rate = " · rate limit \(remaining.map { short($0) } ?? "?")"
                if let limit { rate += " of \(short(limit))" }
                rate += " left"
                if let reset { rate += ", reset \(short(reset))" }
                line += rate
            }
            if let retryAfter { line += " · retry after \(short(retryAfter))" }
        }
        trace(redact(line))
    }

    private func short(_ value: String) -> String {
        TerminalText.sanitized(value, limit: 40, oneLine: true)
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000) ms"
    }
}
