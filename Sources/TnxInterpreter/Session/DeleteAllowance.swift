import Synchronization

/// Real deletes an invocation may still send with `confirm` on: 1 when nobody confirmed,
/// unlimited once the gate (or a purge's own question) was answered yes. The gate's count
/// decides whether to ask; this decides, request by request, that no miscount can delete a
/// second recording. One per session, shared by every engine of it.
final class DeleteAllowance: Sendable {
    private let left = Mutex(1)

    /// What is left (`Int.max`: unlimited).
    var remaining: Int { left.withLock { $0 } }

    /// A new invocation: one unconfirmed delete.
    func reset() { left.withLock { $0 = 1 } }

    /// The gate was answered yes.
    func grantAll() { left.withLock { $0 = .max } }

    /// Puts back what a purge's question saved (its yes was for its own match set only).
    func restore(_ remaining: Int) { left.withLock { $0 = remaining } }

    /// Spends `count` (a batch request carries many); false when fewer are left.
    func spend(_ count: Int) -> Bool {
        left.withLock { n in
            guard n >= count else { return false }
            if n != .max { n -= count }
            return true
        }
    }

    static let unconfirmedMessage =
        "not sent: deleting more than one recording needs confirmation; add --yes (or 'set confirm off') to go ahead"
}
