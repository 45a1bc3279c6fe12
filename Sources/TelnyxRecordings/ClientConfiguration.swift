import TerminalText

/// Everything a `RecordingsClient` needs to know before its first request.
///
/// The base URL is checked here, once: it must be `https://`, or `http://` to a loopback host
/// (127.0.0.0/8, `::1`, `localhost`) such as the sandbox, since over plain HTTP anyone on the
/// path would read the API key.
public struct ClientConfiguration: Sendable, CustomStringConvertible {
    /// `tnx/VERSION`, sent as `User-Agent`.
    public static let version = "0.1.0"
    public static let defaultUserAgent = "tnx/\(version)"
    public static let defaultBaseURL = "https://api.telnyx.com/v2"
    public static let apiKeyVariable = "TELNYX_API_KEY"
    public static let baseURLVariable = "TELNYX_BASE_URL"

    /// The API key; nil until one is given (dry-run needs none).
    public var apiKey: String?
    /// Where `apiKey` came from, for the messages that say what to check about it (a 401).
    public var keyOrigin: KeyOrigin?
    /// The validated base URL without a trailing slash, e.g. `https://api.telnyx.com/v2`.
    public private(set) var baseURL: String
    /// Time allowed to open a connection.
    public var connectTimeout: Duration
    /// Time allowed for one request, from sending to the last byte of the answer.
    public var requestTimeout: Duration
    public var retryPolicy: RetryPolicy
    /// Connections the pool may open to the API host: at least the bulk concurrency, or the
    /// pool becomes the limit of every bulk run. Connections open on demand only.
    public var maximumConnections: Int
    public var userAgent: String
    /// False for a run started with `--dry-run`: then no delete request ever leaves the
    /// client, whatever the caller asks (`deleteRecording` answers `.wouldDelete`). The last
    /// line of the promise that a dry-run never deletes.
    public var deletesAllowed = true
    /// Where the base URL came from, for the messages that say what to check when it cannot
    /// be reached or is not the API: the default, `TELNYX_BASE_URL`, `--base-url`, a profile.
    public var baseURLOrigin: URLOrigin = .standard
    /// The proxies requests go through (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`); none by
    /// default.
    public var proxies: ProxyEnvironment = .none
    /// Where the key comes from when `apiKey` is nil: a source asked once, when a request
    /// first needs the key (`api-key-command`).
    public var deferredKey: DeferredKey?
    /// `--verbose`: called with one line per HTTP exchange (the key shown as `Bearer ***`, a
    /// media link without its signature). Nil: nothing is built.
    public var trace: (@Sendable (String) -> Void)?

    /// - Throws: `ConfigurationError` when the base URL is malformed, or plain `http://` to a
    ///   host that is not loopback.
    public init(
        apiKey: String? = nil,
        baseURL: String = ClientConfiguration.defaultBaseURL,
        connectTimeout: Duration = .seconds(10),
        requestTimeout: Duration = .seconds(30),
        retryPolicy: RetryPolicy = .default,
        maximumConnections: Int = 16,
        userAgent: String = ClientConfiguration.defaultUserAgent
    ) throws(ConfigurationError) {
        self.apiKey = try Self.validatedKey(apiKey)
        self.baseURL = try Self.validatedBaseURL(baseURL)
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.retryPolicy = retryPolicy
        self.maximumConnections = max(1, maximumConnections)
        self.userAgent = userAgent
    }

    /// Reads `TELNYX_API_KEY` and `TELNYX_BASE_URL` from `environment`; an explicit `apiKey` or
    /// `baseURL` (from the command line) wins over the environment. Empty values count as unset.
    public static func fromEnvironment(
        _ environment: [String: String], apiKey: String? = nil, baseURL: String? = nil
    ) throws(ConfigurationError) -> ClientConfiguration {
        let optionKey = normalisedKey(apiKey)
        let key = optionKey ?? normalisedKey(environment[apiKeyVariable])
        let optionURL = nonEmpty(baseURL)
        let environmentURL = nonEmpty(environment[baseURLVariable])
        let origin: KeyOrigin? = key == nil ? nil : optionKey != nil ? .option : .environment
        var configuration = try ClientConfiguration(baseURL: optionURL ?? environmentURL ?? defaultBaseURL)
        configuration.apiKey = try validatedKey(key, origin: origin)
        configuration.keyOrigin = origin
        configuration.baseURLOrigin = optionURL != nil ? .option : environmentURL != nil ? .environment : .standard
        return configuration
    }

