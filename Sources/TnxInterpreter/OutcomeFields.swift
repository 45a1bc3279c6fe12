import TelnyxRecordings

/// The fields of one outcome as JSON, in one list for both places that write them: the
/// journal line and the `--output json` line (which adds the dry-run's `request`).
///
/// `id`, `outcome`, `origin` (`FILE:LINE`), `http_status` (null when nothing was answered),
/// `error` (failed, invalid) or `note` (any other outcome's message), the API's
/// `error_code`/`error_title`/`error_detail`, `attempts` (when more than one), `request_id`
/// (the last answer's, when an error has one), `request`
/// (dry-run, json output only) and `recording` (what the API returned). docs/output.md
/// describes them.
enum OutcomeFields {
    static func write(_ o: Outcome, to w: inout JSONObjectWriter, request includeRequest: Bool) {
        w.field("id", o.id)
        w.field("outcome", o.kind.rawValue)
        w.field("origin", o.origin)
        if let status = o.httpStatus { w.field("http_status", status) } else { w.null("http_status") }
        if o.kind == .failed || o.kind == .invalid {
            w.field("error", o.message)
        } else {
            w.field("note", o.message)
        }
        if let first = o.error?.apiErrors.first {
            w.field("error_code", first.code)
            w.field("error_title", first.title)
            w.field("error_detail", first.detail)
        }
        if o.attempts > 1 { w.field("attempts", o.attempts) }
        // What a support ticket needs: the API's name for the request that decided it.
        if let requestID = o.error?.requestID { w.field("request_id", requestID) }
        w.field("step", o.step)
        if let d = o.download {
            w.object("download") { f in
                f.field("file", d.file)
                f.field("bytes", d.bytes)
                f.field("sha256", orNull: d.sha256)
                if d.reused { f.field("reused", true) }
                DownloadFields.checks(d, to: &f)
            }
        }
        if includeRequest, let request = o.request {
            w.object("request") { r in
                r.field("method", request.method)
                r.field("url", request.url)
                r.object("headers") { h in
                    for header in request.headers { h.field(dynamic: header.name, header.value) }
                }
            }
        }
        if let recording = o.recording {
            w.object("recording") { RecordingJSON.write(recording, to: &$0) }
        }
    }
}

/// What a download's copy was checked to be, as the journal, JSON output and `DIR/ID.json`
/// write it (docs/output.md).
enum DownloadFields {
    static func checks(_ d: DownloadRecord, to f: inout JSONObjectWriter) {
        guard let audio = d.audio else { return }
        f.field("audio", audio)
        if let playing = d.playingMillis { f.field("playing_millis", Int(playing)) }
        f.field("duration_millis", orNull: d.durationMillis)
        if let check = d.durationCheck { f.field("duration_check", check.text) }
    }
}
