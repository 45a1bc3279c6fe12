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
    /// Callers trim surrounding whitespace first; this never does.
    public init(_ raw: String) throws(InvalidRecordingID) {
        var text = raw
        // One pass over contiguous bytes: this runs for every id of a bulk run.
        let (problem, hasColon) = text.withUTF8 { bytes -> (Problem?, Bool) in
            if bytes.isEmpty { return (.empty, false) }
            if bytes.count > Self.maximumLength { return (.tooLong, false) }
            var hasColon = false
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                    UInt8(ascii: "."), UInt8(ascii: "~"):
                    continue
                case UInt8(ascii: ":"): hasColon = true
                case UInt8(ascii: "/"), UInt8(ascii: "\\"): return (.separator, false)
                case 0..<0x20, 0x7F: return (.control, false)
                case UInt8(ascii: " "): return (.space, false)
                default: return (.character, false)
                }
            }
            if bytes.count <= 2, bytes.allSatisfy({ $0 == UInt8(ascii: ".") }) { return (.relative, false) }
            return (nil, hasColon)
        }
        if let problem { throw InvalidRecordingID(raw: raw, reason: problem.reason) }
        self.rawValue = raw
        self.hasColon = hasColon
    }

    private enum Problem {
        case empty, tooLong, separator, control, space, character, relative

        var reason: String {
            switch self {
            case .empty: "it is empty"
            case .tooLong: "it is longer than \(RecordingID.maximumLength) characters"
            case .separator: "it contains a path separator"
            case .control: "it contains a control character"
            case .space: "it contains a space"
            case .character:
                "it contains a character a recording id never has (only letters, digits and - _ . ~ : are allowed)"
            case .relative: "it is a relative path"
            }
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
