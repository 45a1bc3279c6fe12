import Synchronization

/// The one gate every request of a `RecordingsClient` passes before it is sent, shared by all
/// the workers of a bulk run.
///
/// - **Fast path**: while no limit is known (no `x-ratelimit-*` header seen, no 429), `acquire`
///   is one uncontended lock and a counter: no clock read, no allocation, no suspension.
/// - **Pacing**: when responses carry `x-ratelimit-remaining`, the budget for the rest of the
///   window is that number minus the requests still in flight (which the server may not have
///   counted yet), so the client stops *before* the server answers 429. When the budget is
///   spent, new requests wait for `x-ratelimit-reset`; the next window opens with
///   `x-ratelimit-limit` minus what is in flight.
/// - **Pause**: a 429 pauses the whole client, not just the request that drew it, until
///   `retry-after-ms`/`Retry-After`, else `x-ratelimit-reset`, else an exponential backoff that
///   grows with consecutive 429s (the policy's curve). Requests already in flight continue.
///   When a pause ends and no limit is known, one request probes first; the rest follow once
///   an answer other than 429 arrives.
///
/// No server can make it wait forever: every hint is capped at the policy's `maxServerDelay`
/// (a 35-day `x-ratelimit-reset` waits 60 s), a spent budget with no known window end assumes
/// `defaultWindow`, and a probe that fails without a status (a reset connection, a 5xx)
/// pauses again with the policy's backoff before the next probe. A wait of two seconds or
/// more is announced through `ClientActivity` as it starts.
///
/// Waiting requests sleep until the time they may go, and a cancelled task stops waiting at
/// once.
public final class RateLimiter: Sendable {
    struct State {
        var inFlight = 0
        /// No new request before this (429).
        var pausedUntil: ContinuousClock.Instant?
        /// Requests that may still start in this window; nil = unknown (fast path).
        var budget: Int?
        /// End of the current window, from `x-ratelimit-reset`.
        var windowEnd: ContinuousClock.Instant?
        /// `x-ratelimit-limit`, once seen.
        var limit: Int?
        var consecutive429 = 0
        /// A pause ended with no limit known: one request is out to see whether the server
        /// answers again.
        var probing = false
        var failedProbes = 0
        /// Why requests wait now (a 429, a spent budget, a failed probe), for the announcement.
        var waitReason = "rate limited"
        /// Times the client was paused by a 429.
        var pauses = 0
        /// Times a request had to wait before being sent.
        var waits = 0
    }

    private let state = Mutex(State())
    private let policy: RetryPolicy
    private let activity: ClientActivity?
    private let clock = ContinuousClock()
    /// The shortest rate-limit window: a reset of "0" must not open a new window at once.
    let probeInterval: Duration = .milliseconds(50)
    /// Assumed window when the budget runs out and `x-ratelimit-reset` is absent.
    let defaultWindow: Duration = .seconds(1)

    public init(policy: RetryPolicy = .default, activity: ClientActivity? = nil) {
        self.policy = policy
        self.activity = activity
    }

    /// Waits until a new request may be sent, then counts it as in flight. Every successful
    /// `acquire` must be balanced by one `release`.
    /// - Throws: `CancellationError` if the task is cancelled while waiting (nothing was sent).
    public func acquire() async throws {
        var waited = false
        while true {
            let (wakeAt, reason): (ContinuousClock.Instant?, String) = state.withLock { s in
                if s.pausedUntil == nil && s.budget == nil {
                    s.inFlight += 1
                    return (nil, "")
                }
                let now = clock.now
                if let until = s.pausedUntil {
                    if now < until { return (until, s.waitReason) }
                    // The pause is over: open a window with the known limit, or send one probe.
                    s.pausedUntil = nil
                    s.windowEnd = nil
                    s.budget = s.limit.map { max($0 - s.inFlight, 1) } ?? 1
                    s.probing = s.limit == nil
                }
                if let end = s.windowEnd, now >= end {
                    s.windowEnd = nil
                    s.budget = s.limit.map { max($0 - s.inFlight, 1) } ?? (s.probing ? 1 : nil)
                }
                if let budget = s.budget {
                    if budget <= 0 {
                        // Spent, and no answer has said when the window ends: assume one
                        // ends `defaultWindow` from now, so that no failure can park every
                        // request for good.
                        if s.windowEnd == nil {
                            s.windowEnd = now.advanced(by: defaultWindow)
                            s.waitReason = "the rate-limit budget is spent; waiting for the window to reset"
                        }
                        return (s.windowEnd!, s.waitReason)
                    }
                    s.budget = budget - 1
                }
                s.inFlight += 1
                return (nil, "")
            }
            guard let wakeAt else {
                if waited { state.withLock { $0.waits += 1 } }
                return
            }
            waited = true
            // Announced once per wait however many requests wait (`ClientActivity` keeps the
            // latest end it was told), and only when it is long enough to notice.
            activity?.paused(until: wakeAt, reason: reason)
            try await Task.sleep(until: wakeAt, clock: clock)
        }
    }

