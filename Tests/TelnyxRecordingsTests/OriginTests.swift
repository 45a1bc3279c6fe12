import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TnxSandbox

@testable import TelnyxRecordings

/// The hints of the client's messages name where the key and the base URL really came from
/// (`KeyOrigin`, `URLOrigin`): a 401 says what to check about that key, a server that cannot be
/// reached or is not the API says which setting gave its URL. Never the key.
@Suite("Hints name the real source of the key and the base URL")
struct OriginTests {
    static let wrongKey = "KEYwrong_Secret_0123456789"

    /// A client of `baseURL` with a key from `keyOrigin` and a URL from `urlOrigin`.
    static func withClient<T>(
        baseURL: String, apiKey: String? = wrongKey, keyOrigin: KeyOrigin?, urlOrigin: URLOrigin,
        _ body: (RecordingsClient) async throws -> T
    ) async throws -> T {
        var configuration = try ClientConfiguration(apiKey: apiKey, baseURL: baseURL, connectTimeout: .seconds(2), retryPolicy: fastPolicy)
        configuration.keyOrigin = keyOrigin
        configuration.baseURLOrigin = urlOrigin
        let client = RecordingsClient(configuration: configuration)
        defer { Task { try? await client.shutdown() } }
        return try await body(client)
    }

    @Test(
        "a 401 says what to check about the key that was sent, and only that",
        arguments: [
            (KeyOrigin.option, "check --api-key"),
            (.environment, "check TELNYX_API_KEY"),
            (.command(profile: "prod", place: "/home/u/.config/tnx/profiles/prod.tnx:2"),
             "check the profile's api-key-command (profile prod, /home/u/.config/tnx/profiles/prod.tnx:2)"),
            (.command(profile: nil, place: "/home/u/.config/tnx/init.tnx:1"), "check init.tnx's api-key-command (/home/u/.config/tnx/init.tnx:1)"),
            (.entered, "check the key entered with 'set api-key'"),
        ])
    func refusedKey(_ origin: KeyOrigin, _ check: String) async throws {
        try await withSandbox { sandbox in
            try await Self.withClient(baseURL: sandbox.baseURL, keyOrigin: origin, urlOrigin: .environment) { client in
                let id = Sandbox.seededIDs(count: 1)[0]
                let deleted = await client.deleteRecording(try rid(id), dryRun: false).error
                let confirmed = await client.confirmEndpoint()
                var counted: RecordingsError?
                if case .failure(let e) = await client.countRecordings(RecordingFilter()) { counted = e }
                for error in [deleted, confirmed, counted] {
                    let error = try #require(error)
                    #expect(error.kind == .unauthorized)
                    #expect(error.description.contains("the API key was refused; " + check), "\(error.description)")
                    if origin != .environment { #expect(!error.description.contains("TELNYX_API_KEY"), "\(error.description)") }
                    if origin != .option { #expect(!error.description.contains("--api-key"), "\(error.description)") }
                    #expect(!error.description.contains(Self.wrongKey))
                }
                #expect(client.keyOrigin == origin)
                #expect(sandbox.deletedIDs.isEmpty)
            }
        }
    }

    @Test("a key typed in the shell is said as entered, whatever the key was before")
    func enteredKey() async throws {
        try await withSandbox { sandbox in
            try await Self.withClient(baseURL: sandbox.baseURL, keyOrigin: .environment, urlOrigin: .standard) { client in
                try client.setAPIKey(Self.wrongKey + "2")
                #expect(client.keyOrigin == .entered)
                let error = try #require(await client.deleteRecording(try rid(Sandbox.seededIDs(count: 1)[0]), dryRun: false).error)
                #expect(error.description.contains("check the key entered with 'set api-key'"), "\(error.description)")
                #expect(!error.description.contains("TELNYX_API_KEY"))
                // A key with a control character: what to check names where it came from.
                #expect(throws: ConfigurationError.self) { try client.setAPIKey("KEY\u{7}", origin: .option) }
                do throws(ConfigurationError) {
                    _ = try ClientConfiguration.validatedKey("KEY secret", origin: .command(profile: "p", place: "/p.tnx:2"))
                    Issue.record("a key with a space was taken")
                } catch {
                    #expect(error.message.contains("check the profile's api-key-command (profile p, /p.tnx:2)"), "\(error.message)")
                    #expect(!error.message.contains("secret"))
                }
            }
        }
    }

    @Test(
        "a base URL that cannot be reached is named by where it came from",
        arguments: [
            (URLOrigin.option, "check --base-url (http://127.0.0.1:1/v2) and the network"),
            (.environment, "check TELNYX_BASE_URL (http://127.0.0.1:1/v2) and the network"),
            (.startup(profile: "down", place: "/p/down.tnx:1"), "check the profile's base-url (profile down, /p/down.tnx:1: http://127.0.0.1:1/v2) and the network"),
            (.startup(profile: nil, place: "/p/init.tnx:3"), "check init.tnx's base-url (/p/init.tnx:3: http://127.0.0.1:1/v2) and the network"),
        ])
    func unreachable(_ origin: URLOrigin, _ check: String) async throws {
        try await Self.withClient(baseURL: "http://127.0.0.1:1/v2", keyOrigin: .option, urlOrigin: origin) { client in
            let error = try #require(await client.confirmEndpoint())
            #expect(error.description.contains("could not reach 127.0.0.1:1 (connection refused): " + check), "\(error.description)")
            if origin != .environment { #expect(!error.description.contains("TELNYX_BASE_URL"), "\(error.description)") }
            #expect(!error.description.contains(Self.wrongKey))
        }
    }

    @Test("the default base URL, unreachable, points at the network; not the API, at where the URL came from")
    func defaultAndWrongEndpoint() async throws {
        let failure = TransportFailure(.transport, maybeSent: false, "could not connect", "connection refused")
        let text = failure.description(
            host: "api.telnyx.com", effect: nil, origins: RequestOrigins(url: .standard, baseURL: ClientConfiguration.defaultBaseURL))
        #expect(text == "could not reach api.telnyx.com (connection refused): check the network (the base URL is the default, https://api.telnyx.com/v2)")
        try await withSandbox { sandbox in
            // The sandbox without /v2: it answers, but not as the recordings API.
            let wrong = String(sandbox.baseURL.dropLast(3))
            try await Self.withClient(baseURL: wrong, apiKey: Sandbox.defaultAPIKey, keyOrigin: .option, urlOrigin: .option) { client in
                let error = try #require(await client.confirmEndpoint())
                #expect(error.kind == .wrongBaseURL)
                #expect(error.description.contains("--base-url (\(wrong)) does not point at the Telnyx recordings API"), "\(error.description)")
                #expect(!error.description.contains("TELNYX_BASE_URL"))
            }
        }
    }

    @Test("a redirect and an answer that is not the API's name the base URL's source")
    func judgedAnswers() {
        var attempts = AttemptHistory(key: Self.wrongKey, policy: fastPolicy)
        attempts.attempts = 1
        let origins = RequestOrigins(key: .option, url: .startup(profile: "prod", place: "/p.tnx:1"), baseURL: "https://x.example/v2")
        var headers = HTTPHeaders()
        headers.add(name: "location", value: "https://elsewhere.example/")
        let redirect = HTTPAnswer(status: 302, headers: headers, body: ByteBuffer(), bodyComplete: true)
        guard case .failed(let moved) = ResponseVerdict.judge(redirect, hints: .none, subject: .init(action: "list recordings"), attempts: &attempts, origins: origins)
        else { Issue.record("a redirect was followed"); return }
        #expect(moved.description.hasSuffix("check the profile's base-url (profile prod, /p.tnx:1: https://x.example/v2)"), "\(moved.description)")
        let html = HTTPAnswer(status: 404, headers: HTTPHeaders(), body: ByteBuffer(string: "<html>no</html>"), bodyComplete: true)
        guard case .failed(let page) = ResponseVerdict.judge(html, hints: .none, subject: .init(action: "list recordings"), attempts: &attempts, origins: origins)
        else { Issue.record("an HTML 404 was believed"); return }
        #expect(page.description.contains("the profile's base-url (profile prod, /p.tnx:1: https://x.example/v2) does not point at the Telnyx API"), "\(page.description)")
        #expect(!page.description.contains("TELNYX_BASE_URL"))
    }

    @Test("no key at all: every way to give one, profiles included")
    func missingKey() async throws {
        try await withSandbox { sandbox in
            try await Self.withClient(baseURL: sandbox.baseURL, apiKey: nil, keyOrigin: nil, urlOrigin: .environment) { client in
                let error = try #require(await client.deleteRecording(try rid(Sandbox.seededIDs(count: 1)[0]), dryRun: false).error)
                for word in ["TELNYX_API_KEY", "--api-key", "api-key-command", "--profile"] {
                    #expect(error.description.contains(word), "\(word): \(error.description)")
                }
                #expect(sandbox.totalRequests == 0)
            }
        }
        #expect(KeyOrigin.missing(shell: true).contains("'set api-key'") && KeyOrigin.missing(shell: true).contains("--profile"))
    }
}
