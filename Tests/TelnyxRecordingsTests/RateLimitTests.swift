import Foundation
import Testing
import TnxSandbox
import TnxSystem

@testable import TelnyxRecordings

@Suite("429, Retry-After and the shared rate limiter")
struct RateLimitTests {
    static func tooMany(_ headers: [String: String] = [:]) -> SandboxResponse {
        .apiError(status: 429, code: "10011", title: "Too many requests", headers: headers)
    }

    @Test("429 with Retry-After: 1 waits about a second, then succeeds")
    func retryAfterSeconds() async throws {
        try await withSandboxClient { sandbox, client in
            let id = Sandbox.seededIDs(count: 1)[0]
            sandbox.script([Self.tooMany(["retry-after": "1"])], for: id)
            let (result, seconds) = await measure { await client.deleteRecording(try! rid(id), dryRun: false) }
            #expect(result.deleted?.attempts == 2)
            #expect(seconds >= 0.95)
            #expect(seconds < 4)
            #expect(client.rateLimiter.snapshot.pauses == 1)
        }
    }

    @Test("retry-after-ms wins over Retry-After")
    func retryAfterMilliseconds() async throws {
        try await withSandboxClient { sandbox, client in
            let id = Sandbox.seededIDs(count: 1)[0]
            sandbox.script([Self.tooMany(["retry-after-ms": "300", "retry-after": "3"])], for: id)
            let (result, seconds) = await measure { await client.deleteRecording(try! rid(id), dryRun: false) }
            #expect(result.deleted?.attempts == 2)
            #expect(seconds >= 0.28)
            #expect(seconds < 2.5)
        }
    }

    @Test("Retry-After as an HTTP date is honoured")
    func retryAfterDate() async throws {
        // Headers off, so the client cannot pace itself and draws the 429.
        let limit = SandboxFaults.RateLimit(requests: 1, window: .seconds(2), hint: .retryAfterDate, sendsHeaders: false)
        try await withSandboxClient(faults: SandboxFaults(rateLimit: limit)) { sandbox, client in
            let ids = try Sandbox.seededIDs(count: 2).map(rid)
            #expect(await client.deleteRecording(ids[0], dryRun: false).deleted != nil)
            let (result, seconds) = await measure { await client.deleteRecording(ids[1], dryRun: false) }
            #expect(result.deleted?.attempts == 2)
            // The date has one-second resolution: the wait is the rest of the window, rounded up.
            #expect(seconds >= 0.5)
            #expect(seconds < 5)
            #expect(sandbox.statistics.rateLimited == 1)
        }
    }

    @Test("a spent x-ratelimit budget makes the client wait instead of drawing a 429")
    func budgetAvoids429() async throws {
        let limit = SandboxFaults.RateLimit(requests: 1, window: .seconds(1), hint: .none)
        try await withSandboxClient(faults: SandboxFaults(rateLimit: limit)) { sandbox, client in
            let ids = try Sandbox.seededIDs(count: 2).map(rid)
            #expect(await client.deleteRecording(ids[0], dryRun: false).deleted != nil)
            let (result, seconds) = await measure { await client.deleteRecording(ids[1], dryRun: false) }
            #expect(result.deleted?.attempts == 1)
            #expect(seconds >= 0.5)
            #expect(seconds < 4)
            #expect(sandbox.statistics.rateLimited == 0)
        }
    }

    @Test("429 without a hint backs off exponentially, then gives up as rate_limited")
    func noHintBacksOff() async throws {
        let policy = RetryPolicy(
            maxAttempts: 5, maxRateLimitedAttempts: 3, baseDelay: .milliseconds(100), maxDelay: .seconds(1), jitter: 0.25)
        try await withSandboxClient(policy: policy) { sandbox, client in
            let id = Sandbox.seededIDs(count: 1)[0]
            sandbox.script([Self.tooMany(), Self.tooMany()], for: id)
            let (result, seconds) = await measure { await client.deleteRecording(try! rid(id), dryRun: false) }
            #expect(result.deleted?.attempts == 3)
            // ≥ 75 % of 100 ms + 75 % of 200 ms.
            #expect(seconds >= 0.22)
            #expect(seconds < 3)

            sandbox.script(Array(repeating: Self.tooMany(), count: 5), for: "always429")
            let error = try #require(await client.deleteRecording(try rid("always429"), dryRun: false).error)
            #expect(error.kind == .rateLimited)
            #expect(error.status == 429)
            #expect(error.attempts == 3)
            #expect(error.apiErrors.first?.code == "10011")
            #expect(error.description.hasPrefix("HTTP 429 Too Many Requests (code 10011: Too many requests)"))
            #expect(error.description.contains("concurrency"))
            #expect(sandbox.requestCount(for: "always429") == 3)
        }
    }

