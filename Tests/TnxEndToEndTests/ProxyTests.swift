import Foundation
import Testing
import TnxSandbox

/// `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`, as curl and the SDKs read them, through a real
/// CONNECT proxy on loopback (`ConnectProxy`). The sandbox is an `http://` base URL, so the
/// tests use `HTTP_PROXY`; `https://` URLs take the same path with `HTTPS_PROXY`.
@Suite("Proxies from the environment", .serialized)
struct ProxyTests {
    static let user = "alice"
    /// Percent-encoded in the variable (`%25` is `%`): it must be decoded before it is sent.
    static let password = "s3cr%t-pw"
    static var basic: String { "Basic " + Data("\(user):\(password)".utf8).base64EncodedString() }

    @Test("every request goes through HTTP_PROXY with its credentials, which are never printed")
    func throughTheProxy() async throws {
        let scratch = try Scratch()
        let proxy = try ConnectProxy(requiredAuthorization: Self.basic)
        defer { proxy.stop() }
        try await SandboxFixture.with(seed: 30, scratch: scratch) { sandbox, env in
            var proxied = env
            proxied["HTTP_PROXY"] = "http://\(Self.user):s3cr%25t-pw@127.0.0.1:\(proxy.port)"
            let ids = Sandbox.seededIDs(count: 4)
            let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
            let result = try await TnxProcess.run(["--verbose", "--yes", "-c", "foreach id in \(file) delete $id"], environment: proxied)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(Set(sandbox.deletedIDs) == Set(ids))
            let port = sandbox.baseURL.split(separator: ":")[2].prefix { $0.isNumber }
            #expect(!proxy.tunnels.isEmpty)
            #expect(proxy.tunnels.allSatisfy { $0.target == "127.0.0.1:\(port)" && $0.authorization == Self.basic }, "\(proxy.tunnels)")
            #expect(result.stderr.contains("· via proxy http://127.0.0.1:\(proxy.port)"), "\(result.stderr)")
            let journal = scratch.read("state/tnx/journal.jsonl") ?? ""
            for text in [result.stdout, result.stderr, journal] {
                #expect(!text.contains("s3cr"))
                #expect(!text.contains(Self.user))
            }
        }
    }

    @Test("NO_PROXY sends a matching host direct; the lowercase variable wins over the uppercase one")
    func noProxy() async throws {
        let scratch = try Scratch()
        let proxy = try ConnectProxy()
        defer { proxy.stop() }
        try await SandboxFixture.with(seed: 30, scratch: scratch) { sandbox, env in
            let id = Sandbox.seededIDs(count: 1)[0]
            var direct = env
            direct["HTTP_PROXY"] = "http://127.0.0.1:\(proxy.port)"
            direct["NO_PROXY"] = "example.com, 127.0.0.1"
            let result = try await TnxProcess.run(["-c", "delete \(id)"], environment: direct)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(proxy.tunnels.isEmpty)
            // no_proxy (lowercase) names another host: it wins, so the proxy is used.
            direct["no_proxy"] = "internal.example"
            let second = try await TnxProcess.run(["-c", "delete \(Sandbox.seededIDs(count: 2)[1])"], environment: direct)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(!proxy.tunnels.isEmpty)
            // --sandbox is on loopback, where no proxy reaches: it never uses one.
            let before = proxy.tunnels.count
            let sandboxed = try await TnxProcess.run(["--sandbox", "-c", "delete \(id)"], environment: ["HTTP_PROXY": "http://127.0.0.1:\(proxy.port)", "HOME": scratch.path, "XDG_STATE_HOME": scratch.path + "/state", "PATH": "/usr/bin:/bin"])
            #expect(sandboxed.status == 0, "\(sandboxed.stderr)")
            #expect(proxy.tunnels.count == before)
        }
    }

    @Test("a proxy that asks for credentials (407): a clear failure, nothing deleted, nothing retried")
    func proxyWantsCredentials() async throws {
        let scratch = try Scratch()
        let proxy = try ConnectProxy(requiredAuthorization: Self.basic)
        defer { proxy.stop() }
        try await SandboxFixture.with(seed: 30, scratch: scratch) { sandbox, env in
            var proxied = env
            proxied["HTTP_PROXY"] = "127.0.0.1:\(proxy.port)"
            let result = try await TnxProcess.run(["-c", "delete \(Sandbox.seededIDs(count: 1)[0])"], environment: proxied)
            #expect(result.status != 0)
            #expect(result.stderr.contains("the proxy asked for credentials (HTTP 407)"), "\(result.stderr)")
            #expect(sandbox.totalRequests == 0)
            #expect(proxy.tunnels.count == 1)
        }
    }

    @Test("a proxy URL that cannot work is refused before anything is sent, without quoting its password")
    func unusableProxy() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 30, scratch: scratch) { sandbox, env in
            for (name, value) in [("HTTP_PROXY", "socks5://bob:hunter2@127.0.0.1:1080"), ("https_proxy", "http://bob:hunter2@:8080")] {
                var proxied = env
                proxied[name] = value
                let result = try await TnxProcess.run(["-c", "delete \(Sandbox.seededIDs(count: 1)[0])"], environment: proxied)
                #expect(result.status == 2)
                #expect(result.stderr.contains("\(name) cannot be used"), "\(result.stderr)")
                #expect(!result.stderr.contains("hunter2"))
            }
            #expect(sandbox.totalRequests == 0)
        }
    }
}
