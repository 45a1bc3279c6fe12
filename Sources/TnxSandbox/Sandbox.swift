#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Hummingbird
import Synchronization

/// A local fake of the Telnyx call recordings API, faithful to its contract:
///
/// - `DELETE /v2/recordings/{id}` with `Authorization: Bearer <apiKey>` → 200
///   `{"data": {…RecordingResponseData…}}`, and the recording is gone;
/// - an unknown or already deleted id → 404 `{"errors":[{"code":"10005","title":"Resource not found",…}]}`;
/// - a missing or wrong bearer token → 401 `{"errors":[{"code":"10009","title":"Authentication failed",…}]}`;
/// - any other path or method → 404 `{"errors":[{"code":"404","title":"Not Found","detail":"Page not found"}]}`.
///
/// It starts seeded with `seedCount` deterministic recordings (`seededIDs(count:)`), counts
/// every request, and has fault knobs (`SandboxFaults`, `script(_:for:)`) for the tests. All its
/// state sits behind one lock; a request holds it for a few dictionary operations only.
public final class Sandbox: Sendable {
    /// The key the sandbox accepts unless another is given to `start`.
    public static let defaultAPIKey = "KEYSANDBOX0123456789ABCDEF_sandboxsecret"

    public let host: String
    public let port: Int
    public let apiKey: String
    /// `http://127.0.0.1:PORT/v2`: the base URL for a client.
    public let baseURL: String

    private let handler: Handler
    private let serverTask: Mutex<Task<Void, any Error>?>
    private let finished: Task<Void, Never>

    // MARK: - Starting and stopping

