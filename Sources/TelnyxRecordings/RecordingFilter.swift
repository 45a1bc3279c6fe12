/// Which recordings `GET /recordings` answers with: the API's filters, as query items.
/// Built by the interpreter from a query (`recordings where …`).
public struct RecordingFilter: Sendable, Hashable {
    /// `filter[created_at][gte]`, ISO 8601.
    public var createdFrom: String?
    /// `filter[created_at][lte]`, ISO 8601.
    public var createdTo: String?
    /// Exact, case-sensitive matches: the API's field name (`from`, `connection_id`, …) and
    /// the value.
    public var exact: [Match]

    public struct Match: Sendable, Hashable {
        public var field: String
        public var value: String
        public init(field: String, value: String) {
            self.field = field
            self.value = value
        }
    }

    public init(createdFrom: String? = nil, createdTo: String? = nil, exact: [Match] = []) {
        self.createdFrom = createdFrom
        self.createdTo = createdTo
        self.exact = exact
    }

    /// `filter%5Bcreated_at%5D%5Bgte%5D=…&…`, every name and value percent-encoded.
    var queryItems: [String] {
        var items: [String] = []
        if let createdFrom { items.append(Self.item("filter[created_at][gte]", createdFrom)) }
        if let createdTo { items.append(Self.item("filter[created_at][lte]", createdTo)) }
        for match in exact { items.append(Self.item("filter[\(match.field)]", match.value)) }
        return items
    }

    static func item(_ name: String, _ value: String) -> String { encode(name) + "=" + encode(value) }

    /// Percent-encodes everything but RFC 3986's unreserved characters (so `+` in a phone
    /// number is `%2B`, never a space).
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return out
    }
}

/// One page of `GET /recordings`.
public struct RecordingPage: Sendable {
    public var recordings: [Recording]
    /// From `meta`, when the API says (clamped to 0 or more).
    public var totalPages: Int?
    public var totalResults: Int?

    public init(recordings: [Recording], totalPages: Int?, totalResults: Int?) {
        self.recordings = recordings
        self.totalPages = totalPages
        self.totalResults = totalResults
    }
}