    /// Replaces the base URL, with the same checks as `init`.
    public mutating func setBaseURL(_ url: String) throws(ConfigurationError) {
        baseURL = try Self.validatedBaseURL(url)
    }

    /// Shows the settings with the key redacted.
    public var description: String {
        "ClientConfiguration(baseURL: \(baseURL), apiKey: \(apiKey == nil ? (deferredKey == nil ? "none" : "deferred") : "***"), connectTimeout: \(connectTimeout), requestTimeout: \(requestTimeout), maximumConnections: \(maximumConnections), userAgent: \(userAgent))"
    }

    static func nonEmpty(_ s: String?) -> String? {
        guard let s else { return nil }
        let trimmed = String(s.trimmingASCIISpaces())
        return trimmed.isEmpty ? nil : trimmed
    }

    /// The key with surrounding whitespace trimmed, refused unless every character is
    /// printable ASCII (what an API key is made of). An HTTP library refuses such a header
    /// anyway, after quoting it in its error; so the check comes first, and its message never
    /// quotes the key; it says what to check from where the key came from (`origin`).
    public static func validatedKey(_ key: String?, origin: KeyOrigin? = nil) throws(ConfigurationError) -> String? {
        guard let key = normalisedKey(key) else { return nil }
        for (index, scalar) in key.unicodeScalars.enumerated() where !(0x21...0x7E).contains(scalar.value) {
            let what =
                scalar.value < 0x20 || scalar.value == 0x7F ? "a control character"
                : scalar == " " ? "a space" : "a character that is not ASCII"
            throw ConfigurationError(
                message:
                    "the API key has \(what) at position \(index + 1); a key is printable ASCII only (letters, digits, punctuation): \(KeyOrigin.check(origin)). Nothing was sent"
            )
        }
        return key
    }

    /// Trims surrounding whitespace and newlines (a key pasted from a file often ends in one).
    public static func normalisedKey(_ key: String?) -> String? {
        guard let key else { return nil }
        let trimmed = key.unicodeScalars.drop(while: { $0.properties.isWhitespace })
        let scalars = String.UnicodeScalarView(trimmed.reversed().drop(while: { $0.properties.isWhitespace }).reversed())
        let result = String(scalars)
        return result.isEmpty ? nil : result
    }

    /// Checks scheme, host and path; returns the URL without trailing slashes.
    ///
    /// A refusal quotes the URL without its user, password, query and fragment (`***`): where a
    /// key would be if someone put one in the URL, and where a message must never show it.
    static func validatedBaseURL(_ raw: String) throws(ConfigurationError) -> String {
        let text = String(raw.trimmingASCIISpaces())
        func refuse(_ reason: String) -> ConfigurationError {
            ConfigurationError(message: "invalid base URL \(TerminalText.quoted(shown(text))): \(reason)")
        }
        for scalar in text.unicodeScalars where scalar.value <= 0x20 || scalar.value >= 0x7F {
            throw refuse("it contains spaces, control or non-ASCII characters")
        }
        let parts = text.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty else {
            throw refuse("expected https://HOST[:PORT][/PATH], e.g. \(defaultBaseURL)")
        }
        let scheme = parts[0].lowercased()
        guard scheme == "https" || scheme == "http" else {
            throw refuse("the scheme must be https (or http for a local server), not \"\(scheme)\"")
        }
        let rest = parts[1]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = rest[authorityEnd...]
        // Anywhere before the query, not only in the host part: a password that holds a `/`
        // would otherwise pass for a host and a path.
        guard !rest.prefix(while: { $0 != "?" && $0 != "#" }).contains("@") else {
            throw refuse("it holds a user or password; a key belongs in TELNYX_API_KEY (or an api-key-command), never in the URL. Nothing was sent")
        }
        guard !path.contains("?"), !path.contains("#") else {
            throw refuse("a base URL has no query or fragment; a key belongs in TELNYX_API_KEY (or an api-key-command), never in the URL. Nothing was sent")
        }
        let (host, port) = try splitHostPort(authority, refuse: refuse)
        guard !host.isEmpty else { throw refuse("it has no host") }
        if let port { guard let n = Int(port), (1...65535).contains(n) else { throw refuse("the port must be 1…65535") } }
        for segment in path.split(separator: "/") where segment == "." || segment == ".." {
            _ = segment
            throw refuse("the path may not contain . or .. segments")
        }
        if scheme == "http" && !isLoopback(host) {
            throw ConfigurationError(
                message:
                    "refusing plain http:// to \(host): the API key would travel in clear text over the network. Use https://, or http:// only for a local server (127.0.0.1, ::1, localhost)"
            )
        }
        while path.hasSuffix("/") { path = path.dropLast() }
        let normalisedAuthority = authority.lowercased()
        return "\(scheme)://\(normalisedAuthority)\(path)"
    }