    @Test("one 429 pauses every caller of the client, not just the one that drew it")
    func pauseIsShared() async throws {
        try await withSandboxClient(seed: 11) { sandbox, client in
            let ids = try Sandbox.seededIDs(count: 11).map(rid)
            sandbox.script([Self.tooMany(["retry-after-ms": "600"])], for: ids[0].rawValue)
            let clock = ContinuousClock()
            let first = Task { await client.deleteRecording(ids[0], dryRun: false) }
            #expect(await eventually { client.rateLimiter.snapshot.isPaused })
            let pausedAt = clock.now
            let others = Task {
                await withTaskGroup(of: (DeleteResult, ContinuousClock.Instant).self) { group in
                    for id in ids.dropFirst() {
                        group.addTask { (await client.deleteRecording(id, dryRun: false), clock.now) }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
            }
            try await Task.sleep(for: .milliseconds(250))
            // Paused: nothing but the first request reached the server.
            #expect(sandbox.totalRequests == 1)
            let results = await others.value
            #expect(await first.value.deleted?.attempts == 2)
            #expect(results.count == 10)
            for (result, finished) in results {
                #expect(result.deleted?.attempts == 1)
                #expect((finished - pausedAt).inSeconds >= 0.5)
            }
            #expect(sandbox.totalRequests == 12)
            #expect(client.rateLimiter.snapshot.pauses == 1)
        }
    }

    @Test("x-ratelimit-* headers pace a bulk run before the server says 429")
    func pacingFromHeaders() async throws {
        let faults = SandboxFaults(rateLimit: .init(requests: 15, window: .milliseconds(400), hint: .none))
        try await withSandboxClient(seed: 60, faults: faults, maximumConnections: 16) { sandbox, client in
            let ids = try Sandbox.seededIDs(count: 60).map(rid)
            let (results, seconds) = await measure {
                await withTaskGroup(of: DeleteResult.self) { group in
                    var results: [DeleteResult] = []
                    var next = 0
                    func add() {
                        let id = ids[next]
                        next += 1
                        group.addTask { await client.deleteRecording(id, dryRun: false) }
                    }
                    for _ in 0..<16 { add() }
                    while let result = await group.next() {
                        results.append(result)
                        if next < ids.count { add() }
                    }
                    return results
                }
            }
            #expect(results.allSatisfy { $0.deleted != nil })
            #expect(sandbox.recordingCount == 0)
            let stats = sandbox.statistics
            // 16 workers against 15 per window: without pacing most windows would draw
            // 429s; with it only the very first burst (before any header was seen) can.
            #expect(stats.rateLimited <= 3, "429s drawn: \(stats.rateLimited)")
            #expect(seconds >= 0.7)  // 60 requests need at least 4 windows of 0.4 s (3 waits)
            #expect(seconds < 10)
        }
    }

    @Test("the limiter's fast path: no limit known, no waiting")
    func fastPath() async throws {
        let limiter = RateLimiter()
        for _ in 0..<1000 { try await limiter.acquire() }
        #expect(limiter.snapshot.inFlight == 1000)
        for _ in 0..<1000 { limiter.release(status: 200) }
        let snapshot = limiter.snapshot
        #expect(snapshot.inFlight == 0)
        #expect(snapshot.budget == nil)
        #expect(snapshot.waits == 0)
    }

    @Test("a spent budget makes new requests wait for x-ratelimit-reset")
    func budgetWaitsForReset() async throws {
        let limiter = RateLimiter()
        try await limiter.acquire()
        limiter.release(status: 200, hints: ServerHints(limit: 10, remaining: 0, reset: .milliseconds(200)))
        let (_, seconds) = try await measure { try await limiter.acquire() }
        #expect(seconds >= 0.18)
        #expect(seconds < 2)
        limiter.release(status: 200, hints: ServerHints(limit: 10, remaining: 9, reset: .seconds(1)))
        #expect(limiter.snapshot.budget == 9)
    }

    @Test("a cancelled waiter stops waiting at once")
    func cancelledWaiter() async throws {
        let limiter = RateLimiter()
        try await limiter.acquire()
        limiter.release(status: 429, hints: ServerHints(retryAfter: .seconds(30)))
        let task = Task { try await limiter.acquire() }
        try await Task.sleep(for: .milliseconds(50))
        let (result, seconds) = await measure {
            task.cancel()
            return await task.result
        }
        #expect(seconds < 5)  // the pause was 30 s
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(limiter.snapshot.inFlight == 0)
    }

    @Test("429s of one round share one pause instead of stacking backoffs")
    func oneRoundOnePause() async throws {
        let limiter = RateLimiter(policy: RetryPolicy(baseDelay: .milliseconds(100), maxDelay: .seconds(10), jitter: 0))
        for _ in 0..<20 { try await limiter.acquire() }
        for _ in 0..<20 { limiter.release(status: 429) }
        let snapshot = limiter.snapshot
        #expect(snapshot.pauses == 1)
        let (_, seconds) = try await measure { try await limiter.acquire() }
        #expect(seconds >= 0.09)
        #expect(seconds < 5)  // 20 stacked backoffs would be 10 s (the cap)
    }
}
