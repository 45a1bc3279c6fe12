/// The numbers and words of a `Duration` that tnx needs everywhere: system calls take
/// nanoseconds, arithmetic takes seconds, messages take `250 ms` or `2.5 s`.
extension Duration {
    /// Nanoseconds, clamped to `Int64` (over 292 years is `Int64.max`; never a trap).
    public var nanosecondsClamped: Int64 {
        let (s, atto) = components
        let (product, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return s < 0 ? Int64.min : Int64.max }
        return product + atto / 1_000_000_000
    }

    /// Seconds, with their fraction.
    public var inSeconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }

    /// `250 ms`, `2 s`, `2.5 s`: for messages.
    public var shortText: String {
        let seconds = inSeconds
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        let tenths = Int((seconds * 10).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10) s" : "\(tenths / 10).\(tenths % 10) s"
    }
}
