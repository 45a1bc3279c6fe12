/// `RecordingResponseData` of the API contract. Every field is optional: the decoder
/// tolerates missing and extra fields, since the journal keeps the raw JSON anyway.
public struct Recording: Codable, Sendable, Hashable {
    public struct DownloadURLs: Codable, Sendable, Hashable {
        public var mp3: String?
        public var wav: String?
        public init(mp3: String? = nil, wav: String? = nil) {
            self.mp3 = mp3
            self.wav = wav
        }
    }

    public var id: String?
    public var recordType: String?
    public var callControlId: String?
    public var callLegId: String?
    public var callSessionId: String?
    public var channels: String?
    public var conferenceId: String?
    public var connectionId: String?
    public var createdAt: String?
    public var updatedAt: String?
    public var downloadUrls: DownloadURLs?
    public var durationMillis: Int?
    public var recordingStartedAt: String?
    public var recordingEndedAt: String?
    public var source: String?
    public var status: String?
    public var from: String?
    public var to: String?
    public var initiatedBy: String?

    public init(id: String? = nil) { self.id = id }

    enum CodingKeys: String, CodingKey {
        case id
        case recordType = "record_type"
        case callControlId = "call_control_id"
        case callLegId = "call_leg_id"
        case callSessionId = "call_session_id"
        case channels
        case conferenceId = "conference_id"
        case connectionId = "connection_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case downloadUrls = "download_urls"
        case durationMillis = "duration_millis"
        case recordingStartedAt = "recording_started_at"
        case recordingEndedAt = "recording_ended_at"
        case source, status, from, to
        case initiatedBy = "initiated_by"
    }
}

extension Recording {
    /// Every string field passed through `redact` (which hides the API key). Field by field, not
    /// through key paths: a list of 250 recordings runs it 250 times a page, and key paths
    /// were most of that cost in profiles.
    func redacting(_ redact: (String) -> String) -> Recording {
        var r = self
        r.id = r.id.map(redact)
        r.recordType = r.recordType.map(redact)
        r.callControlId = r.callControlId.map(redact)
        r.callLegId = r.callLegId.map(redact)
        r.callSessionId = r.callSessionId.map(redact)
        r.channels = r.channels.map(redact)
        r.conferenceId = r.conferenceId.map(redact)
        r.connectionId = r.connectionId.map(redact)
        r.createdAt = r.createdAt.map(redact)
        r.updatedAt = r.updatedAt.map(redact)
        r.recordingStartedAt = r.recordingStartedAt.map(redact)
        r.recordingEndedAt = r.recordingEndedAt.map(redact)
        r.source = r.source.map(redact)
        r.status = r.status.map(redact)
        r.from = r.from.map(redact)
        r.to = r.to.map(redact)
        r.initiatedBy = r.initiatedBy.map(redact)
        if var urls = r.downloadUrls {
            urls.mp3 = urls.mp3.map(redact)
            urls.wav = urls.wav.map(redact)
            r.downloadUrls = urls
        }
        return r
    }
}
