import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization
import TnxSystem

/// The one client of the Telnyx recordings API in a process.
///
/// It owns one `HTTPClient` whose pool may open `maximumConnections` connections to the API
/// host (AsyncHTTPClient's default of 8 would cap every bulk run), one `RateLimiter` that all
/// callers share, one `ClientActivity` that says what it is waiting for, and the API key, which
/// `setAPIKey` may change at any time.
///
/// Where things are:
/// - `RecordingsClient+Perform.swift`: the request loop every endpoint shares (rate limit,
///   retries, cancellation);
/// - `ResponseVerdict.swift`: what an answer means, from its status; `TransportFailure.swift`:
///   what a failure without an answer means;
/// - `RecordingsClient+Delete.swift`, `RecordingsClient+Endpoint.swift`: one file per endpoint;
/// - `ResponseBodies.swift`: the JSON bodies.
///
/// No error text ever contains the key: every description and excerpt is redacted.
public final class RecordingsClient: RecordingsAPI {
    /// The configuration given, without the key (see `hasAPIKey`).
    public let configuration: ClientConfiguration
    /// Shared by every request of this client.
    public let rateLimiter: RateLimiter
    /// What the client waits for; `activity` for the protocol.
    let waits = ClientActivity()
    public var activity: ClientActivity? { waits }

    let http: HTTPClient
    /// The proxy of requests to the API (nil: direct).
    let apiProxy: ProxyServer?
    /// Clients for media links that take another route than the API (see `httpClient(for:)`).
    private let otherRoutes = Mutex<[String: HTTPClient]>([:])
    private let credentials: Mutex<Credentials>
    /// `api-key-command`: asked once, by the first request that needs the key.
    private let deferredKey: DeferredKey?
    private let deferredKeyTask = Mutex<Task<Result<String, ConfigurationError>, Never>?>(nil)
    /// `--verbose`.
    let trace: (@Sendable (String) -> Void)?
    /// `{base}/recordings`.
    let recordingsURL: String
    let fixedHeaders: HTTPHeaders
    /// `api.telnyx.com`, for messages.
    let hostDescription: String
    /// The headers a dry-run shows, built once (a dry-run of a million ids shows them a
    /// million times): with the key redacted, and without a key.
    private let shownHeaders: (withKey: [(name: String, value: String)], withoutKey: [(name: String, value: String)])
    /// Whether `confirmEndpoint` has seen the recordings API answer at this base URL.
    let endpointConfirmed = Mutex(false)

    struct Credentials: Sendable {
        var key: String?
        var authorization: String?
        /// Where `key` came from.
        var origin: KeyOrigin?
    }

    public init(configuration: ClientConfiguration) {
        var stored = configuration
        stored.apiKey = nil
        self.configuration = stored
        self.rateLimiter = RateLimiter(policy: configuration.retryPolicy, activity: waits)
        self.credentials = Mutex(Self.credentials(for: configuration.apiKey, origin: configuration.keyOrigin))
        self.recordingsURL = configuration.baseURL + "/recordings"
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "User-Agent", value: configuration.userAgent)
        self.fixedHeaders = headers
        let fixed = headers.map { (name: $0.name, value: $0.value) }
        self.shownHeaders = ([(name: "Authorization", value: "Bearer ***")] + fixed, fixed)
        self.hostDescription = Self.authority(of: configuration.baseURL)

