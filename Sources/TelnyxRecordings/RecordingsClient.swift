#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import NIOHTTP1
import Synchronization

/// The one client of the Telnyx recordings API in a process.
///
/// It owns one `HTTPClient` whose pool may open `maximumConnections` connections to the API
/// host (AsyncHTTPClient's default of 8 would cap every bulk run), one `RateLimiter` that all
/// callers share, and the API key, which `setAPIKey` may change at any time.
///
/// `deleteRecording` never throws. It sends `DELETE {base}/recordings/{id}` and retries as the
/// `RetryPolicy` says; the outcomes are described in `DeleteResult`. A few rules worth knowing:
/// - A retry that answers 404 after an attempt whose outcome is unknown (a timeout, a connection
///   lost after sending, a 504) means the first attempt deleted it: the result is `.deleted`
///   with a `note` saying so.
/// - A 404 counts as "not found" only when its body is the API's error JSON; an HTML 404 from a
///   proxy or a wrong base URL is `unreadableResponse`, never a silent "already gone".
/// - If the calling task is cancelled, a request on the wire still finishes and its real
///   outcome is returned; no retry starts, backoff sleeps end at once, and the kind is
///   `.interrupted` only when the outcome is unknown or nothing was sent.
/// - No error text ever contains the key: every description and excerpt is redacted.
public final class RecordingsClient: RecordingDeleting {
    /// The configuration given, without the key (see `hasAPIKey`).
    public let configuration: ClientConfiguration
    /// Shared by every request of this client.
    public let rateLimiter: RateLimiter

    private let http: HTTPClient
    private let credentials: Mutex<Credentials>
    /// `{base}/recordings/`.
    private let urlPrefix: String
    private let fixedHeaders: HTTPHeaders
    private let hostDescription: String
    /// The headers a dry-run shows, built once (a dry-run of a million ids shows them a
    /// million times): with the key redacted, and without a key.
    private let shownHeaders: (withKey: [(name: String, value: String)], withoutKey: [(name: String, value: String)])
    /// Largest response body read; Telnyx answers are around 1 KB.
    static let maximumBodySize = 1 << 20

    struct Credentials: Sendable {
        var key: String?
        var authorization: String?
    }

    public init(configuration: ClientConfiguration) {
        var stored = configuration
        stored.apiKey = nil
        self.configuration = stored
        self.rateLimiter = RateLimiter(policy: configuration.retryPolicy)
        self.credentials = Mutex(Self.credentials(for: configuration.apiKey))
        self.urlPrefix = configuration.baseURL + "/recordings/"
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "User-Agent", value: configuration.userAgent)
        self.fixedHeaders = headers
        let fixed = headers.map { (name: $0.name, value: $0.value) }
        self.shownHeaders = ([(name: "Authorization", value: "Bearer ***")] + fixed, fixed)
        self.hostDescription = Self.authority(of: configuration.baseURL)

