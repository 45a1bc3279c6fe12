import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing
import TnxSandbox

@testable import TelnyxRecordings

/// The client against a server that lies, stalls, floods and resets: no crash, no hang, and
/// an answer judged by its status.
@Suite("RecordingsClient against a hostile server")
struct HostileServerTests {
    /// Waits trusted at most 300 ms, so that a hostile hint shows as a capped wait.
    static let shortTrust = RetryPolicy(
        maxAttempts: 5, maxRateLimitedAttempts: 3, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50),
        jitter: 0, maxServerDelay: .milliseconds(300))

    /// Collects the client's announced waits.
    final class Notices: Sendable {
        let all = Mutex<[ClientNotice]>([])
        func observe(_ client: RecordingsClient) {
            client.activity?.observe { notice in self.all.withLock { $0.append(notice) } }
        }
        var list: [ClientNotice] { all.withLock { $0 } }
    }

    @Test("retry-after-ms of 10^24 and Retry-After of 10^31: no trap, the wait is capped and announced")
    func absurdRetryHints() async throws {
        let faults = SandboxFaults(
            rateLimit: .init(requests: 1, window: .seconds(30), hint: .none, sendsHeaders: false), hostility: [.absurdRetryHints])
        try await withSandboxClient(faults: faults, policy: Self.shortTrust) { sandbox, client in
            let notices = Notices()
            notices.observe(client)
            let ids = try Sandbox.seededIDs(count: 2).map(rid)
            #expect(await client.deleteRecording(ids[0], dryRun: false).deleted != nil)
            let started = ContinuousClock.now
            let result = await client.deleteRecording(ids[1], dryRun: false)
            // Every answer is another 429 for 30 s: the client gives up after its 429 budget,
            // each wait capped at the 300 ms it trusts, instead of trapping or parking.
            #expect(result.error?.kind == .rateLimited)
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(sandbox.statistics.rateLimited >= 2)
            #expect(client.rateLimiter.snapshot.pauses >= 1)
        }
        // The numbers themselves parse to the clamp, not to a trap.
        let hints = ServerHints.parse(
            retryAfterMs: "1" + String(repeating: "0", count: 24), retryAfter: nil, limit: nil, remaining: nil,
            reset: String(repeating: "9", count: 31), now: 0)
        #expect(hints.retryAfter == .seconds(86_400))
        #expect(hints.reset == .seconds(86_400))
        #expect(RetryPolicy.default.delay(retry: 1, hint: hints.retryAfter) == .seconds(60))
    }

    @Test("a rate-limit window said to end in 35 days: the wait is capped at what the policy trusts, and announced")
    func bogusResetWindow() async throws {
        let faults = SandboxFaults(rateLimit: .init(requests: 2, window: .seconds(60), hint: .none), hostility: [.bogusResetWindow])
        var policy = Self.shortTrust
        policy.maxServerDelay = .seconds(3)
        try await withSandboxClient(seed: 5, faults: faults, policy: policy) { sandbox, client in
            let notices = Notices()
            notices.observe(client)
            let ids = try Sandbox.seededIDs(count: 3).map(rid)
            for id in ids.prefix(2) { #expect(await client.deleteRecording(id, dryRun: false).deleted != nil) }
            // The budget is spent and the window "ends in 35 days": the client waits 3 s (its
            // trust), asks again, draws a 429 (the real window is 60 s), waits 3 s again and
            // gives up after its 429 budget (3 here): bounded.
            let started = ContinuousClock.now
            _ = await client.deleteRecording(ids[2], dryRun: false)
            let waited = ContinuousClock.now - started
            #expect(waited >= .seconds(2.5))
            #expect(waited < .seconds(30))
            let notice = try #require(notices.list.first)
            #expect(notice.scope == .everyRequest)
            #expect(notice.wait <= .seconds(3))
            #expect(notice.reason.contains("x-ratelimit-remaining: 0"))
        }
    }

    @Test("a 429 followed by a connection reset on the probe: the client probes again instead of parking")
    func resetAfterRateLimit() async throws {
        let faults = SandboxFaults(
            rateLimit: .init(requests: 1, window: .milliseconds(200), hint: .retryAfterMilliseconds, sendsHeaders: false),
            hostility: [.resetAfterRateLimit])
        try await withSandboxClient(seed: 10, faults: faults, policy: Self.shortTrust) { sandbox, client in
            let ids = try Sandbox.seededIDs(count: 4).map(rid)
            let started = ContinuousClock.now
            let results = await withTaskGroup(of: DeleteResult.self) { group in
                for id in ids { group.addTask { await client.deleteRecording(id, dryRun: false) } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(ContinuousClock.now - started < .seconds(20), "no request is parked")
            #expect(results.count == 4)
            // Each ends with an outcome; most are deleted (a reset attempt is retried).
            #expect(results.filter { $0.deleted != nil }.count >= 3, "\(results)")
        }
    }

    @Test("a 200 with a body over 1 MiB is a delete that happened: one request, a note, no retry")
    func oversizedSuccess() async throws {
        try await withSandboxClient(faults: SandboxFaults(hostility: [.oversizedSuccess])) { sandbox, client in
            let id = Sandbox.seededIDs(count: 1)[0]
            let result = await client.deleteRecording(try rid(id), dryRun: false)
            let deleted = try #require(result.deleted, "\(result)")
            #expect(deleted.httpStatus == 200)
            #expect(deleted.note?.contains("cut off or larger than tnx reads") == true)
            #expect(sandbox.requestCount(for: id) == 1)
            #expect(!sandbox.contains(id: id))
        }
    }

    @Test("a 200 whose body breaks off: deleted, with a note; a 5xx whose body breaks off is retried")
    func cutOffBody() async throws {
        try await withSandboxClient(faults: SandboxFaults(hostility: [.cutOffSuccess])) { sandbox, client in
            let id = Sandbox.seededIDs(count: 1)[0]
            let result = await client.deleteRecording(try rid(id), dryRun: false)
            let deleted = try #require(result.deleted, "\(result)")
            #expect(deleted.note != nil)
            #expect(sandbox.requestCount(for: id) == 1)
        }
    }

    @Test("escape sequences in the API's words never reach a message raw")
    func escapesInErrors() async throws {
        try await withSandboxClient(faults: SandboxFaults(hostility: [.escapesInText])) { sandbox, client in
            let result = await client.deleteRecording(try rid("00000000-0000-4000-8000-000000000000"), dryRun: false)
            let error = try #require(result.error)
            #expect(error.kind == .notFound)
            #expect(!TerminalTextProbe.hasUnsafe(error.description), "\(error.description.debugDescription)")
            #expect(error.description.contains("\\u{001B}"))
        }
    }

    @Test("a key that is not printable ASCII is refused before any request, and never quoted")
    func badKey() async throws {
        for key in ["KEYsecret\u{1B}[2Jrest", "KEY with space", "KEYé", "KEY\u{0}x"] {
            #expect(throws: ConfigurationError.self) { try ClientConfiguration(apiKey: key, baseURL: "https://api.telnyx.com/v2") }
            do {
                _ = try ClientConfiguration(apiKey: key)
            } catch {
                #expect(!error.message.contains("secret") && !error.message.contains("rest") && !error.message.contains("with"))
                #expect(error.message.contains("printable ASCII"))
            }
        }
        try await withSandboxClient { sandbox, client in
            #expect(throws: ConfigurationError.self) { try client.setAPIKey("KEY\u{7}bell") }
            #expect(client.hasAPIKey, "the old key stays")
            #expect(sandbox.totalRequests == 0)
        }
        // A key surrounded by white space (a newline from a file) is trimmed, not refused.
        #expect(try ClientConfiguration(apiKey: " KEYok\n").apiKey == "KEYok")
    }

    @Test("an HTTP library error that quotes header values is not retried, and its text is never shown")
    func headerValidationFailure() {
        let failure = TransportFailure(
            HTTPClientError.invalidHeaderFieldValues(["Bearer KEYsecret\u{1B}"]), requestTimeout: .seconds(30), connectTimeout: .seconds(10))
        #expect(!failure.retryable)
        #expect(!failure.maybeSent)
        let text = failure.description(host: "api.telnyx.com", effect: "deleted")
        #expect(!text.contains("KEYsecret"))
        #expect(text.contains("nothing was deleted"))
    }

    @Test("the endpoint check: the sandbox's /v2 passes; without /v2, an HTML page or a 401 fails up front")
    func endpointCheck() async throws {
        try await withSandbox { sandbox in
            try await withClient(baseURL: sandbox.baseURL) { client in
                #expect(await client.confirmEndpoint() == nil)
                #expect(await client.confirmEndpoint() == nil)
                #expect(sandbox.totalRequests == 1, "checked once per client")
            }
            let root = String(sandbox.baseURL.dropLast(3))
            try await withClient(baseURL: root) { client in
                let error = try #require(await client.confirmEndpoint())
                #expect(error.kind == .wrongBaseURL)
                #expect(error.description.contains("does not point at the Telnyx recordings API"))
                #expect(error.description.contains("nothing was deleted"))
            }
            try await withClient(baseURL: sandbox.baseURL, apiKey: "KEYwrong") { client in
                let error = try #require(await client.confirmEndpoint())
                #expect(error.kind == .unauthorized)
                #expect(!error.description.contains("KEYwrong"))
            }
        }
    }

    @Test("the classifier is total: random statuses, headers and bodies never trap, and every wait is capped")
    func classifierFuzz() {
        var rng = SplitMix(seed: 0xF00D)
        let headerNames = ["retry-after", "retry-after-ms", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "content-type", "location"]
        let values = [
            "1", "0", "-1", "1e24", "1" + String(repeating: "0", count: 40), "NaN", "inf", "1.5", ".", "", " 7 ",
            "Tue, 14 Nov 2023 22:13:30 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "\u{1B}[2J", "99999999999999999999",
        ]
        let bodies = [
            "", "{}", "[]", "{\"data\":{}}", "{\"errors\":[{\"code\":\"10005\",\"title\":\"x\"}]}", "<html>", "{\"errors\":[{\"code\":\"100",
            "{\"errors\":[{\"code\":10011,\"title\":\"\u{1B}]0;x\u{07}\"}]}", String(repeating: "[", count: 200), "null",
        ]
        let policy = RetryPolicy.default
        for _ in 0..<20_000 {
            var headers = HTTPHeaders()
            for _ in 0..<rng.next(below: 4) {
                headers.add(name: headerNames[rng.next(below: headerNames.count)], value: values[rng.next(below: values.count)])
            }
            let statuses = [200, 201, 204, 301, 400, 401, 403, 404, 408, 409, 410, 429, 500, 502, 503, 504, 599, 600, 999, 0]
            let status = statuses[rng.next(below: statuses.count)]
            var body = bodies[rng.next(below: bodies.count)]
            if rng.next(below: 3) == 0, !body.isEmpty { body = String(body.prefix(rng.next(below: body.count))) }
            let answer = HTTPAnswer(status: status, headers: headers, body: ByteBuffer(string: body), bodyComplete: rng.next(below: 4) != 0)
            let hints = RecordingsClient.hints(headers, status: status)
            var attempts = AttemptHistory(key: "KEYfuzz", policy: policy)
            attempts.attempts = 1
            let limiter = RateLimiter(policy: policy)
            let verdict = ResponseVerdict.judge(
                answer, hints: hints, subject: .init(action: "delete recording x", id: "x"), attempts: &attempts)
            switch verdict {
            case .retry(let after):
                #expect(after.map { $0 <= policy.maxServerDelay && $0 >= .zero } ?? true)
            case .failed(let error):
                #expect(!TerminalTextProbe.hasUnsafe(error.description))
            case .success, .notFound:
                #expect((200..<300).contains(status) || status == 404)
            }
            // The limiter learns from any answer without trapping, and never pauses longer
            // than the policy trusts.
            let pause = limiter.release(status: status, hints: hints)
            #expect(pause.map { $0 <= policy.maxServerDelay } ?? true)
        }
    }
}

/// Whether text holds a character a terminal would act on.
enum TerminalTextProbe {
    static func hasUnsafe(_ text: String) -> Bool {
        text.unicodeScalars.contains { s in
            s.value < 0x20 || s.value == 0x7F || (0x80...0x9F).contains(s.value) || (0x202A...0x202E).contains(s.value)
                || (0x2066...0x2069).contains(s.value)
        }
    }
}

/// A small deterministic generator, so a failure can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(below n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
}

@Suite("The key in a server's answer")
struct EchoedKeyTests {
    @Test("an answer that echoes the key (as is, or as JSON escapes it) shows no part of it, even cut short")
    func echoedKeyIsHidden() async throws {
        let key = "KEY/part/secretvalue0123456789"
        try await withSandbox { sandbox in
            try await withClient(baseURL: sandbox.baseURL, apiKey: key, policy: .never) { client in
                let escaped = key.replacing("/", with: "\\/")
                // The key right where an excerpt of the body is cut (80 characters).
                sandbox.script([.fixed(status: 502, headers: ["content-type": "text/plain"], body: String(repeating: "x", count: 70) + key)], for: "e1")
                sandbox.script([.apiError(status: 400, code: "10015", title: "echo \(escaped)", detail: String(repeating: "y", count: 150) + escaped)], for: "e2")
                sandbox.script([.fixed(status: 200, headers: [:], body: "not json " + key)], for: "e3")
                for id in ["e1", "e2", "e3"] {
                    let result = await client.deleteRecording(try rid(id), dryRun: false)
                    let text = "\(result.error?.description ?? "") \(result.error?.apiErrors ?? []) \(result.deleted?.note ?? "")"
                    #expect(!text.contains("KEY/part") && !text.contains("KEY\\/part") && !text.contains("secretvalue"), "\(id): \(text)")
                }
            }
        }
    }
}
