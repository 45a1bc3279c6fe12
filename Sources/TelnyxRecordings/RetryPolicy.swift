import TnxSystem

/// When and how long the client waits before sending a delete again.
///
/// ## Which failures are retried
/// Retried: transport errors (connect refused, reset, TLS), timeouts, and HTTP 408, 409, 429,
/// 500, 502, 503, 504. Never retried: 401, 403, 404, 422 and every other status (a bad key, a
/// missing recording or a refused id will not get better by asking again).
///
/// ## How long
/// 1. `retry-after-ms` (milliseconds, Telnyx/Stainless extension), then
/// 2. `Retry-After` (delta seconds, or an HTTP date), then
/// 3. on a 429 only, `x-ratelimit-reset` (seconds until the window resets, the one rate-limit
///    hint Telnyx documents), and otherwise
/// 4. exponential backoff: `min(baseDelay · 2^(retry−1), maxDelay)` minus up to `jitter`
///    (a fraction) of it, drawn at random.
///
/// A server hint is trusted up to `maxServerDelay`.
///
/// ## Compared with the official Telnyx SDKs
/// The SDKs retry twice (3 attempts), back off `min(0.5 s · 2^n, 8 s)` minus up to 25 % jitter,
/// and trust a server hint up to 60 s (a longer or unparseable one is ignored in favour of their
/// own backoff). tnx keeps the same curve, jitter and 60 s trust limit, and differs in three ways:
///
/// - **5 attempts, not 3** (`maxAttempts`). A bulk purge of thousands of ids should not leave
///   holes: with 20 % of answers failing, 3 attempts leave about 1 id in 125 undeleted
///   (0.2³ = 0.8 %; measured: 4 of 500 for the SDK), 5 attempts about 1 in 3,000 (0.2⁵).
///   The worst added wait per id is 0.5 + 1 + 2 + 4 = 7.5 s, which a bulk run hides behind its
///   other workers. Retrying a DELETE is safe: a repeat of a delete that did happen answers 404,
///   which the client recognises (see `RecordingsClient`).
/// - **429 has its own budget** (`maxRateLimitedAttempts`, 10). A 429 is the server asking
///   for a pause, not a failure of the request, and the client's shared `RateLimiter` already
///   pauses every worker, so waiting again costs the server nothing; giving up after 3 would
///   turn a rate limit into holes in the purge.
/// - **A hint above `maxServerDelay` is capped, not ignored.** The SDKs fall back to a 0.5–8 s
///   backoff when told to wait 2 minutes, which hammers a server that asked for quiet; tnx waits
///   the 60 s it trusts and asks again.
///
/// A batch delete (`deleteRecordings`) is the exception: it is never sent again after an
/// answer that leaves its fate unknown (a 5xx, a connection lost after sending).
///
/// Only 500, 502, 503 and 504 of the 5xx are retried (the SDKs retry every 5xx): 501 or 505
/// mean the request itself is wrong.
public struct RetryPolicy: Sendable, Hashable {
    /// Requests sent at most for one id, counting the first, for every retryable failure
    /// except 429.
    public var maxAttempts: Int
    /// Requests sent at most for one id while the answers are 429.
    public var maxRateLimitedAttempts: Int
    /// The first backoff delay.
    public var baseDelay: Duration
    /// The longest backoff delay.
    public var maxDelay: Duration
    /// Up to this fraction of a backoff delay is subtracted at random (0 = none, 1 = full).
    public var jitter: Double
    /// A server's `Retry-After`/`retry-after-ms`/`x-ratelimit-reset` is trusted up to this.
    public var maxServerDelay: Duration

    public init(
        maxAttempts: Int = 5,
        maxRateLimitedAttempts: Int = 10,
        baseDelay: Duration = .milliseconds(500),
        maxDelay: Duration = .seconds(8),
        jitter: Double = 0.25,
        maxServerDelay: Duration = .seconds(60)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.maxRateLimitedAttempts = max(1, maxRateLimitedAttempts)
        self.baseDelay = max(.zero, baseDelay)
        self.maxDelay = max(.zero, maxDelay)
        self.jitter = min(max(jitter, 0), 1)
        self.maxServerDelay = max(.zero, maxServerDelay)
    }

    /// tnx's defaults: 5 attempts (10 while rate limited), 0.5 s doubling to 8 s, 25 % jitter,
    /// server hints trusted up to 60 s.
    public static let `default` = RetryPolicy()

    /// One attempt, never retried.
    public static let never = RetryPolicy(maxAttempts: 1, maxRateLimitedAttempts: 1)

    /// Whether an HTTP status is worth asking again.
    public static func isRetryable(status: Int) -> Bool {
        switch status {
        case 408, 409, 429, 500, 502, 503, 504: true
        default: false
        }
    }

    /// The exponential backoff before retry number `retry` (1 = the first retry), with
    /// `random` in 0..<1 choosing the jitter.
    public func backoff(retry: Int, random: Double) -> Duration {
        let exponent = min(max(retry - 1, 0), 30)
        let base = baseDelay.inSeconds * Double(1 << exponent)
        let capped = min(base, maxDelay.inSeconds)
        let jittered = capped * (1 - jitter * min(max(random, 0), 1))
        return .seconds(max(jittered, 0))
    }

    /// The delay before retry number `retry`: the server's hint when it gave a usable one
    /// (capped at `maxServerDelay`), else the backoff.
    public func delay(retry: Int, hint: Duration?, random: Double = Double.random(in: 0..<1)) -> Duration {
        // A hint of zero (or a date in the past) is no reason to ask again at once, many times
        // over: the backoff then applies.
        if let hint, hint > .zero { return min(hint, maxServerDelay) }
        return backoff(retry: retry, random: random)
    }
}
