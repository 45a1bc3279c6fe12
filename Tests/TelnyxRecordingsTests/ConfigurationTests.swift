import Foundation
import Testing
import TnxSandbox

@testable import TelnyxRecordings

@Suite("Configuration, retry policy, server hints, path safety")
struct ConfigurationTests {
    @Test("from an environment dictionary; explicit values win; empty means unset")
    func fromEnvironment() throws {
        let empty = try ClientConfiguration.fromEnvironment([:])
        #expect(empty.apiKey == nil)
        #expect(empty.baseURL == "https://api.telnyx.com/v2")
        #expect(empty.userAgent == "tnx/\(ClientConfiguration.version)")
        #expect(empty.maximumConnections == 16)
        #expect(empty.retryPolicy == .default)

        let env = ["TELNYX_API_KEY": "KEYenv\n", "TELNYX_BASE_URL": "http://127.0.0.1:9999/v2/"]
        let fromEnv = try ClientConfiguration.fromEnvironment(env)
        #expect(fromEnv.apiKey == "KEYenv")
        #expect(fromEnv.baseURL == "http://127.0.0.1:9999/v2")

        let explicit = try ClientConfiguration.fromEnvironment(env, apiKey: "KEYflag", baseURL: "https://example.test/v2")
        #expect(explicit.apiKey == "KEYflag")
        #expect(explicit.baseURL == "https://example.test/v2")

        let blank = try ClientConfiguration.fromEnvironment(["TELNYX_API_KEY": "  ", "TELNYX_BASE_URL": ""])
        #expect(blank.apiKey == nil)
        #expect(blank.baseURL == ClientConfiguration.defaultBaseURL)
        #expect(!"\(fromEnv)".contains("KEYenv"))
    }

    @Test(
        "plain http only to loopback",
        arguments: [
            ("http://127.0.0.1:8080/v2", true), ("http://127.1.2.3/v2", true), ("http://localhost:1/v2", true),
            ("http://[::1]:8080/v2", true), ("HTTP://LOCALHOST/v2", true), ("http://api.telnyx.com/v2", false),
            ("http://10.0.0.1/v2", false), ("http://127.0.0.1.evil.com/v2", false), ("http://[::2]/v2", false),
            ("http://localhost.evil.com/v2", false), ("https://api.telnyx.com/v2", true),
            // A name under .localhost may be answered by a DNS server: not loopback here.
            ("http://api.localhost/v2", false), ("http://a.b.localhost:8080/v2", false),
        ])
    func httpOnlyForLoopback(url: String, allowed: Bool) {
        do {
            _ = try ClientConfiguration(baseURL: url)
            #expect(allowed, "\(url) should be refused")
        } catch {
            #expect(!allowed, "\(url) should be accepted: \(error)")
            if url.lowercased().hasPrefix("http://") {
                #expect(error.message.contains("clear text"))
            }
        }
    }

    @Test(
        "malformed base URLs are refused with a clear error",
        arguments: [
            "api.telnyx.com/v2", "ftp://api.telnyx.com/v2", "https://", "https:///v2", "https://user:pw@api.telnyx.com/v2",
            "https://api.telnyx.com/v2?x=1", "https://api.telnyx.com:99999/v2", "https://api.telnyx.com:abc/v2",
            "https://api telnyx.com/v2", "https://api.telnyx.com/../v2", "://x", "",
        ])
    func malformedBaseURL(url: String) {
        #expect(throws: ConfigurationError.self) { try ClientConfiguration(baseURL: url) }
        do {
            _ = try ClientConfiguration(baseURL: url)
        } catch {
            #expect(error.message.hasPrefix("invalid base URL"))
        }
    }

