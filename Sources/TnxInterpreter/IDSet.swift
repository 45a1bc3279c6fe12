/// A set of recording ids that stays small for millions of ids: UUID-shaped ids (what
/// Telnyx uses) are kept as their 128-bit value, anything else as its string.
///
/// Used to delete duplicates once and to skip what the journal says is done (`--resume`).
struct IDSet: Sendable {
    private var uuids = Set<UInt128>()
    private var others = Set<String>()

    init() {}

    /// Sized up front for about `expected` ids: a set that grows doubles its table and holds
    /// both for a moment, which is the peak memory of a million-id run.
    init(expected: Int) {
        uuids.reserveCapacity(min(max(expected, 0), 50_000_000))
    }

    var count: Int { uuids.count + others.count }

    /// Inserts `id`; false when it was already there.
    @discardableResult
    mutating func insert(_ id: String) -> Bool {
        if let value = Self.uuidValue(id) { return uuids.insert(value).inserted }
        return others.insert(id).inserted
    }

    mutating func remove(_ id: String) {
        if let value = Self.uuidValue(id) { uuids.remove(value) } else { others.remove(id) }
    }

    func contains(_ id: String) -> Bool {
        if let value = Self.uuidValue(id) { return uuids.contains(value) }
        return others.contains(id)
    }

    /// The value of an 8-4-4-4-12 hex UUID, case-insensitive; nil for any other shape.
    /// Case folds: Telnyx ids are lower case, and the same UUID in upper case is the same id.
    static func uuidValue(_ id: String) -> UInt128? {
        var id = id
        return id.withUTF8 { bytes -> UInt128? in
            guard bytes.count == 36,
                bytes[8] == UInt8(ascii: "-"), bytes[13] == UInt8(ascii: "-"),
                bytes[18] == UInt8(ascii: "-"), bytes[23] == UInt8(ascii: "-")
            else { return nil }
            // Two 64-bit halves: 128-bit shifts cost more, and this runs for every id read.
            var high: UInt64 = 0
            var low: UInt64 = 0
            var digits = 0
            for byte in bytes where byte != UInt8(ascii: "-") {
                var digit = byte &- UInt8(ascii: "0")
                if digit > 9 {
                    digit = (byte | 0x20) &- UInt8(ascii: "a")  // a-f and A-F alike
                    guard digit < 6 else { return nil }
                    digit += 10
                }
                if digits < 16 { high = high << 4 | UInt64(digit) } else { low = low << 4 | UInt64(digit) }
                digits += 1
            }
            guard digits == 32 else { return nil }
            return UInt128(high) << 64 | UInt128(low)
        }
    }
}

/// The ids a purge has read, kept as 64-bit fingerprints: half the memory of `IDSet`, so a
/// snapshot of a million matches stays well under 64 MB (measured in BENCHMARKS.md).
///
/// Two different ids share a fingerprint with a chance of about n²/2⁶⁵ (3 in 100 million at a
/// million ids). Then the second is taken for a repeat and left out of the snapshot: it is not
/// deleted, and the count after the purge shows it still matching. Never the other way round.
struct IDFingerprints: Sendable {
    private var seen = Set<UInt64>()

    /// Sized for `expected` ids (at most two million ahead; more grow the table).
    init(expected: Int) {
        seen.reserveCapacity(min(max(expected, 0), 2_000_000))
    }

    /// Inserts `id`; false when it (or an id with its fingerprint) was already there.
    mutating func insert(_ id: String) -> Bool {
        seen.insert(Self.fingerprint(id)).inserted
    }

    /// Whether `id` (or an id with its fingerprint) is there.
    func contains(_ id: String) -> Bool {
        seen.contains(Self.fingerprint(id))
    }

    /// A UUID's two halves mixed (SplitMix64's finaliser); any other id, FNV-1a of its bytes.
    static func fingerprint(_ id: String) -> UInt64 {
        if let value = IDSet.uuidValue(id) {
            var z = UInt64(truncatingIfNeeded: value >> 64) &+ UInt64(truncatingIfNeeded: value) &* 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }
}
