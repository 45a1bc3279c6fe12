import Hummingbird
import NIOCore
import Synchronization
import TnxSystem

/// The small HTTP helpers of the sandbox's answers: JSON bodies, rate-limit headers, the query
/// string.
extension Handler {
    static func rateFields(_ rate: RateHeaders) -> HTTPFields {
        var fields = HTTPFields()
        fields[limitName] = String(rate.limit)
        fields[remainingName] = String(max(rate.remaining, 0))
        let millis = rate.reset.nanosecondsClamped / 1_000_000
        fields[resetName] = String(rate.bogusResetSeconds ?? Int(max((millis + 999) / 1000, 0)))
        return fields
    }

    static func json(_ status: Int, _ body: String, _ fields: HTTPFields = HTTPFields()) -> Response {
        var f = fields
        f[.contentType] = "application/json"
        return response(status, f, body)
    }

    static func response(_ status: Int, _ fields: HTTPFields, _ body: String) -> Response {
        Response(
            status: HTTPResponse.Status(code: status), headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// `a=1&b=%5B` → `["a": "1", "b": "["]`; a malformed escape keeps the raw text.
    static func query(_ text: Substring) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecoded(Substring(kv[0].replacing("+", with: " "))) ?? String(kv[0])
            let value = kv.count > 1 ? (percentDecoded(Substring(kv[1].replacing("+", with: " "))) ?? String(kv[1])) : ""
            result[key] = value
        }
        return result
    }

    /// `%XX` decoded; nil when an escape is malformed or the result is not UTF-8.
    static func percentDecoded(_ text: Substring) -> String? {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let h = iterator.next().flatMap(hexValue), let l = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(h << 4 | l)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    static func wallClockSeconds() -> Double { WallClock.seconds }
}