    /// `text` as a message may quote it: `https://***@host/path?***#***`, its user, password,
    /// query and fragment each replaced by `***`.
    static func shown(_ text: String) -> String {
        var rest = Substring(text)
        var tail = ""
        if let hash = rest.firstIndex(of: "#") {
            tail = "#***"
            rest = rest[..<hash]
        }
        if let question = rest.firstIndex(of: "?") {
            tail = "?***" + tail
            rest = rest[..<question]
        }
        // Up to the last `@`: a password may hold a `/`, which a URL parser takes for the end
        // of the host, and a message must not show any of it.
        let authorityStart = rest.firstRange(of: "://")?.upperBound ?? rest.startIndex
        guard let at = rest[authorityStart...].lastIndex(of: "@") else { return String(rest) + tail }
        return String(rest[..<authorityStart]) + "***@" + String(rest[rest.index(after: at)...]) + tail
    }

    /// Refuses a base URL that holds any of `keys` (every key this run knows), as is or
    /// percent-encoded, wherever in it: it would travel in every request line and show in
    /// messages and the journal. `origin` says where the URL came from. The message quotes
    /// neither the URL nor the key. A "key" shorter than 8 characters is no API key (Telnyx's
    /// are dozens long) and could match any URL by chance (`v2`): it is not looked for.
    public static func refuseKeys(_ keys: [String], inBaseURL url: String, origin: String) throws(ConfigurationError) {
        guard keys.contains(where: { $0.utf8.count >= 8 && LinkText.holds(url, secret: $0) }) else { return }
        throw ConfigurationError(
            message:
                "the base URL (\(origin)) holds an API key: it would travel in every request line and show in messages and the journal. Give the base URL without it, and the key in TELNYX_API_KEY (or an api-key-command). Nothing was sent"
        )
    }

    static func splitHostPort(
        _ authority: Substring, refuse: (String) -> ConfigurationError
    ) throws(ConfigurationError) -> (host: String, port: Substring?) {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw refuse("unclosed [ in an IPv6 host") }
            let host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.isEmpty { return (host, nil) }
            guard after.hasPrefix(":") else { throw refuse("unexpected text after the IPv6 host") }
            return (host, after.dropFirst())
        }
        let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        return (String(parts[0]), parts.count > 1 ? parts[1] : nil)
    }

    /// 127.0.0.0/8, `::1` and the name `localhost`: nothing a DNS server answers for (a name
    /// under `.localhost` may be resolved by DNS, so it is not loopback here).
    public static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        if h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1" { return true }
        let octets = h.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127" else { return false }
        return octets.allSatisfy { o in
            !o.isEmpty && o.count <= 3 && o.allSatisfy(\.isASCII) && o.allSatisfy(\.isNumber) && Int(o)! <= 255
        }
    }
}

/// A key that is not known yet: `resolve` runs at most once, off the cooperative pool, when a
/// request first needs a key. `origin` says where it was set up (the `api-key-command` of
/// profile prod), for messages; neither ever holds the key.
public struct DeferredKey: Sendable {
    public var origin: KeyOrigin
    public var resolve: @Sendable () async -> Result<String, ConfigurationError>
    /// Stops a `resolve` in progress (every request waiting for it was cancelled).
    public var cancel: @Sendable () -> Void

    public init(
        origin: KeyOrigin, resolve: @escaping @Sendable () async -> Result<String, ConfigurationError>,
        cancel: @escaping @Sendable () -> Void = {}
    ) {
        self.origin = origin
        self.resolve = resolve
        self.cancel = cancel
    }
}

/// A configuration that cannot work, with a message that says why and what to do.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
