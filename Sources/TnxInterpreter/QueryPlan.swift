import CivilTime
import TelnyxRecordings
import TnxLanguage
import TnxSystem

/// A query with its times fixed: what `GET /recordings` is asked, what a summary prints, and
/// the check that a recording the server listed really matches.
///
/// `before T` is strict (`created_at[lte]` = T − 1 ms) and so is `after T` (`[gte]` = T + 1 ms).
/// An age (`90d`) is counted back from `now`, the moment its statement started, once.
struct QueryPlan: Sendable {
    /// Created at or after this (ms since 1970), when the query says.
    var createdFrom: Int64?
    /// Created at or before this.
    var createdTo: Int64?
    /// The exact matches: the API's field and the value.
    var exact: [(word: String, apiName: String, value: String)] = []
    /// `recordings created before 2026-08-31T00:00:00Z (90d) and from "+15551234567"`.
    var description: String

    var filter: RecordingFilter {
        RecordingFilter(
            createdFrom: createdFrom.map(CivilTime.format(millis:)), createdTo: createdTo.map(CivilTime.format(millis:)),
            exact: exact.map { RecordingFilter.Match(field: $0.apiName, value: $0.value) })
    }

    init(_ query: Query, now: Int64) {
        var parts: [String] = []
        for condition in query.conditions {
            switch condition.kind {
            case .createdBefore(let time):
                let t = Self.millis(time, now: now)
                createdTo = t - 1
                parts.append("created before \(Self.display(t))\(Self.ageNote(time))")
            case .createdAfter(let time):
                let t = Self.millis(time, now: now)
                createdFrom = t + 1
                parts.append("created after \(Self.display(t))\(Self.ageNote(time))")
            case .field(let word, let apiName, let value):
                exact.append((word, apiName, value))
                parts.append("\(word) \(Quote.double(value))")
            }
        }
        description = parts.isEmpty ? "every recording" : "recordings " + parts.joined(separator: " and ")
    }

    /// The moment a statement starts, to the second: an age counts back from it, and a
    /// summary prints what it meant without milliseconds nobody asked for.
    static func now() -> Int64 {
        let millis = WallClock.millis
        return millis - millis % 1000
    }

    /// The moment a TIME means, for a statement that started at `now`.
    static func millis(_ time: TimeValue, now: Int64) -> Int64 {
        switch time {
        case .instant(let millis): millis
        case .age(let seconds, _): now - seconds * 1000
        }
    }

    /// ` (90d)` after an age, so a log says both what was written and what it meant.
    private static func ageNote(_ time: TimeValue) -> String {
        if case .age(_, let text) = time { return " (\(text))" }
        return ""
    }

    /// `2026-08-31T00:00:00Z`; milliseconds only when there are some.
    static func display(_ millis: Int64) -> String {
        let full = CivilTime.format(millis: millis)
        return full.hasSuffix(".000Z") ? String(full.dropLast(5)) + "Z" : full
    }

    /// Why `recording`, listed by the server for this query, does not match it; nil when it
    /// does. A server that lists what was not asked for must not get it deleted. `sip_call_id`
    /// is not a field of the recording object, so that match is the server's word.
    func mismatch(_ recording: Recording) -> String? {
        if createdFrom != nil || createdTo != nil {
            guard let text = recording.createdAt, let created = CivilTime.parse(text) else {
                return "its created_at (\(recording.createdAt.map { Quote.double($0) } ?? "missing")) is not a time"
            }
            if let createdFrom, created < createdFrom { return "it was created at \(Self.display(created)), before the query's range" }
            if let createdTo, created > createdTo { return "it was created at \(Self.display(created)), after the query's range" }
        }
        for match in exact where match.apiName != "sip_call_id" {
            let value = Self.value(of: match.apiName, in: recording)
            guard value == match.value else {
                return "its \(match.apiName) is \(value.map { Quote.double($0) } ?? "missing"), not \(Quote.double(match.value))"
            }
        }
        return nil
    }

    static func value(of apiName: String, in r: Recording) -> String? {
        switch apiName {
        case "from": r.from
        case "to": r.to
        case "connection_id": r.connectionId
        case "conference_id": r.conferenceId
        case "call_leg_id": r.callLegId
        case "call_session_id": r.callSessionId
        case "call_control_id": r.callControlId
        default: nil
        }
    }
}
