import Synchronization

/// What the client is doing that a person watching a run should know about: how many
/// requests were retried, and whether (and why) every request is paused. The progress line
/// reads it; a wait longer than `longWait` is also announced to `observe`'s handler as it
/// starts, with its reason and length.
public final class ClientActivity: Sendable {
    /// Waits at least this long are announced (`ClientNotice`).
    public static let longWait: Duration = .seconds(2)

    struct State {
        var retries = 0
        var pausedUntil: ContinuousClock.Instant?
        var pauseReason: String?
        var handler: (@Sendable (ClientNotice) -> Void)?
    }
    private let state = Mutex(State())
    /// Requests sent (every attempt), since the client started.
    private let sent = Atomic<Int>(0)

    /// Requests sent so far, every attempt counted: a purge reports its requests per
    /// recording deleted from two readings of it.
    public var requestsSent: Int { sent.load(ordering: .relaxed) }

    func sending() {
        sent.add(1, ordering: .relaxed)
    }

    public init() {}

    /// Calls `handler` (on whatever thread the wait starts) for every wait of at least
    /// `longWait`. One handler; a new one replaces the old.
    public func observe(_ handler: (@Sendable (ClientNotice) -> Void)?) {
        state.withLock { $0.handler = handler }
    }

    /// A request waits `delay` before it is sent again, for `reason`.
    func retrying(after delay: Duration, reason: String) {
        let handler = state.withLock { s -> (@Sendable (ClientNotice) -> Void)? in
            s.retries += 1
            return delay >= Self.longWait ? s.handler : nil
        }
        handler?(ClientNotice(wait: delay, reason: reason, scope: .oneRequest))
    }

    /// Every request of the client waits until `until`, for `reason`.
    func paused(until: ContinuousClock.Instant, reason: String) {
        let now = ContinuousClock.now
        let handler = state.withLock { s -> (@Sendable (ClientNotice) -> Void)? in
            let longer = s.pausedUntil.map { until > $0 } ?? true
            guard longer else { return nil }
            s.pausedUntil = until
            s.pauseReason = reason
            return until - now >= Self.longWait ? s.handler : nil
        }
        handler?(ClientNotice(wait: until - now, reason: reason, scope: .everyRequest))
    }

    public struct Snapshot: Sendable, Hashable {
        /// Requests sent again after a failure or a 429, since the client started.
        public var retries: Int
        /// Time left in a pause of every request, if one is on.
        public var pausedFor: Duration?
        public var pauseReason: String?
    }

    public var snapshot: Snapshot {
        let now = ContinuousClock.now
        return state.withLock { s in
            let left = s.pausedUntil.map { $0 - now }.flatMap { $0 > .zero ? $0 : nil }
            return Snapshot(retries: s.retries, pausedFor: left, pauseReason: left == nil ? nil : s.pauseReason)
        }
    }
}

/// A wait worth telling a person about: `waiting 60 s: rate limited (HTTP 429, Retry-After)`.
public struct ClientNotice: Sendable, Hashable {
    public enum Scope: Sendable, Hashable {
        /// One request backs off before its next attempt.
        case oneRequest
        /// The whole client pauses (rate limit): no request is sent until it ends.
        case everyRequest
    }
    public var wait: Duration
    public var reason: String
    public var scope: Scope
}
