/// Hand-written JSON output for the journal and `--output json`: one line per outcome, on
/// the hot path of bulk runs, where a general encoder would cost more than the request.
struct JSONObjectWriter {
    private(set) var text = "{"
    private var first = true

    mutating func field(_ key: String, _ value: String?) {
        guard let value else { return }
        appendKey(key)
        JSONObjectWriter.appendQuoted(value, to: &text)
    }

    mutating func field(_ key: String, _ value: Int?) {
        guard let value else { return }
        appendKey(key)
        text += String(value)
    }

    mutating func field(_ key: String, _ value: Bool) {
        appendKey(key)
        text += value ? "true" : "false"
    }

    /// A value that is already JSON (a nested object).
    mutating func field(_ key: String, json: String?) {
        guard let json else { return }
        appendKey(key)
        text += json
    }

    mutating func null(_ key: String) {
        appendKey(key)
        text += "null"
    }

    private mutating func appendKey(_ key: String) {
        if first { first = false } else { text += "," }
        JSONObjectWriter.appendQuoted(key, to: &text)
        text += ":"
    }

    /// The finished object.
    mutating func finish() -> String {
        text += "}"
        return text
    }

    static func appendQuoted(_ value: String, to out: inout String) {
        out += "\""
        var needsEscape = false
        for byte in value.utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            needsEscape = true
            break
        }
        if !needsEscape {
            out += value
        } else {
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 {
                        let hex = String(scalar.value, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
        }
        out += "\""
    }
}
