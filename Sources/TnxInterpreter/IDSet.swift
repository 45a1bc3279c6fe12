/// A set of recording ids that stays small for millions of ids: UUID-shaped ids (what
/// Telnyx uses) are kept as their 128-bit value, anything else as its string.
///
/// Used to delete duplicates once and to skip what the journal says is done (`--resume`).
struct IDSet {
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
            guard bytes.count == 36 else { return nil }
            var value: UInt128 = 0
            for (i, byte) in bytes.enumerated() {
                if i == 8 || i == 13 || i == 18 || i == 23 {
                    guard byte == UInt8(ascii: "-") else { return nil }
                    continue
                }
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt128(digit)
            }
            return value
        }
    }
}