        var pool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maximumConnections)
        // Our RetryPolicy decides about retries; the pool must fail fast on a refused connection
        // instead of retrying until the request deadline.
        pool.retryConnectionEstablishment = false
        var httpConfiguration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(configuration.connectTimeout.nanoseconds)),
            connectionPool: pool)
        httpConfiguration.httpVersion = .automatic
        // No tracing: by default every request would start a (no-op) span and parse its URL
        // again for span attributes, a measurable share of a bulk run's CPU.
        httpConfiguration.tracing.tracer = nil
        self.http = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfiguration)
    }

    /// The base URL requests go to, e.g. `https://api.telnyx.com/v2`.
    public var baseURL: String { configuration.baseURL }

    public var hasAPIKey: Bool { credentials.withLock { $0.key != nil } }

    /// Sets or clears the key for the requests that start from now on. Thread-safe.
    public func setAPIKey(_ key: String?) {
        let new = Self.credentials(for: ClientConfiguration.normalisedKey(key))
        credentials.withLock { $0 = new }
    }

    /// Closes every connection. Call once, when no request is running.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// The request `deleteRecording` would send for `id`, with the key shown as `Bearer ***`
    /// (the header is left out when no key is set).
    public func preparedRequest(for id: RecordingID) -> PreparedRequest {
        PreparedRequest(method: "DELETE", url: urlPrefix + id.pathSegment, headers: hasAPIKey ? shownHeaders.withKey : shownHeaders.withoutKey)
    }

    // MARK: - Deleting

    public func deleteRecording(_ id: RecordingID, dryRun: Bool) async -> DeleteResult {
        if dryRun { return .wouldDelete(preparedRequest(for: id)) }
        let creds = credentials.withLock { $0 }
        guard let key = creds.key, let authorization = creds.authorization else {
            return .failed(
                RecordingsError(
                    kind: .unauthorized, status: nil, attempts: 0,
                    description:
                        "no API key: set TELNYX_API_KEY (export TELNYX_API_KEY=KEY…) or pass --api-key; nothing was sent"
                ))
        }
        var run = Run(id: id, key: key, policy: configuration.retryPolicy)
        var headers = fixedHeaders
        headers.add(name: "Authorization", value: authorization)
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: urlPrefix + id.pathSegment, method: .DELETE, headers: headers)
        } catch {
            return .failed(run.error(.transport, status: nil, "could not build the request: \(error)"))
        }

        while true {
            if Task.isCancelled { return run.interrupted() }
            do {
                try await rateLimiter.acquire()
            } catch {
                return run.interrupted()
            }
            run.attempts += 1
            // Not cancelled with the caller: a request on the wire finishes and its real outcome
            // is reported (see `send`).
            let outcome = await send(request)
            let delay: Duration?
            switch outcome {
            case .response(let status, let headers, let body):
                let hints = Self.hints(headers, status: status)
                rateLimiter.release(status: status, hints: hints)
                switch evaluate(status: status, headers: headers, body: body, hints: hints, run: &run) {
                case .done(let result): return result
                case .retry(let after): delay = after
                }
            case .failure(let failure):
                rateLimiter.release(status: nil)
                run.failures += 1
                if failure.maybeSent {
                    run.uncertain = "attempt \(run.attempts) \(failure.summary)"
                }
                let error = run.error(failure.kind, status: nil, failure.description(host: hostDescription))
                run.last = error
                run.lastWasUncertain = failure.maybeSent
                if run.failures >= run.policy.maxAttempts { return .failed(error) }
                delay = run.policy.delay(retry: run.failures, hint: nil)
            }
            if Task.isCancelled { return run.interrupted() }
            if let delay, delay > .zero {
                try? await Task.sleep(for: delay)
                if Task.isCancelled { return run.interrupted() }
            }
        }
    }

    /// The state of one id's delete across its attempts.
    struct Run {
        let id: RecordingID
        let key: String
        let policy: RetryPolicy
        var attempts = 0
        /// Retryable failures other than 429.
        var failures = 0
        var rateLimited = 0
        /// Set when an attempt's outcome is unknown: it may have deleted the recording.
        var uncertain: String?
        /// The last failure, reported if the run is interrupted before the next attempt.
        var last: RecordingsError?
        var lastWasUncertain = false

        init(id: RecordingID, key: String, policy: RetryPolicy) {
            self.id = id
            self.key = key
            self.policy = policy
        }

        func redact(_ text: String) -> String {
            Self.contains(text, key) ? text.replacing(key, with: "***") : text
        }

        /// A byte search: Foundation's `String.contains` bridges to CFString and was the
        /// largest single cost of a delete in profiles.
        static func contains(_ text: String, _ needle: String) -> Bool {
            var haystack = text
            var needle = needle
            return haystack.withUTF8 { h in
                needle.withUTF8 { n in
                    guard n.count > 0, h.count >= n.count, let hb = h.baseAddress, let nb = n.baseAddress else { return false }
                    let first = n[0]
                    var i = 0
                    let last = h.count - n.count
                    while i <= last {
                        if h[i] == first && memcmp(hb + i, nb, n.count) == 0 { return true }
                        i += 1
                    }
                    return false
                }
            }
        }

        func error(
            _ kind: RecordingsError.Kind, status: Int?, _ description: String, apiErrors: [RecordingsError.APIError] = []
        ) -> RecordingsError {
            let suffix = attempts > 1 ? " (after \(attempts) attempts)" : ""
            return RecordingsError(
                kind: kind, status: status, apiErrors: apiErrors.map { e in
                    .init(code: redact(e.code), title: redact(e.title), detail: e.detail.map(redact))
                }, attempts: attempts, description: redact(description + suffix))
        }

        /// What to report when the task was cancelled before the next attempt.
        func interrupted() -> DeleteResult {
            guard let last else {
                return .failed(
                    RecordingsError(
                        kind: .interrupted, status: nil, attempts: attempts,
                        description: "interrupted before the request was sent; the recording was not touched"))
            }
            if lastWasUncertain {
                return .failed(
                    RecordingsError(
                        kind: .interrupted, status: last.status, apiErrors: last.apiErrors, attempts: attempts,
                        description:
                            "interrupted before a retry: \(last.description); the recording may or may not have been deleted, run this id again to find out"
                    ))
            }
            var error = last
            error.description += "; not retried: interrupted"
            return .failed(error)
        }
    }

    enum Verdict {
        case done(DeleteResult)
        case retry(after: Duration?)
    }

    private func evaluate(
        status: Int, headers: HTTPHeaders, body: ByteBuffer, hints: ServerHints, run: inout Run
    ) -> Verdict {
        let bodyText = String(buffer: body)
        if (200..<300).contains(status) {
            return success(status: status, body: body, text: bodyText, headers: headers, run: run)
        }
        let parsed = ErrorBody.parse(body)
        let reason = Self.reasonPhrase(status)
        let apiSummary = parsed.errors.first.map { " (\(Self.describe($0)))" } ?? ""
        let unreadable = parsed.unreadable || (status == 404 && parsed.errors.isEmpty)

        func unreadableError() -> RecordingsError {
            let excerpt = Self.excerpt(bodyText, contentType: headers.first(name: "content-type"), size: body.readableBytes)
            var hint = "a proxy or gateway may be in the way, or TELNYX_BASE_URL does not point at the Telnyx API"
            if status == 404 { hint = "so it is not known whether the recording exists; " + hint }
            if RetryPolicy.isRetryable(status: status) { hint = "the API or a gateway in front of it is failing; try again later" }
            return run.error(
                .unreadableResponse, status: status,
                "HTTP \(status) \(reason) with a body that is not the API's JSON (\(excerpt)): \(hint)")
        }

        if status == 404 && !unreadable {
            if let uncertain = run.uncertain {
                return .done(
                    .deleted(
                        DeletedRecording(
                            recording: Recording(id: run.id.rawValue), rawJSON: run.redact(bodyText), httpStatus: status,
                            attempts: run.attempts,
                            note:
                                "\(uncertain), and the retry's 404 confirms that the first attempt deleted the recording"
                        )))
            }
            return .done(
                .notFound(
                    run.error(
                        .notFound, status: 404,
                        "HTTP 404 Not Found\(apiSummary): no recording with id \(run.id.rawValue) (already deleted, or never existed)",
                        apiErrors: parsed.errors)))
        }

        if RetryPolicy.isRetryable(status: status) {
            let error: RecordingsError
            if unreadable {
                error = unreadableError()
            } else if status == 429 {
                error = run.error(
                    .rateLimited, status: status,
                    "HTTP 429 Too Many Requests\(apiSummary): still rate limited; lower `set concurrency` or try again later",
                    apiErrors: parsed.errors)
            } else if status >= 500 {
                error = run.error(
                    .serverError, status: status,
                    "HTTP \(status) \(reason)\(apiSummary): the API is failing; try again later (deleting an id again is safe)",
                    apiErrors: parsed.errors)
            } else {
                error = run.error(
                    .clientError, status: status,
                    "HTTP \(status) \(reason)\(apiSummary): the API did not accept the request; try again later",
                    apiErrors: parsed.errors)
            }
            run.last = error
            run.lastWasUncertain = false
            if status == 504 { run.uncertain = "attempt \(run.attempts) got 504 Gateway Timeout" }
            if status == 429 {
                run.rateLimited += 1
                if run.rateLimited >= run.policy.maxRateLimitedAttempts { return .done(.failed(error)) }
                // The rate limiter holds every request, this one included, until the pause ends.
                return .retry(after: nil)
            }
            run.failures += 1
            if run.failures >= run.policy.maxAttempts { return .done(.failed(error)) }
            return .retry(after: run.policy.delay(retry: run.failures, hint: hints.retryAfter))
        }

        if unreadable { return .done(.failed(unreadableError())) }
        let error: RecordingsError
        switch status {
        case 401:
            error = run.error(
                .unauthorized, status: status,
                "HTTP 401 Unauthorized\(apiSummary): the API key was refused; check TELNYX_API_KEY (or --api-key)",
                apiErrors: parsed.errors)
        case 403:
            error = run.error(
                .forbidden, status: status,
                "HTTP 403 Forbidden\(apiSummary): this API key may not delete recording \(run.id.rawValue); check the key's permissions and account",
                apiErrors: parsed.errors)
        case 300..<400:
            let location = headers.first(name: "location").map { " to \(Self.sanitise($0, limit: 120))" } ?? ""
            error = run.error(
                .clientError, status: status,
                "HTTP \(status) \(reason): the server redirected\(location), which tnx does not follow with your key; check TELNYX_BASE_URL",
                apiErrors: parsed.errors)
        default:
            let what =
                parsed.errors.contains(where: { $0.code == "10006" })
                ? "the API says \(run.id.rawValue) is not a valid recording id"
                : "the API refused the request; it will not succeed if repeated as is"
            error = run.error(.clientError, status: status, "HTTP \(status) \(reason)\(apiSummary): \(what)", apiErrors: parsed.errors)
        }
        return .done(.failed(error))
    }

    private func success(status: Int, body: ByteBuffer, text: String, headers: HTTPHeaders, run: Run) -> Verdict {
        var recording = Recording(id: run.id.rawValue)
        if body.readableBytes > 0 {
            guard let decoded = RecordingEnvelope.decode(body) else {
                let excerpt = Self.excerpt(text, contentType: headers.first(name: "content-type"), size: body.readableBytes)
                return .done(
                    .failed(
                        run.error(
                            .unreadableResponse, status: status,
                            "HTTP \(status) with a body that is not the API's JSON (\(excerpt)): the recording may or may not have been deleted; a proxy may be in the way, or TELNYX_BASE_URL does not point at the Telnyx API"
                        )))
            }
            if let data = decoded {
                recording = data
                if recording.id == nil { recording.id = run.id.rawValue }
            }
        }
        return .done(
            .deleted(
                DeletedRecording(
                    recording: recording, rawJSON: run.redact(text), httpStatus: status, attempts: run.attempts,
                    note: nil)))
    }

    // MARK: - One attempt

    enum Attempt: Sendable {
        case response(status: Int, headers: HTTPHeaders, body: ByteBuffer)
        case failure(TransportFailure)
    }

    /// One request. It uses the future-based API on purpose: awaiting a future is not cancelled
    /// with the calling task, so a request on the wire always finishes (no extra Task per
    /// request to shield it), and the body is collected on the event loop.
    private func send(_ request: HTTPClient.Request) async -> Attempt {
        do {
            let deadline = NIODeadline.now() + .nanoseconds(configuration.requestTimeout.nanoseconds)
            let collector = ResponseAccumulator(request: request, maxBodySize: Self.maximumBodySize)
            let response = try await http.execute(request: request, delegate: collector, deadline: deadline).futureResult.get()
            return .response(status: Int(response.status.code), headers: response.headers, body: response.body ?? ByteBuffer())
        } catch {
            return .failure(TransportFailure(error, requestTimeout: configuration.requestTimeout,
                connectTimeout: configuration.connectTimeout))
        }
    }

    // MARK: - Helpers

    static func credentials(for key: String?) -> Credentials {
        guard let key, !key.isEmpty else { return Credentials(key: nil, authorization: nil) }
        return Credentials(key: key, authorization: "Bearer " + key)
    }

    static func hints(_ headers: HTTPHeaders, status: Int) -> ServerHints {
        // Cheap common case: a 2xx/4xx without any of the headers.
        let retryAfterMs = headers.first(name: "retry-after-ms")
        let retryAfter = headers.first(name: "retry-after")
        let remaining = headers.first(name: "x-ratelimit-remaining")
        if retryAfterMs == nil && retryAfter == nil && remaining == nil && status != 429 { return .none }
        return ServerHints.parse(
            retryAfterMs: retryAfterMs, retryAfter: retryAfter,
            limit: headers.first(name: "x-ratelimit-limit"), remaining: remaining,
            reset: headers.first(name: "x-ratelimit-reset"),
            now: Date().timeIntervalSince1970)
    }

    static func authority(of url: String) -> String {
        guard let range = url.firstRange(of: "://") else { return url }
        let rest = url[range.upperBound...]
        return String(rest.prefix(while: { $0 != "/" }))
    }

    /// Names worth showing for Telnyx's error codes.
    static let knownCodes: [String: String] = [
        "10005": "not found", "10006": "invalid id", "10009": "authentication failed",
        "10010": "authorization failed", "10011": "too many requests",
    ]

    /// `code 10009: Authentication failed: The API key looks malformed.`
    static func describe(_ error: RecordingsError.APIError) -> String {
        var text = "code \(sanitise(error.code, limit: 20))"
        let title = sanitise(error.title, limit: 100)
        if !title.isEmpty {
            text += ": \(title)"
        } else if let known = knownCodes[error.code] {
            text += ": \(known)"
        }
        if let detail = error.detail.map({ sanitise($0, limit: 200) }), !detail.isEmpty,
            detail.lowercased() != title.lowercased()
        {
            text += ": \(detail)"
        }
        return text
    }

    /// Control characters escaped, at most `limit` characters.
    static func sanitise(_ text: String, limit: Int) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit {
                out += "…"
                break
            }
            count += 1
            if scalar == "\n" || scalar == "\r" || scalar == "\t" {
                out += " "
            } else if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `text/html, 512 bytes: "<html><head><title>502 Bad Gateway…"`
    static func excerpt(_ text: String, contentType: String?, size: Int) -> String {
        let type = contentType.map { sanitise($0, limit: 60) } ?? "no content type"
        if size == 0 { return "\(type), empty" }
        let collapsed = sanitise(text, limit: 80).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        return "\(type), \(size) bytes: \"\(collapsed)\""
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

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

extension Duration {
    var nanoseconds: Int64 {
        let (s, atto) = components
        let (product, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? Int64.max : product + atto / 1_000_000_000
    }
}

// MARK: - Transport failures

/// Why an attempt got no HTTP response.
struct TransportFailure: Sendable {
    var kind: RecordingsError.Kind
    /// Whether the request may have reached the server (so it may have deleted the recording).
    var maybeSent: Bool
    /// Short phrase: "timed out after 30 s", "lost its connection (connection reset by peer)".
    var summary: String
    var detail: String

    init(_ error: any Error, requestTimeout: Duration, connectTimeout: Duration) {
        let typeName = String(reflecting: type(of: error))
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                self.init(.timeout, maybeSent: true, "timed out", "no answer within \(Self.format(requestTimeout))")
            case .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
                self.init(.timeout, maybeSent: false, "could not connect", "could not connect within \(Self.format(connectTimeout))")
            case .remoteConnectionClosed:
                self.init(.transport, maybeSent: true, "lost its connection", "the server closed the connection before answering")
            case .alreadyShutdown, .cancelled:
                self.init(.transport, maybeSent: false, "was not sent", "the HTTP client is shut down")
            default:
                self.init(.transport, maybeSent: true, "failed", "HTTP error: \(e)")
            }
        } else if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED:
                self.init(.transport, maybeSent: false, "could not connect", "connection refused")
            case ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL:
                self.init(.transport, maybeSent: false, "could not connect", "network unreachable")
            case ECONNRESET, EPIPE:
                self.init(.transport, maybeSent: true, "lost its connection", "connection reset by peer")
            default:
                self.init(.transport, maybeSent: true, "failed", "\(io)")
            }
        } else if typeName.contains("NIOConnectionError") {
            let text = "\(error)"
            let reason = text.contains("refused") || text.contains("111") ? "connection refused" : Self.clip(text)
            self.init(.transport, maybeSent: false, "could not connect", reason)
        } else if let channel = error as? ChannelError {
            switch channel {
            case .connectTimeout:
                self.init(.timeout, maybeSent: false, "could not connect", "could not connect within \(Self.format(connectTimeout))")
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed:
                self.init(.transport, maybeSent: true, "lost its connection", "the connection closed before an answer")
            default:
                self.init(.transport, maybeSent: true, "failed", "\(channel)")
            }
        } else if typeName.contains("SSL") || typeName.contains("TLS") || typeName.contains("Certificate") {
            self.init(.transport, maybeSent: false, "could not connect", "TLS failure: \(Self.clip("\(error)"))")
        } else if typeName.contains("TooManyBytes") {
            self.init(.unreadableResponse, maybeSent: true, "got an oversized answer", "the answer was larger than 1 MiB")
        } else {
            self.init(.transport, maybeSent: true, "failed", Self.clip("\(error)"))
        }
    }

    private init(_ kind: RecordingsError.Kind, maybeSent: Bool, _ summary: String, _ detail: String) {
        self.kind = kind
        self.maybeSent = maybeSent
        self.summary = summary
        self.detail = detail
    }

    /// What a person reads.
    func description(host: String) -> String {
        switch kind {
        case .timeout where maybeSent:
            "\(detail) from \(host): the recording may or may not have been deleted; run this id again (a 404 then confirms it is gone)"
        case .timeout:
            "\(detail) to \(host): check TELNYX_BASE_URL and the network"
        case .transport where !maybeSent:
            "could not reach \(host) (\(detail)): check TELNYX_BASE_URL and the network; nothing was deleted"
        default:
            "request to \(host) \(summary) (\(detail)): the recording may or may not have been deleted; run this id again to find out"
        }
    }

    static func clip(_ text: String) -> String { RecordingsClient.sanitise(text, limit: 160) }

    static func format(_ d: Duration) -> String {
        let s = d.seconds
        if s < 1 { return "\(Int((s * 1000).rounded())) ms" }
        if s == s.rounded() { return "\(Int(s)) s" }
        return "\(s) s"
    }
}