        self.apiProxy = configuration.proxies.proxy(for: configuration.baseURL)
        self.http = Self.makeHTTPClient(configuration, proxy: apiProxy)
        self.deferredKey = configuration.deferredKey
        self.trace = configuration.trace
    }

    /// An `HTTPClient` of this configuration, through `proxy` or direct.
    static func makeHTTPClient(_ configuration: ClientConfiguration, proxy: ProxyServer?) -> HTTPClient {
        var pool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maximumConnections)
        // Our RetryPolicy decides about retries; the pool must fail fast on a refused connection
        // instead of retrying until the request deadline.
        pool.retryConnectionEstablishment = false
        var httpConfiguration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(configuration.connectTimeout.nanosecondsClamped)),
            connectionPool: pool,
            proxy: proxy?.configuration)
        httpConfiguration.httpVersion = .automatic
        // No tracing: by default every request would start a (no-op) span and parse its URL
        // again for span attributes, a measurable share of a bulk run's CPU.
        httpConfiguration.tracing.tracer = nil
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfiguration)
    }

    /// The client for a media link: `http` when the link takes the API's route (through the
    /// same proxy, or direct like it), else one made for that route on first use. `NO_PROXY`
    /// may send the API and a storage host different ways, and AsyncHTTPClient sets its proxy
    /// per client.
    func httpClient(for url: String) -> HTTPClient {
        let proxy = configuration.proxies.proxy(for: url)
        if proxy == apiProxy { return http }
        return otherRoutes.withLock { clients in
            let route = proxy?.description ?? "direct"
            if let existing = clients[route] { return existing }
            let made = Self.makeHTTPClient(configuration, proxy: proxy)
            clients[route] = made
            return made
        }
    }

    /// `--base-url (https://…)`, `TELNYX_BASE_URL (https://…)`, the base-url of a profile: what
    /// a message about a base URL that is not the API names (`URLOrigin.named`).
    var baseURLNamed: String { configuration.baseURLOrigin.named(baseURL) }

    /// Where the key in use came from (the one set, else the deferred one to be asked for):
    /// what a message about a refused key tells to check.
    public var keyOrigin: KeyOrigin? {
        credentials.withLock { $0.key == nil ? nil : $0.origin } ?? deferredKey?.origin
    }

    /// Where the key and the base URL came from, for the messages of a request's answer.
    var origins: RequestOrigins {
        RequestOrigins(key: keyOrigin, url: configuration.baseURLOrigin, baseURL: baseURL)
    }

    /// The base URL requests go to, e.g. `https://api.telnyx.com/v2`.
    public var baseURL: String { configuration.baseURL }

    /// Whether requests will carry a key: one is set, or there is a deferred one to ask for.
    public var hasAPIKey: Bool {
        credentials.withLock({ $0.key != nil }) || deferredKey != nil
    }

    /// Sets or clears the key for the requests that start from now on; `origin` is where it
    /// came from (by default, typed at the shell). Thread-safe.
    /// - Throws: when the key is not printable ASCII (the message never quotes it).
    public func setAPIKey(_ key: String?, origin: KeyOrigin = .entered) throws(ConfigurationError) {
        let new = Self.credentials(for: try ClientConfiguration.validatedKey(key, origin: origin), origin: origin)
        credentials.withLock { $0 = new }
    }

    /// Closes every connection. Call once, when no request is running.
    public func shutdown() async throws {
        for other in otherRoutes.withLock({ Array($0.values) }) { try? await other.shutdown() }
        try await http.shutdown()
    }

    /// The request `deleteRecording` would send for `id`, with the key shown as `Bearer ***`
    /// (the header is left out when no key is set).
    public func preparedRequest(for id: RecordingID) -> PreparedRequest {
        PreparedRequest(
            method: "DELETE", url: recordingsURL + "/" + id.pathSegment,
            headers: hasAPIKey ? shownHeaders.withKey : shownHeaders.withoutKey)
    }

    /// The key and the headers of a request. Without a key, the deferred one is asked for: once
    /// for every request that needs it meanwhile (they wait for the one answer). A failure is
    /// the failure of those requests, and nothing is sent; the next request asks again (in the
    /// shell, a mistyped passphrase is not final). Cancelling a waiting request (Ctrl-C,
    /// SIGTERM) stops the source (`DeferredKey.cancel`) and ends it as interrupted.
    func authorizedHeaders() async throws(RecordingsError) -> (key: String, headers: HTTPHeaders) {
        if let ready = currentHeaders() { return ready }
        guard let deferredKey else { throw Self.noKeyError }
        let task = deferredKeyTask.withLock { task in
            if let task { return task }
            let started = Task { await deferredKey.resolve() }
            task = started
            return started
        }
        let result = await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            deferredKey.cancel()
        }
        switch result {
        case .success(let key):
            // A key typed with `set api-key` meanwhile wins; otherwise this one is kept.
            if let ready = currentHeaders() { return ready }
            do {
                let new = Self.credentials(for: try ClientConfiguration.validatedKey(key, origin: deferredKey.origin), origin: deferredKey.origin)
                credentials.withLock { if $0.key == nil { $0 = new } }
            } catch {
                throw keyFailed(task, ConfigurationError(message: "the key that the \(deferredKey.origin.name) printed is not usable: \(error.message)"))
            }
            guard let ready = currentHeaders() else { throw Self.noKeyError }
            return ready
        case .failure(let failure):
            if let ready = currentHeaders() { return ready }
            if Task.isCancelled {
                _ = keyFailed(task, failure)
                throw RecordingsError(
                    kind: .interrupted, status: nil, attempts: 0, description: "interrupted while the \(deferredKey.origin.name) ran; nothing was sent")
            }
            throw keyFailed(task, failure)
        }
    }

    /// Forgets a failed attempt to get the key, so that the next request asks again.
    private func keyFailed(_ task: Task<Result<String, ConfigurationError>, Never>, _ failure: ConfigurationError) -> RecordingsError {
        deferredKeyTask.withLock { if $0 == task { $0 = nil } }
        return RecordingsError(kind: .unauthorized, status: nil, attempts: 0, description: failure.message)
    }

    /// Asks for a deferred key now, if there is one to ask for: before a run draws its progress
    /// line over the terminal where a password manager may be asking.
    public func prepareKey() async -> RecordingsError? {
        guard deferredKey != nil, currentHeaders() == nil else { return nil }
        do {
            _ = try await authorizedHeaders()
            return nil
        } catch {
            return error
        }
    }

    /// The key and the headers, when a key is set now.
    func currentHeaders() -> (key: String, headers: HTTPHeaders)? {
        let creds = credentials.withLock { $0 }
        guard let key = creds.key, let authorization = creds.authorization else { return nil }
        var headers = fixedHeaders
        headers.add(name: "Authorization", value: authorization)
        return (key, headers)
    }

    /// The error of a request that needs a key when none is set; nothing is sent.
    static let noKeyError = RecordingsError(kind: .unauthorized, status: nil, attempts: 0, description: KeyOrigin.missing())

    static func credentials(for key: String?, origin: KeyOrigin?) -> Credentials {
        guard let key, !key.isEmpty else { return Credentials(key: nil, authorization: nil, origin: nil) }
        return Credentials(key: key, authorization: "Bearer " + key, origin: origin)
    }

    static func authority(of url: String) -> String {
        guard let range = url.firstRange(of: "://") else { return url }
        let rest = url[range.upperBound...]
        return String(rest.prefix(while: { $0 != "/" }))
    }
}
