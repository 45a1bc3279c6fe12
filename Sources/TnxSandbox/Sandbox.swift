import Hummingbird
import Synchronization

/// A local fake of the Telnyx call recordings API, faithful to its contract:
///
/// - `DELETE /v2/recordings/{id}` with `Authorization: Bearer <apiKey>` → 200
///   `{"data": {…RecordingResponseData…}}`, and the recording is gone;
/// - an unknown or already deleted id → 404 `{"errors":[{"code":"10005","title":"Resource not found",…}]}`;
/// - `GET /v2/recordings/{id}` → 200 `{"data": {…}}` or the 404 above;
/// - `GET /v2/recordings` with the documented filters and paging (`page[number]` ≥ 1,
///   `page[size]` 1…250, else 400) → `{"data": [...], "meta": {...}}`, newest first;
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
    private let mediaTask: Task<Void, any Error>
    private let finished: Task<Void, Never>

    // MARK: - Starting and stopping

    /// Starts a server on `host:port` (port 0: a free one) in a background task, seeded with
    /// `count` recordings, and returns once it accepts connections.
    public static func start(
        host: String = "127.0.0.1", port: Int = 0, apiKey: String = Sandbox.defaultAPIKey,
        seed count: Int = 1000, faults: SandboxFaults = .none
    ) async throws -> Sandbox {
        let handler = Handler(state: State(seedCount: count, faults: faults), apiKey: apiKey)
        // The media host first, on a port of its own: the API's answers link to it.
        let (mediaPort, mediaTask) = try await listen(host: host, port: 0) { request, _ in await handler.respondMedia(to: request) }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        handler.state.withLock { s in
            var secret = SystemRandomNumberGenerator()
            s.media = MediaLinks(base: "http://\(shownHost):\(mediaPort)", lifetime: faults.mediaLinkLifetime, secret: secret.next())
        }
        do {
            let (boundPort, task) = try await listen(host: host, port: port) { request, context in
                var response = await handler.respond(to: request, channel: context.channel)
                // As the API names each request, for a support ticket: tnx shows it under
                // --verbose and keeps it with a failure in the journal.
                let number = handler.state.withLock { s in
                    s.answered += 1
                    return s.answered
                }
                if response.headers[Self.requestIDHeader] == nil { response.headers[Self.requestIDHeader] = "sandbox-req-\(number)" }
                return response
            }
            return Sandbox(host: host, port: boundPort, apiKey: apiKey, handler: handler, task: task, mediaTask: mediaTask)
        } catch {
            mediaTask.cancel()
            _ = await mediaTask.result
            throw error
        }
    }

    /// Starts a server on `host:port` in a background task; returns once it accepts connections.
    private static func listen(
        host: String, port: Int, _ respond: @escaping @Sendable (Request, SandboxContext) async -> Response
    ) async throws -> (port: Int, task: Task<Void, any Error>) {
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let responder = CallbackResponder<SandboxContext> { request, context in await respond(request, context) }
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
        return (boundPort, task)
    }

    /// Runs `body` with a started sandbox and stops it afterwards, whatever `body` does: the
    /// fixture owns its setup and teardown, like Hummingbird's `app.test { … }`.
    public static func with<T>(
        seed count: Int = 1000, faults: SandboxFaults = .none, apiKey: String = Sandbox.defaultAPIKey,
        _ body: (Sandbox) async throws -> T
    ) async throws -> T {
        let sandbox = try await start(apiKey: apiKey, seed: count, faults: faults)
        do {
            let result = try await body(sandbox)
            await sandbox.stop()
            return result
        } catch {
            await sandbox.stop()
            throw error
        }
    }

    private init(host: String, port: Int, apiKey: String, handler: Handler, task: Task<Void, any Error>, mediaTask: Task<Void, any Error>) {
        self.host = host
        self.port = port
        self.apiKey = apiKey
        let shownHost = host.contains(":") ? "[\(host)]" : host
        self.baseURL = "http://\(shownHost):\(port)/v2"
        self.handler = handler
        self.serverTask = Mutex(task)
        self.mediaTask = mediaTask
        self.finished = Task { _ = await task.result }
    }

    /// Stops the server and waits until it has stopped. Safe to call more than once.
    public func stop() async {
        let task = serverTask.withLock { $0 }
        task?.cancel()
        mediaTask.cancel()
        _ = await task?.result
        _ = await mediaTask.result
    }

    /// Runs until the calling task is cancelled (then stops the server), or the server stops.
    public func runUntilCancelled() async {
        await withTaskCancellationHandler {
            await finished.value
        } onCancel: {
            serverTask.withLock { $0 }?.cancel()
            mediaTask.cancel()
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
            s.index = nil
            for id in ids where s.recordings[id] == nil {
                s.recordings[id] = s.nextIndex
                s.nextIndex += 1
                added += 1
            }
            return added
        }
    }

    /// Removes recordings as another client of the account would (not counted as deleted by
    /// a request). Returns how many existed.
    @discardableResult
    public func remove(ids: some Sequence<String>) -> Int {
        handler.state.withLock { s in
            var removed = 0
            for id in ids where s.recordings.removeValue(forKey: id) != nil {
                s.index?.remove(id)
                removed += 1
            }
            return removed
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
            s.media?.lifetime = faults.mediaLinkLifetime
        }
    }

    /// Queues faults for the next media requests of `id`, one per request.
    public func scriptMedia(_ faults: [SandboxFaults.MediaFault], for id: String) {
        handler.state.withLock { $0.mediaScripts[id, default: []].append(contentsOf: faults) }
    }

    /// `http://127.0.0.1:PORT`: where the media links point (another port than the API).
    public var mediaBase: String { handler.state.withLock { $0.media?.base ?? "" } }

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
        /// Requests to the media host, and the bytes of media it sent.
        public var mediaRequests: Int
        public var mediaBytesServed: Int
        /// Media requests that carried an `Authorization` header, or the API key anywhere.
        public var mediaRequestsWithKey: Int
        /// `POST /recordings/actions/delete` requests (well formed), and the ids they carried.
        public var batchRequests: Int
        public var batchIDsReceived: Int
        /// Media requests that did not ask for the bytes as they are (`Accept-Encoding: identity`).
        public var mediaRequestsAllowingEncoding: Int = 0
    }

    public var statistics: Statistics {
        handler.state.withLock { s in
            Statistics(
                totalRequests: s.totalRequests, requestsByID: s.requestsByID, deletedIDs: s.deletedIDs,
                rateLimited: s.rateLimited, serverErrors: s.serverErrors, mediaRequests: s.mediaRequests,
                mediaBytesServed: s.mediaBytesServed, mediaRequestsWithKey: s.mediaRequestsWithKey, batchRequests: s.batchRequests,
                batchIDsReceived: s.batchIDsReceived, mediaRequestsAllowingEncoding: s.mediaRequestsAllowingEncoding)
        }
    }

    public var totalRequests: Int { handler.state.withLock { $0.totalRequests } }

    static let requestIDHeader = FieldName("x-request-id")!
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
            s.mediaRequests = 0
            s.mediaBytesServed = 0
            s.mediaRequestsWithKey = 0
            s.mediaRequestsAllowingEncoding = 0
            s.batchRequests = 0
            s.batchIDsReceived = 0
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
    /// Answers sent by the API's port, numbering their `x-request-id`.
    var answered = 0
    var requestsByID: [String: Int] = [:]
    var deletedIDs: [String] = []
    var paths: [String] = []
    var lastRequest: Sandbox.SeenRequest?
    var rateLimited = 0
    var serverErrors = 0
    var windowStart = ContinuousClock.now
    var windowCount = 0
    /// A 429 was sent and no request has come since (for `Hostility.resetAfterRateLimit`).
    var rateLimitedLast = false
    /// The list's order, built at the first list and kept up to date by deletes (rebuilt after
    /// `add`).
    var index: RecordingIndex?
    /// Where `download_urls` point, once the media host listens.
    var media: MediaLinks?
    var mediaScripts: [String: [SandboxFaults.MediaFault]] = [:]
    var mediaRequests = 0
    var mediaBytesServed = 0
    var mediaRequestsAllowingEncoding = 0
    /// Media requests that carried an `Authorization` header or the API key anywhere.
    var mediaRequestsWithKey = 0
    /// Batch deletes received, and the ids they carried.
    var batchRequests = 0
    var batchIDsReceived = 0
    /// Recordings kept by a batch whose listing no longer shows them
    /// (`BatchBehaviour.keepsSomeUnlisted`): they still read back.
    var unlisted: Set<String> = []

    init(seedCount: Int, faults: SandboxFaults) {
        let count = max(0, seedCount)
        recordings = Dictionary(minimumCapacity: count)
        for index in 0..<count { recordings[SandboxData.recordingID(index: index)] = index }
        nextIndex = count
        self.faults = faults
    }
}

