import TelnyxRecordings

/// The recording the API returned, in one list of the contract's fields: written as JSON for
/// the journal and `--output json`, and as `name  value` rows for `show last`.
enum RecordingJSON {
    /// How `download_urls` are written. A presigned link's query is its signature: a
    /// credential to the media for as long as it is valid.
    enum Links {
        /// Without query, fragment or `user:password@` (`LinkText.withoutCredentials`): the
        /// default, for every record of a recording (the journal, `DIR/ID.json`, outcomes). It
        /// names the file and grants nothing.
        case withoutCredentials
        /// As the API sent them: only where someone asked to see the recording (`list`, `show
        /// recording`).
        case asSent

        func apply(_ url: String?) -> String? {
            switch self {
            case .withoutCredentials: url.map(LinkText.withoutCredentials)
            case .asSent: url
            }
        }
    }

    /// The string fields in the contract's order (`duration_millis` and `download_urls` are
    /// written where they fall, by `write`).
    private static func strings(_ r: Recording) -> [(StaticString, String?)] {
        [
            ("id", r.id), ("record_type", r.recordType), ("call_control_id", r.callControlId), ("call_leg_id", r.callLegId),
            ("call_session_id", r.callSessionId), ("channels", r.channels), ("conference_id", r.conferenceId),
            ("connection_id", r.connectionId), ("created_at", r.createdAt), ("updated_at", r.updatedAt),
        ]
    }

    private static func laterStrings(_ r: Recording) -> [(StaticString, String?)] {
        [
            ("recording_started_at", r.recordingStartedAt), ("recording_ended_at", r.recordingEndedAt), ("source", r.source),
            ("status", r.status), ("from", r.from), ("to", r.to), ("initiated_by", r.initiatedBy),
        ]
    }

    /// Writes the recording's fields into an object being written.
    static func write(_ r: Recording, to o: inout JSONObjectWriter, links: Links = .withoutCredentials) {
        for (name, value) in strings(r) { o.field(name, value) }
        if let urls = r.downloadUrls {
            o.object("download_urls") { u in
                u.field("mp3", links.apply(urls.mp3))
                u.field("wav", links.apply(urls.wav))
            }
        }
        o.field("duration_millis", r.durationMillis)
        for (name, value) in laterStrings(r) { o.field(name, value) }
    }

    /// `name: value` rows of every field present, in the same order, for `show last`.
    static func rows(_ r: Recording, links: Links = .withoutCredentials) -> [(String, String)] {
        var rows: [(String, String)] = []
        func add(_ fields: [(StaticString, String?)]) {
            for (name, value) in fields { if let value { rows.append(("\(name)", value)) } }
        }
        add(strings(r))
        add([("download_urls.mp3", links.apply(r.downloadUrls?.mp3)), ("download_urls.wav", links.apply(r.downloadUrls?.wav))])
        add([("duration_millis", r.durationMillis.map(String.init))])
        add(laterStrings(r))
        return rows
    }
}