    /// Marks a request as finished and learns from its response.
    /// - Parameters:
    ///   - status: the HTTP status, nil when there was no response (transport error, timeout).
    ///   - hints: the response's headers.
    /// - Returns: for a 429, how long the whole client now pauses.
    @discardableResult
    public func release(status: Int?, hints: ServerHints = .none) -> Duration? {
        state.withLock { s -> Duration? in
            s.inFlight -= 1
            let now = clock.now
            if s.probing, status == nil || (500..<600).contains(status!) {
                // The probe after a pause failed without a usable answer: pause again, longer
                // each time, then probe again.
                s.probing = false
                s.failedProbes += 1
                let delay = policy.backoff(retry: s.failedProbes, random: Double.random(in: 0..<1))
                s.pausedUntil = now.advanced(by: delay)
                s.budget = 0
                s.windowEnd = nil
                let why = status.map { "HTTP \($0)" } ?? "no answer"
                s.waitReason = "the request that tested whether the rate limit is over got \(why); trying again"
                return delay
            }
            guard let status else { return nil }
            if status == 429 {
                s.probing = false
                if let hint = hints.limit { s.limit = hint }
                let hint = hints.retryAfter ?? hints.reset
                let source = hints.retryAfter != nil ? "the server's Retry-After" : hints.reset != nil ? "x-ratelimit-reset" : "backoff"
                if let existing = s.pausedUntil, existing > now {
                    // Already paused by a 429 of this round (many in flight draw one each):
                    // the same round, unless the server asks for longer.
                    if let hint {
                        let until = now.advanced(by: min(hint, policy.maxServerDelay))
                        if until > existing {
                            s.pausedUntil = until
                            s.waitReason = "rate limited (HTTP 429; \(source))"
                        }
                    }
                    return s.pausedUntil.map { $0 - now }
                }
                s.consecutive429 += 1
                s.pauses += 1
                let delay = policy.delay(retry: s.consecutive429, hint: hint)
                s.pausedUntil = now.advanced(by: delay)
                s.budget = 0
                s.windowEnd = nil
                s.waitReason = "rate limited (HTTP 429; \(source))"
                return delay
            }
            s.consecutive429 = 0
            if s.probing {
                s.probing = false
                s.failedProbes = 0
            }
            if let remaining = hints.remaining {
                if let limit = hints.limit { s.limit = limit }
                // A pause set by a 429 stays: this answer may predate it.
                if s.pausedUntil.map({ $0 <= now }) ?? true {
                    let fresh = remaining - s.inFlight
                    if let end = s.windowEnd, now < end, let budget = s.budget {
                        // Same window: answers arrive out of order, so a larger `remaining`
                        // is older news; only ever lower the budget.
                        s.budget = min(budget, fresh)
                    } else {
                        s.budget = fresh
                        // A reset of "0" must not open a new window at once, or nothing is
                        // paced; one of 35 days must not park the run: capped like any hint.
                        let window = min(max(hints.reset ?? defaultWindow, probeInterval), policy.maxServerDelay)
                        s.windowEnd = now.advanced(by: window)
                        s.waitReason = "the rate-limit budget is spent (x-ratelimit-remaining: 0); waiting for the window to reset (x-ratelimit-reset)"
                    }
                }
            } else if s.pausedUntil.map({ $0 <= now }) ?? true, s.limit == nil, s.budget != nil {
                // A probe after a 429 came back fine and the server sends no budget: open up.
                s.budget = nil
                s.windowEnd = nil
            }
            return nil
        }
    }

    /// A snapshot for tests and diagnostics.
    public struct Snapshot: Sendable, Hashable {
        public var inFlight: Int
        public var isPaused: Bool
        public var budget: Int?
        public var limit: Int?
        /// Times a 429 paused the client.
        public var pauses: Int
        /// Times a request waited before being sent.
        public var waits: Int
    }

    public var snapshot: Snapshot {
        state.withLock { s in
            Snapshot(
                inFlight: s.inFlight, isPaused: s.pausedUntil.map { clock.now < $0 } ?? false, budget: s.budget,
                limit: s.limit, pauses: s.pauses, waits: s.waits)
        }
    }
}
