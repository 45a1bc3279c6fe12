import TelnyxRecordings

/// The recording the API returned, as one JSON object with the contract's field names, for
/// the journal and `--output json`.
enum RecordingJSON {
    static func encode(_ r: Recording) -> String {
        var o = JSONObjectWriter()
        write(r, to: &o)
        return o.finish()
    }

    /// Writes the recording's fields into an object being written.
    static func write(_ r: Recording, to o: inout JSONObjectWriter) {
        o.field("id", r.id)
        o.field("record_type", r.recordType)
        o.field("call_control_id", r.callControlId)
        o.field("call_leg_id", r.callLegId)
        o.field("call_session_id", r.callSessionId)
        o.field("channels", r.channels)
        o.field("conference_id", r.conferenceId)
        o.field("connection_id", r.connectionId)
        o.field("created_at", r.createdAt)
        o.field("updated_at", r.updatedAt)
        if let urls = r.downloadUrls {
            o.object("download_urls") { u in
                u.field("mp3", urls.mp3)
                u.field("wav", urls.wav)
            }
        }
        o.field("duration_millis", r.durationMillis)
        o.field("recording_started_at", r.recordingStartedAt)
        o.field("recording_ended_at", r.recordingEndedAt)
        o.field("source", r.source)
        o.field("status", r.status)
        o.field("from", r.from)
        o.field("to", r.to)
        o.field("initiated_by", r.initiatedBy)
    }

    /// `name: value` rows of every field present, for `show last`.
    static func rows(_ r: Recording) -> [(String, String)] {
        var rows: [(String, String)] = []
        func add(_ name: String, _ value: String?) { if let value { rows.append((name, value)) } }
        add("id", r.id)
        add("record_type", r.recordType)
        add("status", r.status)
        add("source", r.source)
        add("from", r.from)
        add("to", r.to)
        add("channels", r.channels)
        add("duration_millis", r.durationMillis.map(String.init))
        add("recording_started_at", r.recordingStartedAt)
        add("recording_ended_at", r.recordingEndedAt)
        add("created_at", r.createdAt)
        add("updated_at", r.updatedAt)
        add("call_control_id", r.callControlId)
        add("call_leg_id", r.callLegId)
        add("call_session_id", r.callSessionId)
        add("conference_id", r.conferenceId)
        add("connection_id", r.connectionId)
        add("initiated_by", r.initiatedBy)
        add("download_urls.mp3", r.downloadUrls?.mp3)
        add("download_urls.wav", r.downloadUrls?.wav)
        return rows
    }
}
