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
    private let credentials: Mutex<Credentials>
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
    }

    public init(configuration: ClientConfiguration) {
        var stored = configuration
        stored.apiKey = nil
        self.configuration = stored
        self.rateLimiter = RateLimiter(policy: configuration.retryPolicy, activity: waits)
        self.credentials = Mutex(Self.credentials(for: configuration.apiKey))
        self.recordingsURL = configuration.baseURL + "/recordings"
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
            timeout: .init(connect: .nanoseconds(configuration.connectTimeout.nanosecondsClamped)),
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
    /// - Throws: when the key is not printable ASCII (the message never quotes it).
    public func setAPIKey(_ key: String?) throws(ConfigurationError) {
        let new = Self.credentials(for: try ClientConfiguration.validatedKey(key))
        credentials.withLock { $0 = new }
    }

    /// Closes every connection. Call once, when no request is running.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// The request `deleteRecording` would send for `id`, with the key shown as `Bearer ***`
    /// (the header is left out when no key is set).
    public func preparedRequest(for id: RecordingID) -> PreparedRequest {
        PreparedRequest(
            method: "DELETE", url: recordingsURL + "/" + id.pathSegment,
            headers: hasAPIKey ? shownHeaders.withKey : shownHeaders.withoutKey)
    }

    /// The key and the headers of a request, or nil when no key is set.
    func authorizedHeaders() -> (key: String, headers: HTTPHeaders)? {
        let creds = credentials.withLock { $0 }
        guard let key = creds.key, let authorization = creds.authorization else { return nil }
        var headers = fixedHeaders
        headers.add(name: "Authorization", value: authorization)
        return (key, headers)
    }

    /// The error of a request that needs a key when none is set; nothing is sent.
    static let noKeyError = RecordingsError(
        kind: .unauthorized, status: nil, attempts: 0,
        description: "no API key: set TELNYX_API_KEY (export TELNYX_API_KEY=KEY…) or pass --api-key; nothing was sent")

    static func credentials(for key: String?) -> Credentials {
        guard let key, !key.isEmpty else { return Credentials(key: nil, authorization: nil) }
        return Credentials(key: key, authorization: "Bearer " + key)
    }

    static func authority(of url: String) -> String {
        guard let range = url.firstRange(of: "://") else { return url }
        let rest = url[range.upperBound...]
        return String(rest.prefix(while: { $0 != "/" }))
    }
}