// MARK: - Decoding

/// `{"data": {...}}`; each field of `data` is read if it has the expected type and skipped
/// otherwise, so an API that adds or changes a field never turns a delete into a failure.
enum RecordingEnvelope {
    /// - Returns: nil when the body is not JSON at all; `.some(nil)` when it is JSON without a
    ///   usable `data` object.
    static func decode(_ body: ByteBuffer) -> Recording?? {
        guard let json = JSONValue.parse(body.readableBytesView) else { return nil }
        guard let data = json["data"], case .object = data else { return .some(nil) }
        return .some(recording(from: data))
    }

    /// The contract's `RecordingResponseData`, leniently: a field of the wrong type is left
    /// out (ids written as numbers and durations written as strings are accepted).
    static func recording(from data: JSONValue) -> Recording {
        func string(_ key: String) -> String? { data[key]?.stringOrInteger }
        var r = Recording(id: string("id"))
        r.recordType = string("record_type")
        r.callControlId = string("call_control_id")
        r.callLegId = string("call_leg_id")
        r.callSessionId = string("call_session_id")
        r.channels = string("channels")
        r.conferenceId = string("conference_id")
        r.connectionId = string("connection_id")
        r.createdAt = string("created_at")
        r.updatedAt = string("updated_at")
        if let urls = data["download_urls"], case .object = urls {
            r.downloadUrls = Recording.DownloadURLs(mp3: urls["mp3"]?.string, wav: urls["wav"]?.string)
        }
        r.durationMillis = data["duration_millis"]?.integer
        r.recordingStartedAt = string("recording_started_at")
        r.recordingEndedAt = string("recording_ended_at")
        r.source = string("source")
        r.status = string("status")
        r.from = string("from")
        r.to = string("to")
        r.initiatedBy = string("initiated_by")
        return r
    }
}

/// `{"errors": [{"code": "10005", "title": "…", "detail": "…"}]}`; `code` may be a string or a
/// number.
struct ErrorBody {
    var errors: [RecordingsError.APIError]
    /// The body is non-empty and not JSON (HTML, truncated JSON, plain text).
    var unreadable: Bool

    static func parse(_ body: ByteBuffer) -> ErrorBody {
        if body.readableBytesView.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return ErrorBody(errors: [], unreadable: false)
        }
        guard let json = JSONValue.parse(body.readableBytesView) else {
            return ErrorBody(errors: [], unreadable: true)
        }
        // Valid JSON of another shape (e.g. an array) is not unreadable, just uninformative.
        guard case .array(let entries)? = json["errors"] else { return ErrorBody(errors: [], unreadable: false) }
        let errors = entries.compactMap { entry -> RecordingsError.APIError? in
            guard case .object = entry else { return nil }
            let code = entry["code"]?.stringOrInteger
            let title = entry["title"]?.string
            let detail = entry["detail"]?.string
            guard code != nil || title != nil || detail != nil else { return nil }
            return .init(code: code ?? "", title: title ?? "", detail: detail)
        }
        return ErrorBody(errors: errors, unreadable: false)
    }
}