    @Test("a base URL with a key in it is refused; no message quotes the key, its percent-encoding or the URL's user")
    func baseURLHoldingKey() throws {
        let key = "KEYsecret+Abc/Def=Ghi"
        let upper = LinkText.percentEncoded(key)
        let lower = LinkText.percentEncoded(key, uppercase: false)
        #expect(upper == "KEYsecret%2BAbc%2FDef%3DGhi" && lower == "KEYsecret%2bAbc%2fDef%3dGhi")
        for url in [
            "https://\(key)@api.telnyx.com/v2", "https://user:\(upper)@api.telnyx.com/v2", "https://api.telnyx.com/v2?key=\(lower)",
            "https://api.telnyx.com/v2#\(key)", "KEYsecret@api.telnyx.com/v2", "ftp://user:KEYsecret@api.telnyx.com/v2",
        ] {
            do {
                _ = try ClientConfiguration(baseURL: url)
                Issue.record("\(url) was accepted")
            } catch {
                #expect(error.message.hasPrefix("invalid base URL"), "\(error.message)")
                #expect(!error.message.contains("KEYsecret") && !error.message.contains("Ghi") && !error.message.contains("user:"), "\(error.message)")
            }
        }
        // In the path, the key is found once the run knows it, in any encoding.
        for url in ["https://api.telnyx.com/\(lower)/v2", "https://api.telnyx.com/v2/\(key)", "https://api.telnyx.com/v2/%4BEYsecret%2BAbc%2FDef%3DGhi"] {
            _ = try ClientConfiguration(baseURL: url)
            do {
                try ClientConfiguration.refuseKeys(["other", key], inBaseURL: url, origin: "--base-url")
                Issue.record("\(url) was accepted")
            } catch {
                #expect(error.message.contains("the base URL (--base-url) holds an API key"))
                #expect(!error.message.contains("KEYsecret") && !error.message.contains("Ghi"))
            }
        }
        try ClientConfiguration.refuseKeys([key, "v2", "telnyx"], inBaseURL: "https://api.telnyx.com/v2", origin: "the default")
        // An answer that echoes the key percent-encoded is redacted too.
        let history = AttemptHistory(key: key, policy: .default)
        #expect(history.redact("GET /v2?key=\(upper) and \(lower) and \(key)") == "GET /v2?key=*** and *** and ***")
        #expect(LinkText.withoutCredentials("https://u:p@storage.example/media/a.mp3?X-Amz-Signature=s#f") == "https://storage.example/media/a.mp3")
    }

