/// Text from outside tnx — a server's answer, an id file, a script, a file name — made safe to
/// show on a terminal. This is the one place that decides which characters may reach a
/// terminal raw; diagnostics, outcomes, `show` and error messages all go through it, and the
/// JSON writer escapes the same characters.
public enum TerminalText {
    /// Whether `scalar` could change how a terminal shows the text around it: C0 controls
    /// (ESC among them), DEL, C1 controls (NEL, U+0085, among them), the line and paragraph
    /// separators U+2028 and U+2029 (a line break to many terminals, editors and JSON readers:
    /// a server's `from` could otherwise start a line of its own that looks like tnx's), and
    /// the bidirectional marks, embeddings, overrides and isolates that can reorder a line
    /// (U+061C, U+200E/F, U+202A…E, U+2066…9), and a stray byte order mark.
    @inline(__always)
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x20 || v == 0x7F { return true }
        if v < 0x80 { return false }
        if v <= 0x9F { return true }
        return v == 0x061C || v == 0x200E || v == 0x200F || (0x2028...0x202E).contains(v)
            || (0x2066...0x2069).contains(v) || v == 0xFEFF
    }

    /// Whether `text` holds any scalar `isUnsafe` refuses. One pass over the bytes; pure ASCII
    /// text without control characters (ids, URLs) is decided without decoding.
    public static func needsEscaping(_ text: String) -> Bool {
        var ascii = true
        for byte in text.utf8 {
            if byte < 0x20 || byte == 0x7F { return true }
            if byte >= 0x80 { ascii = false }
        }
        return ascii ? false : text.unicodeScalars.contains(where: isUnsafe)
    }

    /// `1B` → `001B`: at least four upper-case hex digits, as in `\u{001B}` and `U+001B`.
    public static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return digits.count < 4 ? String(repeating: "0", count: 4 - digits.count) + digits : digits
    }

    /// `text` for a terminal: every unsafe scalar written as `\u{001B}`; at most `limit`
    /// scalars, then `…`. With `oneLine`, line ends (NEL, U+2028 and U+2029 too) and tabs
    /// become spaces instead (an excerpt of a server's answer inside a one-line message).
    public static func sanitized(_ text: String, limit: Int = .max, oneLine: Bool = false) -> String {
        if limit == .max, !needsEscaping(text) { return text }
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit {
                out += "…"
                break
            }
            count += 1
            if oneLine, scalar == "\n" || scalar == "\r" || scalar == "\t" || scalar == "\u{85}" || scalar == "\u{2028}" || scalar == "\u{2029}" {
                out += " "
            } else if isUnsafe(scalar) {
                out += "\\u{" + hex(scalar.value) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `"text"` for a message that quotes input: `"` and `\` escaped, `\n` `\r` `\t` written
    /// as such, every other unsafe scalar as `\u{…}`, at most `limit` scalars then `…`.
    public static func quoted(_ text: String, limit: Int = 60) -> String {
        var out = "\""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit {
                out += "…"
                break
            }
            count += 1
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if isUnsafe(scalar) {
                    out += "\\u{" + hex(scalar.value) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
