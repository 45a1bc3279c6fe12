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
    /// Every string field passed through `redact` (which hides the API key).
    func redacting(_ redact: (String) -> String) -> Recording {
        var r = self
        for path in [
            \Recording.id, \.recordType, \.callControlId, \.callLegId, \.callSessionId, \.channels, \.conferenceId,
            \.connectionId, \.createdAt, \.updatedAt, \.recordingStartedAt, \.recordingEndedAt, \.source, \.status,
            \.from, \.to, \.initiatedBy,
        ] as [WritableKeyPath<Recording, String?>] {
            if let value = r[keyPath: path] { r[keyPath: path] = redact(value) }
        }
        if var urls = r.downloadUrls {
            urls.mp3 = urls.mp3.map(redact)
            urls.wav = urls.wav.map(redact)
            r.downloadUrls = urls
        }
        return r
    }
}
