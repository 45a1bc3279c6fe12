import TerminalText

/// A recording id that has been checked to be one plausible path segment.
///
/// Ids come from files, stdin and scripts; none of them may steer a request to any path
/// other than `/v2/recordings/{one segment}`. So an id is validated once, here, and the only
/// way to build a URL from it is `pathSegment`.
public struct RecordingID: Hashable, Sendable, CustomStringConvertible {
    /// Longest id accepted. Telnyx ids are 36-character UUIDs; this leaves room for other
    /// formats while refusing obvious garbage.
    public static let maximumLength = 128

    public let rawValue: String
    /// Whether the id holds a `:`, which `pathSegment` encodes. UUIDs never do.
    private let hasColon: Bool

    /// Accepts 1…128 characters from `A-Z a-z 0-9 - _ . ~ :`, not `.` or `..`.
    /// Callers trim surrounding whitespace first; this never does. The error names every
    /// problem the text has, not just the first.
    public init(_ raw: String) throws(InvalidRecordingID) {
        var text = raw
        // One pass over contiguous bytes: this runs for every id of a bulk run. Valid ids leave
        // `problems` empty without any allocation.
        let (problems, hasColon) = text.withUTF8 { bytes -> (Problems, Bool) in
            if bytes.isEmpty { return ([.empty], false) }
            var problems: Problems = []
            var hasColon = false
            if bytes.count > Self.maximumLength { problems.insert(.tooLong) }
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                    UInt8(ascii: "."), UInt8(ascii: "~"):
                    continue
                case UInt8(ascii: ":"): hasColon = true
                case UInt8(ascii: "/"), UInt8(ascii: "\\"): problems.insert(.separator)
                case 0..<0x20, 0x7F: problems.insert(.control)
                case UInt8(ascii: " "): problems.insert(.space)
                default: problems.insert(.character)
                }
            }
            if bytes.count <= 2, bytes.allSatisfy({ $0 == UInt8(ascii: ".") }) { problems.insert(.relative) }
            return (problems, hasColon)
        }
        if !problems.isEmpty { throw InvalidRecordingID(raw: raw, reason: problems.reason) }
        self.rawValue = raw
        self.hasColon = hasColon
    }

    private struct Problems: OptionSet {
        let rawValue: UInt8
        static let empty = Problems(rawValue: 1)
        static let tooLong = Problems(rawValue: 2)
        static let separator = Problems(rawValue: 4)
        static let control = Problems(rawValue: 8)
        static let space = Problems(rawValue: 16)
        static let character = Problems(rawValue: 32)
        static let relative = Problems(rawValue: 64)

        /// `it contains a space and a path separator`.
        var reason: String {
            if contains(.empty) { return "it is empty" }
            if contains(.relative) { return "it is a relative path" }
            var parts: [String] = []
            if contains(.tooLong) { parts.append("is longer than \(RecordingID.maximumLength) characters") }
            var holds: [String] = []
            if contains(.space) { holds.append("a space") }
            if contains(.separator) { holds.append("a path separator") }
            if contains(.control) { holds.append("a control character") }
            if contains(.character) { holds.append("a character a recording id never has") }
            if !holds.isEmpty { parts.append("contains " + Self.list(holds)) }
            var text = "it " + Self.list(parts)
            if contains(.character) { text += " (only letters, digits and - _ . ~ : are allowed)" }
            return text
        }

        static func list(_ items: [String]) -> String {
            items.count <= 1 ? items.joined() : items.dropLast().joined(separator: ", ") + " and " + items.last!
        }
    }

    /// The id as one percent-encoded path segment. With the characters `init` allows this is
    /// the id itself, except `:` which is encoded too so that no URL parser reads a scheme.
    public var pathSegment: String {
        // Telnyx ids (UUIDs) never contain ':'; this is on the hot path of every request.
        guard hasColon else { return rawValue }
        var out = ""
        out.reserveCapacity(rawValue.utf8.count + 4)
        for scalar in rawValue.unicodeScalars {
            if scalar == ":" { out += "%3A" } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    public var description: String { rawValue }
}

/// Why a string is not a recording id. The message quotes the input, escaped, so control
/// characters never reach a terminal raw.
public struct InvalidRecordingID: Error, Sendable, Hashable, CustomStringConvertible {
    public var raw: String
    public var reason: String

    public init(raw: String, reason: String) {
        self.raw = raw
        self.reason = reason
    }

    /// `invalid recording id "a/b": it contains a path separator`
    public var description: String {
        "invalid recording id \(TerminalText.quoted(raw)): \(reason)"
    }
}
