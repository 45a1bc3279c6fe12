import AsyncHTTPClient
import TerminalText

/// The proxies the environment names, as curl, the telnyx CLI and the SDKs read them:
/// `https_proxy`/`HTTPS_PROXY` for `https://` URLs, `http_proxy`/`HTTP_PROXY` for `http://`
/// ones (the lowercase name wins), and `no_proxy`/`NO_PROXY` for the hosts that go direct.
///
/// A proxy is `http://[USER:PASSWORD@]HOST[:PORT]` (or just `HOST:PORT`; port 1080 by default,
/// as curl). tnx talks to it with `CONNECT`, then TLS to the API through the tunnel, so the
/// proxy never sees the key. Its credentials go in `Proxy-Authorization` and nowhere else:
/// `description` and every message name the proxy as `http://HOST:PORT` only.
///
/// A plain `http://` URL (tnx allows one only to a loopback host) goes through a proxy only
/// when the proxy is on loopback too: through a proxy on another machine the key would cross
/// the network in clear, and that proxy's own 127.0.0.1 is not this machine's.
public struct ProxyEnvironment: Sendable, Hashable {
    public var https: ProxyServer?
    public var http: ProxyServer?
    /// `NO_PROXY`, split: `*`, a host name (which also covers its subdomains), a domain with a
    /// leading dot, or an IP address, each optionally with `:PORT`.
    public var noProxy: [String]

    public static let none = ProxyEnvironment(https: nil, http: nil, noProxy: [])

    public init(https: ProxyServer?, http: ProxyServer?, noProxy: [String]) {
        self.https = https
        self.http = http
        self.noProxy = noProxy
    }

    /// Reads the variables. A proxy URL that cannot work (another scheme, no host, a bad port)
    /// is an error that names the variable, never its credentials.
    public static func from(_ environment: [String: String]) throws(ConfigurationError) -> ProxyEnvironment {
        func value(_ names: String...) -> (name: String, value: String)? {
            for name in names {
                if let v = environment[name], !v.trimmingASCIISpaces().isEmpty { return (name, String(v.trimmingASCIISpaces())) }
            }
            return nil
        }
        let https = try value("https_proxy", "HTTPS_PROXY").map { v throws(ConfigurationError) in try ProxyServer.parse(v.value, variable: v.name) }
        let http = try value("http_proxy", "HTTP_PROXY").map { v throws(ConfigurationError) in try ProxyServer.parse(v.value, variable: v.name) }
        let noProxy = (value("no_proxy", "NO_PROXY")?.value ?? "")
            .split(separator: ",").map { String(String($0).trimmingASCIISpaces()).lowercased() }.filter { !$0.isEmpty }
        return ProxyEnvironment(https: https, http: http, noProxy: noProxy)
    }

    /// The proxy a request to `url` goes through, or nil to go direct.
    public func proxy(for url: String) -> ProxyServer? {
        guard let target = URLTarget(url) else { return nil }
        guard let server = target.scheme == "https" ? https : http else { return nil }
        if target.scheme != "https" && !ClientConfiguration.isLoopback(server.host) { return nil }
        return bypasses(host: target.host, port: target.port) ? nil : server
    }

    /// Whether `NO_PROXY` sends requests to `host` direct.
    func bypasses(host: String, port: Int) -> Bool {
        let host = host.lowercased()
        for rule in noProxy {
            if rule == "*" { return true }
            var name = Substring(rule)
            var rulePort: Int?
            // `HOST:PORT`, `[V6]:PORT`; a bare IPv6 address has colons of its own.
            if name.hasPrefix("["), let close = name.firstIndex(of: "]") {
                let after = name[name.index(after: close)...]
                rulePort = after.hasPrefix(":") ? Int(after.dropFirst()) : nil
                name = name[name.index(after: name.startIndex)..<close]
            } else if name.filter({ $0 == ":" }).count == 1, let colon = name.lastIndex(of: ":") {
                rulePort = Int(name[name.index(after: colon)...])
                name = name[..<colon]
            }
            if let rulePort, rulePort != port { continue }
            while name.hasPrefix(".") || name.hasPrefix("*.") { name = name.drop(while: { $0 == "." || $0 == "*" }) }
            if name.isEmpty { continue }
            if let slash = name.firstIndex(of: "/") {
                // An IPv4 range, as curl takes it: 10.0.0.0/8.
                if let range = Self.ipv4(name[..<slash]), let bits = Int(name[name.index(after: slash)...]), (0...32).contains(bits),
                    let address = Self.ipv4(Substring(host))
                {
                    let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
                    if address & mask == range & mask { return true }
                }
                continue
            }
            if host == name || host.hasSuffix("." + name) { return true }
        }
        return false
    }