    /// Starts a server on `host:port` (port 0: a free one) in a background task, seeded with
    /// `count` recordings, and returns once it accepts connections.
    public static func start(
        host: String = "127.0.0.1", port: Int = 0, apiKey: String = Sandbox.defaultAPIKey,
        seed count: Int = 1000, faults: SandboxFaults = .none
    ) async throws -> Sandbox {
        let handler = Handler(state: State(seedCount: count, faults: faults), apiKey: apiKey)
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            await handler.respond(to: request)
        }
        var app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil, backlog: 1024),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? port)
            }
        )
        // Quiet: stopping cancels connections, which Hummingbird logs at .error.
        app.logger.logLevel = .critical
        let task = Task {
            defer { portContinuation.finish() }
            try await app.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let boundPort = await iterator.next() else {
            try await task.value
            throw SandboxError(message: "the sandbox server stopped before it started listening on \(host):\(port)")
        }
        return Sandbox(host: host, port: boundPort, apiKey: apiKey, handler: handler, task: task)
    }

    private init(host: String, port: Int, apiKey: String, handler: Handler, task: Task<Void, any Error>) {
        self.host = host
        self.port = port
        self.apiKey = apiKey
        let shownHost = host.contains(":") ? "[\(host)]" : host
        self.baseURL = "http://\(shownHost):\(port)/v2"
        self.handler = handler
        self.serverTask = Mutex(task)
        self.finished = Task { _ = await task.result }
    }

    /// Stops the server and waits until it has stopped. Safe to call more than once.
    public func stop() async {
        let task = serverTask.withLock { $0 }
        task?.cancel()
        _ = await task?.result
    }

    /// Runs until the calling task is cancelled (then stops the server), or the server stops.
    public func runUntilCancelled() async {
        await withTaskCancellationHandler {
            await finished.value
        } onCancel: {
            serverTask.withLock { $0 }?.cancel()
        }
    }

    // MARK: - Seeding

    /// The ids of the first `count` seeded recordings: UUID-shaped, derived from the index
    /// alone, identical on every machine.
    public static func seededIDs(count: Int) -> [String] {
        (0..<max(0, count)).map(SandboxData.recordingID(index:))
    }

    /// The JSON `data` object the sandbox answers for seeded recording `index`.
    public static func recordingJSON(index: Int) -> String {
        SandboxData.recordingJSON(id: SandboxData.recordingID(index: index), index: index)
    }

    /// Adds recordings with these ids (realistic data is made up for them). Returns how many
    /// were new.
    @discardableResult
    public func add(ids: some Sequence<String>) -> Int {
        handler.state.withLock { s in
            var added = 0
            for id in ids where s.recordings[id] == nil {
                s.recordings[id] = s.nextIndex
                s.nextIndex += 1
                added += 1
            }
            return added
        }
    }

    /// Whether a recording with this id exists (not deleted).
    public func contains(id: String) -> Bool { handler.state.withLock { $0.recordings[id] != nil } }

    /// Recordings left.
    public var recordingCount: Int { handler.state.withLock { $0.recordings.count } }

    // MARK: - Faults

    public var faults: SandboxFaults { handler.state.withLock { $0.faults } }

    /// Changes the fault knobs for the requests that arrive from now on.
    public func setFaults(_ faults: SandboxFaults) {
        handler.state.withLock { s in
            if s.faults.rateLimit != faults.rateLimit {
                s.windowStart = .now
                s.windowCount = 0
            }
            s.faults = faults
        }
    }

    /// Queues canned answers for the next requests to `id`, one per request.
    public func script(_ responses: [SandboxResponse], for id: String) {
        handler.state.withLock { $0.scripts[id, default: []].append(contentsOf: responses) }
    }

    // MARK: - Counters

    /// One request as the sandbox saw it.
    public struct SeenRequest: Sendable, Hashable {
        public var method: String
        /// The raw request target, exactly as sent (percent-encoding kept).
        public var path: String
        /// Header names (lowercased) and values, in order.
        public var headers: [String: String]
    }

    public struct Statistics: Sendable {
        public var totalRequests: Int
        /// Requests per id (decoded from the path), for recording paths only.
        public var requestsByID: [String: Int]
        /// Ids deleted, in order.
        public var deletedIDs: [String]
        /// 429 answers sent.
        public var rateLimited: Int
        /// 5xx answers sent by `serverErrorRate`.
        public var serverErrors: Int
    }

    public var statistics: Statistics {
        handler.state.withLock { s in
            Statistics(
                totalRequests: s.totalRequests, requestsByID: s.requestsByID, deletedIDs: s.deletedIDs,
                rateLimited: s.rateLimited, serverErrors: s.serverErrors)
        }
    }

    public var totalRequests: Int { handler.state.withLock { $0.totalRequests } }
    public var deletedIDs: [String] { handler.state.withLock { $0.deletedIDs } }
    public func requestCount(for id: String) -> Int { handler.state.withLock { $0.requestsByID[id] ?? 0 } }

    /// The raw paths of the last requests (at most `State.pathsKept`), oldest first.
    public var seenPaths: [String] { handler.state.withLock { $0.paths } }
    public var lastRequest: SeenRequest? { handler.state.withLock { $0.lastRequest } }

    /// Zeroes the counters (the recordings stay as they are).
    public func resetCounters() {
        handler.state.withLock { s in
            s.totalRequests = 0
            s.requestsByID = [:]
            s.deletedIDs = []
            s.paths = []
            s.lastRequest = nil
            s.rateLimited = 0
            s.serverErrors = 0
        }
    }
}

/// Why the sandbox could not start.
public struct SandboxError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

// MARK: - State and request handling

struct State: Sendable {
    static let pathsKept = 100_000

    /// id → index of the made-up data.
    var recordings: [String: Int]
    var nextIndex: Int
    var faults: SandboxFaults
    var scripts: [String: [SandboxResponse]] = [:]
    var totalRequests = 0
    var requestsByID: [String: Int] = [:]
    var deletedIDs: [String] = []
    var paths: [String] = []
    var lastRequest: Sandbox.SeenRequest?
    var rateLimited = 0
    var serverErrors = 0
    var windowStart = ContinuousClock.now
    var windowCount = 0

    init(seedCount: Int, faults: SandboxFaults) {
        let count = max(0, seedCount)
        recordings = Dictionary(minimumCapacity: count)
        for index in 0..<count { recordings[SandboxData.recordingID(index: index)] = index }
        nextIndex = count
        self.faults = faults
    }
}

typealias FieldName = HTTPFields.Element.Name

/// Turns requests into responses; shares `state` with its `Sandbox`.
final class Handler: Sendable {
    let state: Mutex<State>
    let expectedAuthorization: String

