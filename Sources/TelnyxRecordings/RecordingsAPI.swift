import AudioCheck
/// What the interpreter needs from the API. The live client and test doubles conform, so the
/// interpreter never sees HTTP.
public protocol RecordingsAPI: Sendable {
    /// Deletes one recording, retrying as the client's `RetryPolicy` says.
    ///
    /// With `dryRun` the identical request is built and validated but not sent, and the
    /// result is `.wouldDelete`. Never throws: every way a delete can end is a `DeleteResult`.
    /// If the calling task is cancelled, a request already on the wire is allowed to finish
    /// (its outcome is real), but no retry is started.
    func deleteRecording(_ id: RecordingID, dryRun: Bool) async -> DeleteResult

    /// The request a delete of `id` would send, with the key redacted: what a dry-run shows.
    /// Synchronous: a dry-run of a million ids asks it a million times.
    func preparedRequest(for id: RecordingID) -> PreparedRequest

    /// Checks, before the first delete of a real run, that the API answers at the base URL
    /// (so that a 404 means "no such recording", not "no such URL"). nil when it does.
    func confirmEndpoint() async -> RecordingsError?
    /// Asks for a key that is not known yet (`api-key-command`) before a run starts; nil when
    /// there is none to ask for, or it came.
    func prepareKey() async -> RecordingsError?

    /// What the client is waiting for (retries, rate-limit pauses), if it says.
    var activity: ClientActivity? { get }

    /// Where the key in use came from, for the messages that say what to check after a 401.
    var keyOrigin: KeyOrigin? { get }

    /// One page of the recordings that match `filter` (`GET /recordings`).
    func listRecordings(_ filter: RecordingFilter, page: Int, size: Int) async -> Result<RecordingPage, RecordingsError>

    /// How many recordings match `filter`, in one request.
    func countRecordings(_ filter: RecordingFilter) async -> Result<Int, RecordingsError>

    /// One recording, every field (`GET /recordings/{id}`).
    func retrieveRecording(_ id: RecordingID) async -> Result<Recording, RecordingsError>

    /// Deletes a list of recordings in one request (`POST /recordings/actions/delete`). The
    /// API says nothing per id: the caller verifies.
    func deleteRecordings(_ ids: [RecordingID]) async -> BatchDeleteResult

    /// The size of the media at a presigned link (without the key).
    func mediaSize(at url: String) async -> Result<Int, RecordingsError>

    /// Downloads a presigned link into `path`, verified as a whole file of `format` and on the
    /// disk (without the key).
    func downloadMedia(from url: String, to path: String, format: AudioFormat) async -> Result<MediaDownload, MediaDownloadError>
}

extension RecordingsAPI {
    public func confirmEndpoint() async -> RecordingsError? { nil }
    public func prepareKey() async -> RecordingsError? { nil }
    public var activity: ClientActivity? { nil }
    public var keyOrigin: KeyOrigin? { nil }

    public func listRecordings(_ filter: RecordingFilter, page: Int, size: Int) async -> Result<RecordingPage, RecordingsError> {
        .failure(Self.unsupported("list recordings"))
    }

    public func countRecordings(_ filter: RecordingFilter) async -> Result<Int, RecordingsError> {
        .failure(Self.unsupported("count recordings"))
    }

    public func retrieveRecording(_ id: RecordingID) async -> Result<Recording, RecordingsError> {
        .failure(Self.unsupported("read a recording"))
    }

    public func mediaSize(at url: String) async -> Result<Int, RecordingsError> {
        .failure(Self.unsupported("download media"))
    }

    public func deleteRecordings(_ ids: [RecordingID]) async -> BatchDeleteResult {
        .failed(Self.unsupported("delete in batches"))
    }

    public func downloadMedia(from url: String, to path: String, format: AudioFormat) async -> Result<MediaDownload, MediaDownloadError> {
        .failure(.request(Self.unsupported("download media")))
    }

    private static func unsupported(_ what: String) -> RecordingsError {
        RecordingsError(kind: .clientError, status: nil, attempts: 0, description: "this client cannot \(what)")
    }
}

/// How one delete ended, as the client knows it.
public enum DeleteResult: Sendable {
    /// 200: the recording is gone; the API's data is attached.
    case deleted(DeletedRecording)
    /// 404: there was no such recording (already gone). Not a failure.
    case notFound(RecordingsError)
    /// Dry-run: the exact request that would have been sent.
    case wouldDelete(PreparedRequest)
    /// Anything else, after the retries the policy allows.
    case failed(RecordingsError)
}

/// A successful delete: what the API said about the recording it destroyed.
public struct DeletedRecording: Sendable {
    public var recording: Recording
    public var httpStatus: Int
    /// Requests sent for this id (1 when the first one succeeded).
    public var attempts: Int
    /// Set when an earlier attempt timed out or lost its connection and the retry got 404:
    /// the first attempt most likely deleted it. Explains why this counts as deleted.
    public var note: String?

    public init(recording: Recording, httpStatus: Int, attempts: Int, note: String? = nil) {
        self.recording = recording
        self.httpStatus = httpStatus
        self.attempts = attempts
        self.note = note
    }
}

/// A request as it would go on the wire, with the key redacted. Dry-run's answer.
public struct PreparedRequest: Sendable, Hashable {
    public var method: String
    public var url: String
    /// Header names and values in order; `Authorization` shows `Bearer ***`.
    public var headers: [(name: String, value: String)]

    public init(method: String, url: String, headers: [(name: String, value: String)]) {
        self.method = method
        self.url = url
        self.headers = headers
    }

    public static func == (lhs: PreparedRequest, rhs: PreparedRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url
            && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(method)
        hasher.combine(url)
    }
}