    /// `10.1.2.3` as a number, or nil.
    static func ipv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let n = UInt32(part), n <= 255 else { return nil }
            value = value << 8 | n
        }
        return value
    }

}

/// Scheme, host and port of an absolute URL, and whether it names a user: read one way for
/// every check that needs them (which proxy, whether a media link may be requested).
struct URLTarget {
    var scheme: String
    var host: String
    var port: Int
    var hasUserInfo: Bool

    init?(_ url: String) {
        guard let range = url.firstRange(of: "://") else { return nil }
        scheme = url[..<range.lowerBound].lowercased()
        var authority = url[range.upperBound...].prefix(while: { $0 != "/" && $0 != "?" && $0 != "#" })
        hasUserInfo = authority.contains("@")
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        guard let (host, port) = try? ClientConfiguration.splitHostPort(authority, refuse: { ConfigurationError(message: $0) }) else {
            return nil
        }
        self.host = host
        self.port = port.flatMap { Int($0) } ?? (scheme == "https" ? 443 : 80)
    }
}

/// One HTTP proxy. Its password is kept for `Proxy-Authorization` only.
public struct ProxyServer: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    var username: String?
    var password: String?

    /// `http://HOST:PORT`, without credentials: what messages and `--verbose` show.
    public var description: String {
        "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    public var hasCredentials: Bool { username != nil }

    /// AsyncHTTPClient's form of it.
    var configuration: HTTPClient.Configuration.Proxy {
        if let username {
            return .server(host: host, port: port, authorization: .basic(username: username, password: password ?? ""))
        }
        return .server(host: host, port: port)
    }

    static func parse(_ text: String, variable: String) throws(ConfigurationError) -> ProxyServer {
        func refuse(_ reason: String) -> ConfigurationError {
            ConfigurationError(message: "\(variable) cannot be used: \(reason); expected http://[USER:PASSWORD@]HOST[:PORT]. Nothing was sent")
        }
        var rest = Substring(text)
        // A scheme is letters, digits, `+`, `-`, `.` (what comes before `://` in a password is not).
        if let range = rest.firstRange(of: "://"),
            let first = rest.first, first.isASCII, first.isLetter,
            rest[..<range.lowerBound].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        {
            let scheme = rest[..<range.lowerBound].lowercased()
            guard scheme == "http" else {
                throw refuse(
                    "tnx speaks to HTTP proxies only, not \(TerminalText.quoted(String(scheme.prefix(20)))) (the API's own TLS runs through the proxy's tunnel)")
            }
            rest = rest[range.upperBound...]
        }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        var username: String?
        var password: String?
        if let at = authority.lastIndex(of: "@") {
            let credentials = authority[..<at]
            authority = authority[authority.index(after: at)...]
            let parts = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            username = percentDecoded(parts[0])
            password = parts.count > 1 ? percentDecoded(parts[1]) : nil
            guard username != nil, parts.count < 2 || password != nil else { throw refuse("its user or password is not valid percent-encoding") }
        }
        for scalar in authority.unicodeScalars where scalar.value <= 0x20 || scalar.value >= 0x7F {
            throw refuse("its host holds spaces, control or non-ASCII characters")
        }
        let (host, port) = try ClientConfiguration.splitHostPort(authority, refuse: refuse)
        guard !host.isEmpty else { throw refuse("it names no host") }
        var portNumber = 1080
        if let port {
            guard let n = Int(port), (1...65535).contains(n) else { throw refuse("its port must be 1…65535") }
            portNumber = n
        }
        return ProxyServer(host: host, port: portNumber, username: username, password: password)
    }

    /// `%40` → `@`; nil when an escape is malformed or the result is not UTF-8.
    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = utf8.next(), let low = utf8.next(),
                  let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(value)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
