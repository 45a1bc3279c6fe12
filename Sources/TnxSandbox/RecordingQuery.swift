/// `GET /v2/recordings`: the documented filters and paging, answered over the sandbox's
/// recordings, newest first.
struct RecordingQuery {
    /// `filter[created_at][gte]` / `[lte]`, in milliseconds since 1970.
    var createdFrom: Int64?
    var createdTo: Int64?
    /// `filter[from]=…` and the other exact, case-sensitive matches: field → value.
    var exact: [(field: String, value: String)] = []
    var pageNumber = 1
    var pageSize = 20

    static let exactFields = [
        "from", "to", "connection_id", "conference_id", "call_leg_id", "call_session_id", "call_control_id", "sip_call_id",
    ]

    /// The query of a request, or the 400 message for a bad one.
    static func parse(_ parameters: [String: String]) -> Result<RecordingQuery, BadQuery> {
        var q = RecordingQuery()
        for (key, value) in parameters.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "page[number]":
                guard let n = Int(value), n >= 1 else { return .failure(BadQuery(message: "page[number] must be a whole number of at least 1")) }
                q.pageNumber = n
            case "page[size]":
                guard let n = Int(value), (1...250).contains(n) else { return .failure(BadQuery(message: "page[size] must be a whole number from 1 to 250")) }
                q.pageSize = n
            case "filter[created_at][gte]", "filter[created_at][lte]":
                guard let millis = ISO8601.millis(value) else { return .failure(BadQuery(message: "\(key) must be an ISO 8601 date-time")) }
                if key.hasSuffix("[gte]") { q.createdFrom = millis } else { q.createdTo = millis }
            default:
                if key.hasPrefix("filter[") {
                    let field = String(key.dropFirst("filter[".count).dropLast())
                    guard key.hasSuffix("]"), exactFields.contains(field) else { return .failure(BadQuery(message: "unknown filter \(key)")) }
                    q.exact.append((field, value))
                }
            }
        }
        return .success(q)
    }

    /// Whether seed `index` (id `id`) matches.
    func isMatch(id: String, index: Int) -> Bool {
        let created = SandboxData.createdMillis(index: index)
        if let createdFrom, created < createdFrom { return false }
        if let createdTo, created > createdTo { return false }
        if exact.isEmpty { return true }
        let recording = SandboxData.recording(id: id, index: index)
        return exact.allSatisfy { recording.value(of: $0.field) == $0.value }
    }

    /// The answer's body: the requested page of the matches, and `meta`.
    func page(of recordings: [String: Int], hostile: Bool) -> String {
        var matches: [(created: Int64, id: String, index: Int)] = []
        for (id, index) in recordings where isMatch(id: id, index: index) {
            matches.append((SandboxData.createdMillis(index: index), id, index))
        }
        matches.sort { $0.created != $1.created ? $0.created > $1.created : $0.id < $1.id }
        let total = matches.count
        let first = (pageNumber - 1).multipliedReportingOverflow(by: pageSize)
        let start = first.overflow ? total : min(first.partialValue, total)
        let slice = matches[start..<min(start + pageSize, total)]
        let data = slice.map { Handler.json(id: $0.id, index: $0.index, hostile: hostile) }.joined(separator: ",")
        let pages = (total + pageSize - 1) / pageSize
        return "{\"data\":[\(data)],\"meta\":{\"page_number\":\(pageNumber),\"page_size\":\(pageSize),\"total_pages\":\(pages),\"total_results\":\(total)}}"
    }
}

/// Why a list request is answered 400.
struct BadQuery: Error {
    var message: String
}

/// ISO 8601 as the API takes it: `2025-01-31`, `2025-01-31T12:00:00Z`,
/// `2025-01-31T12:00:00.123+02:00`.
enum ISO8601 {
    static func millis(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= b.count else { return nil }
            var n = 0
            for i in range {
                guard (0x30...0x39).contains(b[i]) else { return nil }
                n = n * 10 + Int(b[i] - 0x30)
            }
            return n
        }
        guard b.count >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var seconds = Int64(daysFromCivil(year: year, month: month, day: day)) * 86_400
        var millis: Int64 = 0
        if b.count == 10 { return seconds * 1000 }
        guard b.count >= 20, b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
            let h = number(11..<13), let m = number(14..<16), let s = number(17..<19), h < 24, m < 60, s < 61
        else { return nil }
        seconds += Int64(h * 3600 + m * 60 + s)
        var i = 19
        if b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, (0x30...0x39).contains(b[i]) {
                if digits < 3 { millis = millis * 10 + Int64(b[i] - 0x30) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<3 where digits < 3 { millis *= 10 }
        }
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "Z") {
            guard i + 1 == b.count else { return nil }
        } else {
            guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), i + 6 == b.count, b[i + 3] == UInt8(ascii: ":"),
                let oh = number((i + 1)..<(i + 3)), let om = number((i + 4)..<(i + 6))
            else { return nil }
            let offset = Int64(oh * 3600 + om * 60)
            seconds += b[i] == UInt8(ascii: "+") ? -offset : offset
        }
        return seconds * 1000 + millis
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