    init(state: State, apiKey: String) {
        self.state = Mutex(state)
        self.expectedAuthorization = "Bearer " + apiKey
    }

    static let prefix = "/v2/recordings/"
    static let limitName = FieldName("x-ratelimit-limit")!
    static let remainingName = FieldName("x-ratelimit-remaining")!
    static let resetName = FieldName("x-ratelimit-reset")!
    static let retryAfterName = FieldName("retry-after")!
    static let retryAfterMsName = FieldName("retry-after-ms")!

    /// What to answer, decided under the lock.
    enum Decision {
        case fixed(status: Int, headers: [String: String], body: String)
        case unauthorized
        case pageNotFound
        case rateLimited(RateHeaders, hint: SandboxFaults.RateLimit.Hint, headers: Bool)
        case serverError(status: Int, html: Bool, RateHeaders?)
        case deleted(json: String, RateHeaders?, delay: Duration)
        case notFound(id: String, RateHeaders?, delay: Duration)
    }

    struct RateHeaders {
        var limit: Int
        var remaining: Int
        /// Until the window ends.
        var reset: Duration
    }

    func respond(to request: Request) async -> Response {
        let target = request.head.path ?? "/"
        let method = request.method
        let authorization = request.headers[.authorization]
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? target
        var id: String?
        if path.hasPrefix(Self.prefix) {
            let segment = path.dropFirst(Self.prefix.count)
            if !segment.isEmpty, !segment.contains("/") { id = Self.percentDecoded(segment) }
        }

        let decision: Decision = state.withLock { s in
            s.totalRequests += 1
            if s.paths.count < State.pathsKept { s.paths.append(target) }
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            s.lastRequest = Sandbox.SeenRequest(method: method.rawValue, path: target, headers: headers)
            var extraDelay = Duration.zero
            var perIDCount = 0
            if let id {
                perIDCount = (s.requestsByID[id] ?? 0) + 1
                s.requestsByID[id] = perIDCount
                if var queue = s.scripts[id], !queue.isEmpty {
                    let next = queue.removeFirst()
                    s.scripts[id] = queue.isEmpty ? nil : queue
                    switch next.kind {
                    case .fixed(let status, let headers, let body):
                        return .fixed(status: status, headers: headers, body: body)
                    case .normal(let delay):
                        extraDelay = delay
                    }
                }
            }
            guard authorization == expectedAuthorization else { return .unauthorized }
            guard let id, method == .delete else { return .pageNotFound }

            var rate: RateHeaders?
            if let limit = s.faults.rateLimit {
                let now = ContinuousClock.now
                let windowNanos = max(limit.window.nanosecondsClamped, 1_000_000)
                let elapsed = (now - s.windowStart).nanosecondsClamped
                if elapsed >= windowNanos {
                    s.windowStart = s.windowStart.advanced(by: .nanoseconds(elapsed - elapsed % windowNanos))
                    s.windowCount = 0
                }
                let left = Duration.nanoseconds(windowNanos) - (now - s.windowStart)
                if s.windowCount >= limit.requests {
                    s.rateLimited += 1
                    return .rateLimited(
                        RateHeaders(limit: limit.requests, remaining: 0, reset: left), hint: limit.hint, headers: limit.sendsHeaders)
                }
                s.windowCount += 1
                if limit.sendsHeaders {
                    rate = RateHeaders(limit: limit.requests, remaining: limit.requests - s.windowCount, reset: left)
                }
            }

            let faults = s.faults
            if faults.serverErrorRate > 0 {
                let h = SandboxData.mix(SandboxData.hash(id) ^ SandboxData.mix(faults.seed &+ UInt64(perIDCount)))
                if SandboxData.unit(h) < faults.serverErrorRate {
                    s.serverErrors += 1
                    let h2 = SandboxData.mix(h)
                    let status = [500, 502, 503, 504][Int(h2 % 4)]
                    return .serverError(status: status, html: SandboxData.unit(SandboxData.mix(h2)) < faults.htmlErrorFraction, rate)
                }
            }

            let delay = faults.latency + extraDelay
            if let index = s.recordings.removeValue(forKey: id) {
                s.deletedIDs.append(id)
                return .deleted(json: SandboxData.recordingJSON(id: id, index: index), rate, delay: delay)
            }
            return .notFound(id: id, rate, delay: delay)
        }

        switch decision {
        case .fixed(let status, let headers, let body):
            var fields = HTTPFields()
            for (name, value) in headers {
                if let name = FieldName(name) { fields[name] = value }
            }
            return Self.response(status, fields, body)
        case .unauthorized:
            return Self.json(
                401,
                SandboxJSON.errors(
                    code: "10009", title: "Authentication failed",
                    detail: authorization == nil
                        ? "Authentication is required. Send your API key as `Authorization: Bearer <KEY>`."
                        : "The API key is invalid or has been revoked."))
        case .pageNotFound:
            return Self.json(404, SandboxJSON.errors(code: "404", title: "Not Found", detail: "Page not found"))
        case .rateLimited(let rate, let hint, let sendsHeaders):
            var fields = sendsHeaders ? Self.rateFields(rate) : HTTPFields()
            let millis = max(rate.reset.nanosecondsClamped / 1_000_000, 1)
            switch hint {
            case .none: break
            case .retryAfterSeconds: fields[Self.retryAfterName] = String((millis + 999) / 1000)
            case .retryAfterMilliseconds: fields[Self.retryAfterMsName] = String(millis)
            case .retryAfterDate:
                // Rounded up, so the date is never before the window's end.
                let end = Self.wallClockSeconds() + Double(millis) / 1000
                fields[Self.retryAfterName] = SandboxData.httpDate(seconds: Int(end.rounded(.up)))
            }
            return Self.json(
                429,
                SandboxJSON.errors(
                    code: "10011", title: "Too many requests",
                    detail: "You have exceeded the rate limit of \(rate.limit) requests. Slow down and retry later."),
                fields)
        case .serverError(let status, let html, let rate):
            let fields = rate.map(Self.rateFields) ?? HTTPFields()
            if html {
                var f = fields
                f[.contentType] = "text/html"
                return Self.response(status, f, SandboxJSON.htmlPage(status: status))
            }
            return Self.json(
                status,
                SandboxJSON.errors(
                    code: "\(status)", title: status == 503 ? "Service unavailable" : "Internal server error",
                    detail: "An unexpected error occurred. Please try again."),
                fields)
        case .deleted(let json, let rate, let delay):
            if delay > .zero { try? await Task.sleep(for: delay) }
            return Self.json(200, "{\"data\":\(json)}", rate.map(Self.rateFields) ?? HTTPFields())
        case .notFound(let id, let rate, let delay):
            if delay > .zero { try? await Task.sleep(for: delay) }
            return Self.json(
                404,
                SandboxJSON.errors(
                    code: "10005", title: "Resource not found",
                    detail: "The requested resource or URL could not be found. No recording with id \(id)."),
                rate.map(Self.rateFields) ?? HTTPFields())
        }
    }

    static func rateFields(_ rate: RateHeaders) -> HTTPFields {
        var fields = HTTPFields()
        fields[limitName] = String(rate.limit)
        fields[remainingName] = String(max(rate.remaining, 0))
        let millis = rate.reset.nanosecondsClamped / 1_000_000
        fields[resetName] = String(max((millis + 999) / 1000, 0))
        return fields
    }

    static func json(_ status: Int, _ body: String, _ fields: HTTPFields = HTTPFields()) -> Response {
        var f = fields
        f[.contentType] = "application/json"
        return response(status, f, body)
    }

    static func response(_ status: Int, _ fields: HTTPFields, _ body: String) -> Response {
        Response(
            status: HTTPResponse.Status(code: status), headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// `%XX` decoded; nil when an escape is malformed or the result is not UTF-8.
    static func percentDecoded(_ text: Substring) -> String? {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let h = iterator.next().flatMap(hexValue), let l = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(h << 4 | l)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    static func wallClockSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

extension Duration {
    var nanosecondsClamped: Int64 {
        let (s, atto) = components
        let (product, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return s < 0 ? Int64.min : Int64.max }
        return product + atto / 1_000_000_000
    }
}
