import NIOCore

// The JSON bodies of the API's answers.

/// `{"data": {...}}`; each field of `data` is read if it has the expected type and skipped
/// otherwise, so an API that adds or changes a field never turns a delete into a failure.
enum RecordingEnvelope {
    /// - Returns: nil when the body is not JSON at all; `.some(nil)` when it is JSON without a
    ///   usable `data` object.
    static func decode(_ body: ByteBuffer) -> Recording?? {
        guard let json = JSONValue.parse(body.readableBytesView) else { return nil }
        guard let data = json["data"], case .object = data else { return .some(nil) }
        return .some(recording(from: data))
    }

    /// The contract's `RecordingResponseData`, leniently: a field of the wrong type is left
    /// out (ids written as numbers and durations written as strings are accepted).
    static func recording(from data: JSONValue) -> Recording {
        func string(_ key: String) -> String? { data[key]?.stringOrInteger }
        var r = Recording(id: string("id"))
        r.recordType = string("record_type")
        r.callControlId = string("call_control_id")
        r.callLegId = string("call_leg_id")
        r.callSessionId = string("call_session_id")
        r.channels = string("channels")
        r.conferenceId = string("conference_id")
        r.connectionId = string("connection_id")
        r.createdAt = string("created_at")
        r.updatedAt = string("updated_at")
        if let urls = data["download_urls"], case .object = urls {
            r.downloadUrls = Recording.DownloadURLs(mp3: urls["mp3"]?.string, wav: urls["wav"]?.string)
        }
        r.durationMillis = data["duration_millis"]?.integer
        r.recordingStartedAt = string("recording_started_at")
        r.recordingEndedAt = string("recording_ended_at")
        r.source = string("source")
        r.status = string("status")
        r.from = string("from")
        r.to = string("to")
        r.initiatedBy = string("initiated_by")
        return r
    }
}

/// `{"errors": [{"code": "10005", "title": "…", "detail": "…"}]}`; `code` may be a string or a
/// number.
struct ErrorBody {
    var errors: [RecordingsError.APIError]
    /// The body is non-empty and not JSON (HTML, truncated JSON, plain text).
    var unreadable: Bool

    static func parse(_ body: ByteBuffer) -> ErrorBody {
        if body.readableBytesView.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return ErrorBody(errors: [], unreadable: false)
        }
        guard let json = JSONValue.parse(body.readableBytesView) else {
            return ErrorBody(errors: [], unreadable: true)
        }
        // Valid JSON of another shape (e.g. an array) is not unreadable, just uninformative.
        guard case .array(let entries)? = json["errors"] else { return ErrorBody(errors: [], unreadable: false) }
        let errors = entries.compactMap { entry -> RecordingsError.APIError? in
            guard case .object = entry else { return nil }
            let code = entry["code"]?.stringOrInteger
            let title = entry["title"]?.string
            let detail = entry["detail"]?.string
            guard code != nil || title != nil || detail != nil else { return nil }
            return .init(code: code ?? "", title: title ?? "", detail: detail)
        }
        return ErrorBody(errors: errors, unreadable: false)
    }
}

/// `{"data": [...], "meta": {...}}`: the answer of `GET /recordings`.
enum RecordingListEnvelope {
    /// The page, or nil when the body is not a JSON object with a `data` array. The numbers of
    /// `meta` are read totally: a missing, negative or absurd one is nil or clamped.
    static func decode(_ body: ByteBuffer) -> RecordingPage? {
        guard let json = JSONValue.parse(body.readableBytesView), case .array(let items)? = json["data"] else { return nil }
        let recordings = items.compactMap { item -> Recording? in
            guard case .object = item else { return nil }
            return RecordingEnvelope.recording(from: item)
        }
        func count(_ name: String) -> Int? {
            json["meta"]?[name]?.integer.map { min(max($0, 0), 1_000_000_000_000) }
        }
        return RecordingPage(recordings: recordings, totalPages: count("total_pages"), totalResults: count("total_results"))
    }

    /// Whether `body` is a JSON object whose `data` is an array: what the recordings API
    /// answers to a list, and what no proxy page or other API does by accident.
    static func isList(_ body: ByteBuffer) -> Bool {
        guard let json = JSONValue.parse(body.readableBytesView), case .array? = json["data"] else { return false }
        return true
    }
}