    @Test("which statuses are retried")
    func retryable() {
        for status in [408, 409, 429, 500, 502, 503, 504] { #expect(RetryPolicy.isRetryable(status: status)) }
        for status in [200, 301, 400, 401, 403, 404, 410, 422, 501, 505] { #expect(!RetryPolicy.isRetryable(status: status)) }
    }

    @Test("backoff: 0.5 s doubling to 8 s, minus up to 25 %; hints capped at 60 s")
    func backoff() {
        let p = RetryPolicy.default
        #expect(p.maxAttempts == 5)
        #expect(p.backoff(retry: 1, random: 0) == .milliseconds(500))
        #expect(p.backoff(retry: 2, random: 0) == .seconds(1))
        #expect(p.backoff(retry: 4, random: 0) == .seconds(4))
        #expect(p.backoff(retry: 5, random: 0) == .seconds(8))
        #expect(p.backoff(retry: 50, random: 0) == .seconds(8))
        #expect(p.backoff(retry: 1, random: 1) == .milliseconds(375))
        #expect(p.delay(retry: 1, hint: .seconds(3)) == .seconds(3))
        #expect(p.delay(retry: 1, hint: .seconds(600)) == .seconds(60))
        #expect(p.delay(retry: 3, hint: nil, random: 0) == .seconds(2))
    }

    @Test("server hints: retry-after-ms, then Retry-After seconds or date; garbage ignored")
    func hints() {
        let now = 1_700_000_000.0
        func parse(ms: String? = nil, ra: String? = nil) -> Duration? {
            ServerHints.parse(retryAfterMs: ms, retryAfter: ra, limit: nil, remaining: nil, reset: nil, now: now).retryAfter
        }
        #expect(parse(ms: "250", ra: "9") == .milliseconds(250))
        #expect(parse(ms: "abc", ra: "2") == .seconds(2))
        #expect(parse(ra: " 1.5 ") == .milliseconds(1500))
        #expect(parse(ra: "-3") == nil)
        #expect(parse(ra: "inf") == nil)
        #expect(parse(ra: "1e9") == nil)
        // 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT.
        #expect(parse(ra: "Tue, 14 Nov 2023 22:13:30 GMT") == .seconds(10))
        #expect(parse(ra: "Tuesday, 14-Nov-23 22:13:25 GMT") == .seconds(5))
        #expect(parse(ra: "Tue Nov 14 22:13:27 2023") == .seconds(7))
        #expect(parse(ra: "Tue, 14 Nov 2023 22:00:00 GMT") == .zero)
        #expect(parse(ra: "soon") == nil)
        let rate = ServerHints.parse(retryAfterMs: nil, retryAfter: nil, limit: "100", remaining: "7", reset: "3", now: now)
        #expect(rate == ServerHints(limit: 100, remaining: 7, reset: .seconds(3)))
    }

    @Test("a refused id says why, naming every problem")
    func recordingIDReasons() throws {
        let table: [(String, String?)] = [
            ("3fa85f64-5717-4562-b3fc-2c963f66afa6", nil),
            ("A-z_0.9~:x", nil),
            ("...", nil),
            ("", "it is empty"),
            (String(repeating: "a", count: 129), "it is longer than 128 characters"),
            (String(repeating: "a", count: 128), nil),
            ("a/b c", "it contains a space and a path separator"),
            ("a b/c", "it contains a space and a path separator"),
            ("not an id/with slash", "it contains a space and a path separator"),
            (String(repeating: "a ", count: 70), "it is longer than 128 characters and contains a space"),
            ("é/\u{1}", "it contains a path separator, a control character and a character a recording id never has (only letters, digits and - _ . ~ : are allowed)"),
            ("a\u{7F}", "it contains a control character"),
            ("a\tb", "it contains a control character"),
            ("a\\b", "it contains a path separator"),
            ("récording", "it contains a character a recording id never has (only letters, digits and - _ . ~ : are allowed)"),
            (".", "it is a relative path"),
            ("..", "it is a relative path"),
        ]
        for (raw, reason) in table {
            do {
                let id = try RecordingID(raw)
                #expect(reason == nil, "\(raw) was accepted")
                #expect(id.rawValue == raw)
            } catch {
                #expect(error.reason == reason, "\(raw)")
            }
        }
        #expect(try RecordingID("a:b:c").pathSegment == "a%3Ab%3Ac")
        #expect(try RecordingID("3fa85f64-5717-4562-b3fc-2c963f66afa6").pathSegment == "3fa85f64-5717-4562-b3fc-2c963f66afa6")
    }

    /// Every hostile id is refused by `RecordingID`, or reaches the server as exactly
    /// `/v2/recordings/<one segment>`.
    @Test("path injection: refused or one encoded segment")
    func pathInjection() async throws {
        let hostile = [
            "../calls", "a/b", "x?y", "%2F", "..", ".", "a b", "\u{0}", String(repeating: "a", count: 200), "récording",
            "🎙️", ":", "a:b", "..%2Fcalls", "x#y", "a\\b", "...", "~user", "a;b", "a&b=c", "-_.~", "A:B:C", "\n", "a\tb",
            "%", "http://evil", "//evil", "a\u{202E}b",
        ]
        try await withSandboxClient { sandbox, client in
            for raw in hostile {
                let id: RecordingID
                do {
                    id = try RecordingID(raw)
                } catch {
                    #expect("\(error)".hasPrefix("invalid recording id"))
                    continue
                }
                let before = sandbox.totalRequests
                let result = await client.deleteRecording(id, dryRun: false)
                #expect(result.isNotFound, "\(raw)")
                #expect(sandbox.totalRequests == before + 1)
                let path = try #require(sandbox.lastRequest?.path)
                let prefix = "/v2/recordings/"
                #expect(path.hasPrefix(prefix), "\(raw) → \(path)")
                let segment = path.dropFirst(prefix.count)
                #expect(!segment.isEmpty)
                #expect(!segment.contains("/") && !segment.contains("?") && !segment.contains("#"), "\(raw) → \(path)")
                #expect(segment != "." && segment != "..")
                #expect(String(segment) == id.pathSegment, "\(raw) → \(path)")
                // The server decodes the segment back to the id itself.
                #expect(sandbox.requestCount(for: raw) >= 1, "\(raw) → \(path)")
            }
            #expect(sandbox.seenPaths.allSatisfy { $0.hasPrefix("/v2/recordings/") })
        }
    }

    @Test("the sandbox: deterministic UUID-shaped seeds, 401 without a key, 404 JSON elsewhere, add(ids:)")
    func sandboxBasics() async throws {
        let ids = Sandbox.seededIDs(count: 1000)
        #expect(ids == Sandbox.seededIDs(count: 1000))
        #expect(Set(ids).count == 1000)
        #expect(ids[0] == Sandbox.seededIDs(count: 1)[0])
        let uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
        #expect(ids.allSatisfy { $0.wholeMatch(of: uuid) != nil })

        try await withSandbox(seed: 5) { sandbox in
            #expect(sandbox.baseURL == "http://127.0.0.1:\(sandbox.port)/v2")
            #expect(sandbox.recordingCount == 5)
            #expect(sandbox.add(ids: ["extra-1", "extra-2", ids[0]]) == 2)
            #expect(sandbox.recordingCount == 7)

            let http = URLSessionLess(base: "http://127.0.0.1:\(sandbox.port)")
            let noKey = try await http.send("DELETE", "/v2/recordings/\(ids[0])", key: nil)
            #expect(noKey.status == 401)
            #expect(noKey.body.contains("\"10009\""))
            let wrongPath = try await http.send("DELETE", "/v2/calls/x", key: Sandbox.defaultAPIKey)
            #expect(wrongPath.status == 404)
            #expect(wrongPath.body.contains("\"errors\""))
            let wrongMethod = try await http.send("POST", "/v2/recordings/\(ids[0])", key: Sandbox.defaultAPIKey)
            #expect(wrongMethod.status == 404)
            let retrieve = try await http.send("GET", "/v2/recordings/\(ids[0])", key: Sandbox.defaultAPIKey)
            #expect(retrieve.status == 200)
            #expect(retrieve.body.contains("\"id\":\"\(ids[0])\""))
            let ok = try await http.send("DELETE", "/v2/recordings/extra-1", key: Sandbox.defaultAPIKey)
            #expect(ok.status == 200)
            #expect(ok.body.contains("\"id\":\"extra-1\""))
            let again = try await http.send("DELETE", "/v2/recordings/extra-1", key: Sandbox.defaultAPIKey)
            #expect(again.status == 404)
            #expect(again.body.contains("\"10005\""))
            #expect(sandbox.deletedIDs == ["extra-1"])
            #expect(sandbox.requestCount(for: "extra-1") == 2)
            #expect(sandbox.totalRequests == 6)
            sandbox.resetCounters()
            #expect(sandbox.totalRequests == 0)
        }
    }

    @Test("the sandbox holds 100k ids")
    func bigSandbox() async throws {
        try await withSandbox(seed: 0) { sandbox in
            let ids = Sandbox.seededIDs(count: 100_000)
            #expect(sandbox.add(ids: ids) == 100_000)
            #expect(sandbox.recordingCount == 100_000)
            #expect(sandbox.contains(id: ids[99_999]))
        }
    }
}

/// The proxy variables as curl reads them; their credentials never in a message.
@Suite("Proxies from the environment")
struct ProxyEnvironmentTests {
    @Test("a proxy URL: credentials percent-decoded and kept out of its description")
    func parsesCredentials() throws {
        let proxies = try ProxyEnvironment.from(["HTTPS_PROXY": "http://me:p%40ss@proxy.corp:3128/"])
        let proxy = try #require(proxies.https)
        #expect(proxy.host == "proxy.corp")
        #expect(proxy.port == 3128)
        #expect(proxy.hasCredentials)
        #expect(proxy.description == "http://proxy.corp:3128")
        #expect(!"\(proxies)".contains("p@ss") && !"\(proxies)".contains("p%40ss"))
        #expect(proxies.http == nil)
        // A bare HOST:PORT, and curl's default port.
        #expect(try ProxyEnvironment.from(["http_proxy": "10.0.0.1:8080"]).http?.description == "http://10.0.0.1:8080")
        #expect(try ProxyEnvironment.from(["http_proxy": "proxy"]).http?.port == 1080)
    }

    @Test("the lowercase variable wins; an empty one counts as unset")
    func lowercaseWins() throws {
        let both = try ProxyEnvironment.from(["https_proxy": "http://low:1", "HTTPS_PROXY": "http://high:2"])
        #expect(both.https?.host == "low")
        let empty = try ProxyEnvironment.from(["https_proxy": " ", "HTTPS_PROXY": "http://high:2"])
        #expect(empty.https?.host == "high")
    }

    @Test(
        "a proxy that cannot work is refused with the variable's name, never its password",
        arguments: ["socks5://u:hunter2@h:1080", "https://u:hunter2@h:443", "http://u:hunter2@:80", "http://u:hunter2@h:99999", "http://u:hunter2%zz@h:1"])
    func refusesUnusable(_ value: String) {
        #expect {
            try ProxyEnvironment.from(["HTTPS_PROXY": value])
        } throws: { error in
            let message = "\(error)"
            return message.contains("HTTPS_PROXY cannot be used") && !message.contains("hunter2")
        }
    }

    @Test("NO_PROXY: names with their subdomains, .domains, addresses, ports, *")
    func noProxy() throws {
        let proxies = try ProxyEnvironment.from([
            "HTTPS_PROXY": "http://proxy:3128", "HTTP_PROXY": "http://proxy:3128",
            "NO_PROXY": "internal.example, .corp.example ,10.1.2.3,storage.example:8443,[::1]:443",
        ])
        func direct(_ url: String) -> Bool { proxies.proxy(for: url) == nil }
        #expect(direct("https://internal.example/v2"))
        #expect(direct("https://api.internal.example/v2"))
        #expect(!direct("https://notinternal.example/v2"))
        #expect(direct("https://files.corp.example/x"))
        #expect(direct("http://10.1.2.3:8080/v2"))
        #expect(direct("https://storage.example:8443/a"))
        #expect(!direct("https://storage.example/a"))
        #expect(direct("https://[::1]/v2"))
        #expect(!direct("https://api.telnyx.com/v2"))
        #expect(try ProxyEnvironment.from(["HTTPS_PROXY": "http://p:1", "no_proxy": "*"]).proxy(for: "https://api.telnyx.com/v2") == nil)
        // An https URL uses HTTPS_PROXY only.
        #expect(try ProxyEnvironment.from(["HTTP_PROXY": "http://p:1"]).proxy(for: "https://api.telnyx.com/v2") == nil)
        // IPv4 ranges.
        let ranged = try ProxyEnvironment.from(["HTTPS_PROXY": "http://p:1", "NO_PROXY": "10.0.0.0/8,192.168.1.0/24"])
        #expect(ranged.proxy(for: "https://10.200.3.4/v2") == nil)
        #expect(ranged.proxy(for: "https://192.168.1.77/v2") == nil)
        #expect(ranged.proxy(for: "https://192.168.2.77/v2") != nil)
        #expect(ranged.proxy(for: "https://11.0.0.1/v2") != nil)
    }

    @Test("plain http (loopback only) never goes through a proxy on another machine: the key would travel in clear")
    func plainHTTPOnlyThroughLoopback() throws {
        let remote = try ProxyEnvironment.from(["http_proxy": "http://proxy.corp:3128"])
        #expect(remote.proxy(for: "http://127.0.0.1:8080/v2") == nil)
        let local = try ProxyEnvironment.from(["http_proxy": "http://127.0.0.1:3128"])
        #expect(local.proxy(for: "http://127.0.0.1:8080/v2")?.port == 3128)
        // https goes through a remote proxy: TLS runs end to end inside the tunnel.
        #expect(try ProxyEnvironment.from(["https_proxy": "http://proxy.corp:3128"]).proxy(for: "https://api.telnyx.com/v2") != nil)
    }

    @Test("a password holding :// is not taken for a scheme, and never quoted")
    func passwordWithSchemeSeparator() {
        #expect {
            try ProxyEnvironment.from(["HTTPS_PROXY": "bob:pa://ss@h:99999"])
        } throws: { error in
            let message = "\(error)"
            return message.contains("its port must be") && !message.contains("pa:") && !message.contains("bob")
        }
    }
}
