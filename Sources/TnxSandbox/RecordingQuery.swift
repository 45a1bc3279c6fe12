import Foundation

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

    /// The answer's body: the requested page of the matches, and `meta`.
    func page(
        of index: RecordingIndex, hostile: Bool, overlap: Bool = false, omitLast: Bool = false, oneTooMany: Bool = false,
        media: MediaLinks? = nil
    ) -> String {
        let range = index.range(createdFrom: createdFrom, createdTo: createdTo)
        let skip = (pageNumber - 1).multipliedReportingOverflow(by: overlap ? max(pageSize - 1, 1) : pageSize)
        let total: Int
        let entries: [RecordingIndex.Entry]
        if exact.isEmpty {
            total = index.count(in: range)
            entries = skip.overflow ? [] : index.entries(in: range, skip: skip.partialValue, limit: pageSize)
        } else {
            let matching = index.all(in: range).filter { entry in
                let recording = SandboxData.recording(id: entry.id, index: entry.index)
                return exact.allSatisfy { recording.value(of: $0.field) == $0.value }
            }
            total = matching.count
            entries = skip.overflow ? [] : Array(matching.dropFirst(skip.partialValue).prefix(pageSize))
        }
        let shown = omitLast ? Array(entries.dropLast()) : entries
        var data = shown.map { Handler.json(id: $0.id, index: $0.index, hostile: hostile, media: media) }.joined(separator: ",")
        if oneTooMany {
            // One recording past the page size: the next page's first, or one made up.
            let next = exact.isEmpty && !skip.overflow ? index.entries(in: range, skip: skip.partialValue + pageSize, limit: 1) : []
            if let extra = next.first {
                data += (data.isEmpty ? "" : ",") + Handler.json(id: extra.id, index: extra.index, hostile: hostile, media: media)
            } else if let last = shown.last {
                let made = String(last.id.dropLast(4)) + "ffff"
                data += "," + Handler.json(id: made, index: last.index, hostile: hostile, media: media)
            }
        }
        let pages = (total + pageSize - 1) / pageSize
        return "{\"data\":[\(data)],\"meta\":{\"page_number\":\(pageNumber),\"page_size\":\(pageSize),\"total_pages\":\(pages),\"total_results\":\(total)}}"
    }
}

/// Why a list request is answered 400.
struct BadQuery: Error {
    var message: String
}

/// ISO 8601 as the API takes it: `2025-01-31`, `2025-01-31T12:00:00Z`,
/// `2025-01-31T12:00:00.123+02:00`. (Foundation's parser: the sandbox links Foundation anyway.)
enum ISO8601 {
    static func millis(_ text: String) -> Int64? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        guard let date = withFraction.date(from: text) ?? plain.date(from: text) ?? (text.count == 10 ? day.date(from: text) : nil) else {
            return nil
        }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
