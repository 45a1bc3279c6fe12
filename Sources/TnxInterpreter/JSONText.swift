import TerminalText

/// Hand-written JSON output for the journal and `--output json`: one line per outcome, on
/// the hot path of bulk runs, where a general encoder would cost more than the request.
/// It appends UTF-8 bytes to one buffer; nested objects are written in place.
struct JSONObjectWriter {
    private(set) var bytes: [UInt8]
    private var first = true

    init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    mutating func field(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        appendKey(key)
        Self.appendQuoted(value, to: &bytes)
    }

    /// The value, or `null` when there is none (a field docs/output.md promises always).
    mutating func field(_ key: StaticString, orNull value: String?) {
        if let value { field(key, value) } else { null(key) }
    }

    /// A field whose name is only known at run time (header names, setting names).
    mutating func field(dynamic key: String, _ value: String) {
        appendComma()
        Self.appendQuoted(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        Self.appendQuoted(value, to: &bytes)
    }

    mutating func field(_ key: StaticString, _ value: Int?) {
        guard let value else { return }
        appendKey(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    /// The number, or `null` when there is none.
    mutating func field(_ key: StaticString, orNull value: Int?) {
        if let value { field(key, value) } else { null(key) }
    }

    mutating func field(_ key: StaticString, _ value: Bool) {
        appendKey(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func field(dynamic key: String, _ value: Bool) {
        appendComma()
        Self.appendQuoted(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func field(dynamic key: String, _ value: Int) {
        appendComma()
        Self.appendQuoted(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A value that is already JSON (a nested object).
    mutating func field(_ key: StaticString, json: String?) {
        guard var json else { return }
        appendKey(key)
        json.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// A nested object written in place.
    mutating func object(_ key: StaticString, _ body: (inout JSONObjectWriter) -> Void) {
        appendKey(key)
        var inner = JSONObjectWriter(reusing: bytes)
        bytes = []
        body(&inner)
        bytes = inner.finishBytes()
    }

    mutating func null(_ key: StaticString) {
        appendKey(key)
        bytes.append(contentsOf: "null".utf8)
    }

    private init(reusing buffer: [UInt8]) {
        bytes = buffer
        bytes.append(UInt8(ascii: "{"))
    }

    private mutating func appendComma() {
        if first { first = false } else { bytes.append(UInt8(ascii: ",")) }
    }

    /// `"key":` — keys are ASCII literals that never need escaping.
    private mutating func appendKey(_ key: StaticString) {
        appendComma()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// The finished object as bytes.
    mutating func finishBytes() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// The finished object.
    mutating func finish() -> String {
        String(decoding: finishBytes(), as: UTF8.self)
    }

    /// `value` as a JSON string. Besides what JSON requires, every character `TerminalText`
    /// finds unsafe (C1 controls, bidirectional overrides) is written as `\uXXXX`: the same
    /// text, and a JSON line printed to a terminal cannot drive it.
    static func appendQuoted(_ value: String, to out: inout [UInt8]) {
        var value = value
        out.append(UInt8(ascii: "\""))
        // One pass over the bytes decides; ids, URLs and most text are plain ASCII.
        let (clean, ascii) = value.withUTF8 { utf8 -> (Bool, Bool) in
            var ascii = true
            for byte in utf8 {
                if byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F { return (false, false) }
                if byte >= 0x80 { ascii = false }
            }
            return (true, ascii)
        }
        if clean && (ascii || !value.unicodeScalars.contains(where: TerminalText.isUnsafe)) {
            value.withUTF8 { out.append(contentsOf: $0) }
            out.append(UInt8(ascii: "\""))
            return
        }
        let hex = Array("0123456789abcdef".utf8)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case "\\": out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case "\n": out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case "\r": out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case "\t": out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            default:
                if TerminalText.isUnsafe(scalar) {
                    // Every unsafe scalar is in the basic plane: four hex digits.
                    let v = scalar.value
                    out.append(contentsOf: "\\u".utf8)
                    for shift in stride(from: 12, through: 0, by: -4) { out.append(hex[Int((v >> UInt32(shift)) & 0xF)]) }
                } else {
                    out.append(contentsOf: String(scalar).utf8)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// A JSON string literal, written as every JSON line of tnx writes one (escaped for a
/// terminal too), for the package's other modules.
package enum JSONString {
    package static func quoted(_ value: String) -> String {
        var bytes: [UInt8] = []
        JSONObjectWriter.appendQuoted(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
