import TelnyxRecordings

/// The line of each `would_delete` outcome of a bulk dry-run, text or json, written straight
/// into the output buffer from its parts.
///
/// A dry-run of a million ids prints a million of these lines, and building each as an
/// `Outcome` and then a line of text or a JSON object was most of its time. Only the id, the
/// line number and the URL change from one line to the next; the rest is built once. The bytes
/// are exactly those of `Reporter.text` and `Reporter.jsonBytes` for the same outcome (tests
/// hold them to it).
struct DryRunLines {
    private enum Shape {
        /// `would delete ` as `Reporter.text` paints and pads it.
        case text(label: [UInt8])
        /// `,"outcome":"would_delete","origin":"NAME:` (the file name escaped once).
        case json(afterID: [UInt8])
    }

    private let shape: Shape
    private var headers: [(name: String, value: String)] = []
    /// `,"headers":{…}}}` followed by a newline, for `headers`.
    private var headersTail: [UInt8] = Self.tail(for: [])

    /// Text lines: `label` is what precedes the id, e.g. `would delete `.
    static func text(label: String) -> DryRunLines {
        DryRunLines(shape: .text(label: Array(label.utf8)))
    }

    /// Json lines for ids read from the file `name`.
    static func json(source name: String) -> DryRunLines {
        var bytes = Array(#","outcome":"would_delete","origin":""#.utf8)
        var quoted: [UInt8] = []
        JSONObjectWriter.appendQuoted(name, to: &quoted)
        bytes += quoted.dropFirst().dropLast()  // without its quotes: the line number follows
        bytes.append(UInt8(ascii: ":"))
        return DryRunLines(shape: .json(afterID: bytes))
    }

    private init(shape: Shape) {
        self.shape = shape
    }

    /// Appends the line of `id`, read on `line`, whose request would be `request`.
    mutating func append(id: String, line: Int, request: PreparedRequest, to out: inout [UInt8]) {
        let afterID: [UInt8]
        switch shape {
        case .text(let label):
            // `would delete ID  (DELETE URL)`; a valid id needs no sanitising.
            out.append(contentsOf: label)
            out.append(contentsOf: id.utf8)
            out.append(contentsOf: "  (".utf8)
            out.append(contentsOf: request.method.utf8)
            out.append(UInt8(ascii: " "))
            out.append(contentsOf: request.url.utf8)
            out.append(contentsOf: ")\n".utf8)
            return
        case .json(let bytes): afterID = bytes
        }
        if !Self.same(request.headers, headers) {
            headers = request.headers
            headersTail = Self.tail(for: headers)
        }
        out.append(contentsOf: #"{"id":"#.utf8)
        JSONObjectWriter.appendQuoted(id, to: &out)
        out.append(contentsOf: afterID)
        Self.appendDecimal(line, to: &out)
        out.append(contentsOf: #"","http_status":null,"request":{"method":"#.utf8)
        JSONObjectWriter.appendQuoted(request.method, to: &out)
        out.append(contentsOf: #","url":"#.utf8)
        JSONObjectWriter.appendQuoted(request.url, to: &out)
        out.append(contentsOf: headersTail)
    }

    private static func tail(for headers: [(name: String, value: String)]) -> [UInt8] {
        var w = JSONObjectWriter()
        for header in headers { w.field(dynamic: header.name, header.value) }
        return Array(#","headers":"#.utf8) + w.finishBytes() + Array("}}\n".utf8)
    }

    private static func same(_ a: [(name: String, value: String)], _ b: [(name: String, value: String)]) -> Bool {
        guard a.count == b.count else { return false }
        for i in a.indices where a[i].name != b[i].name || a[i].value != b[i].value { return false }
        return true
    }

    /// `String(value).utf8` would do; over a million lines it measured about 10 % slower.
    private static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        guard value > 0 else {
            out.append(contentsOf: String(value).utf8)
            return
        }
        var digits: (UInt64, Int) = (0, 0)  // the digits in reverse, 4 bits each (up to 16)
        var rest = value
        while rest > 0, digits.1 < 16 {
            digits.0 |= UInt64(rest % 10) << (4 * digits.1)
            digits.1 += 1
            rest /= 10
        }
        guard rest == 0 else {
            out.append(contentsOf: String(value).utf8)
            return
        }
        for i in stride(from: digits.1 - 1, through: 0, by: -1) {
            out.append(UInt8(ascii: "0") + UInt8((digits.0 >> (4 * i)) & 0xF))
        }
    }
}
