import TelnyxRecordings

/// How one id read by tnx ended. Every id read gets exactly one.
public enum OutcomeKind: String, Sendable, Hashable, CaseIterable {
    case deleted
    case notFound = "not_found"
    case failed
    case invalid
    case duplicate
    case skipped
    case wouldDelete = "would_delete"
    /// A loop body without `delete`: the recording's media and metadata were saved, verified.
    case downloaded
    /// Dry-run of such a body: what would be downloaded.
    case wouldDownload = "would_download"
    /// A loop body of `show recording` steps only: the recording was shown.
    case shown
}

/// What a `download` step did for one id (or, in a dry-run, would do).
public struct DownloadRecord: Sendable, Hashable {
    /// The media file: `DIR/ID.mp3`.
    public var file: String
    public var bytes: Int
    /// SHA-256 of the file (64 hex digits); nil in a dry-run.
    public var sha256: String?
    /// The file was already complete (same size and hash as journaled): not downloaded again.
    public var reused = false
    /// A dry-run: nothing was written.
    public var dryRun = false
    /// What the bytes were checked to be (`MPEG-2.5 Layer III, 8000 Hz, mono, 833 frames`), and
    /// how long they play; nil in a dry-run and for a copy reused from an earlier run.
    public var audio: String?
    public var playingMillis: Int64?
    /// The recording's `duration_millis`, as the API gave it.
    public var durationMillis: Int?
    /// How the playing time was held against `durationMillis`.
    public var durationCheck: DurationCheck?
}

/// Whether a copy plays as long as its recording.
public enum DurationCheck: Sendable, Hashable {
    /// Within max(2 s, 2 %) of `duration_millis`.
    case matched
    /// Not compared, and why: `the API gave no duration_millis`, `verify-duration off`.
    case notChecked(String)

    /// Why a playing time was not checked under `set verify-duration off`.
    static let switchedOff = "verify-duration off"

    /// As the journal writes it (`text`).
    init?(text: String) {
        if text == "matched" {
            self = .matched
        } else if text.hasPrefix("not checked: ") {
            self = .notChecked(String(text.dropFirst("not checked: ".count)))
        } else {
            return nil
        }
    }

    /// How it is written in the journal and JSON: `matched`, `not checked: …`.
    public var text: String {
        switch self {
        case .matched: "matched"
        case .notChecked(let why): "not checked: \(why)"
        }
    }

    /// The largest difference a copy may have from `durationMillis`: 2 s, or 2 % of it.
    static func tolerance(of durationMillis: Int) -> Int { max(2000, durationMillis / 50) }
}

/// One id's outcome with everything the reporter, the journal and `show last` need.
public struct Outcome: Sendable {
    /// The note of every `not_found`.
    static let notFoundMessage = "no such recording (already deleted?)"

    public var kind: OutcomeKind
    /// The id as read (for `invalid`, the offending text).
    public var id: String
    /// `ids.txt:17` when the id came from a file; nil for a literal `delete`.
    public var origin: String?
    public var httpStatus: Int?
    /// Why it failed, was invalid, skipped or a duplicate; a note for some deletes.
    public var message: String?
    public var error: RecordingsError?
    public var recording: Recording?
    /// Dry-run: the request that would have been sent.
    public var request: PreparedRequest?
    public var attempts: Int
    /// The download step of a loop body, when it ran (or would run).
    public var download: DownloadRecord?
    /// The step of a loop body that failed: `download`, `show` or `delete`.
    public var step: String?

    public init(
        kind: OutcomeKind, id: String, origin: String? = nil, httpStatus: Int? = nil, message: String? = nil,
        error: RecordingsError? = nil, recording: Recording? = nil, request: PreparedRequest? = nil, attempts: Int = 0
    ) {
        self.kind = kind
        self.id = id
        self.origin = origin
        self.httpStatus = httpStatus
        self.message = message
        self.error = error
        self.recording = recording
        self.request = request
        self.attempts = attempts
    }

    /// Maps the client's answer for `id` to an outcome.
    init(_ result: DeleteResult, id: RecordingID, origin: String?) {
        switch result {
        case .deleted(let deleted):
            self.init(
                kind: .deleted, id: id.rawValue, origin: origin, httpStatus: deleted.httpStatus,
                message: deleted.note, recording: deleted.recording, attempts: deleted.attempts)
        case .notFound(let error):
            self.init(
                kind: .notFound, id: id.rawValue, origin: origin, httpStatus: error.status ?? 404,
                message: Self.notFoundMessage, error: error, attempts: error.attempts)
        case .wouldDelete(let request):
            self.init(kind: .wouldDelete, id: id.rawValue, origin: origin, request: request)
        case .failed(let error) where error.kind == .interrupted && error.attempts == 0:
            // Stopped before its request was sent: untouched, like an id the run did not reach.
            self.init(kind: .skipped, id: id.rawValue, origin: origin, message: "not sent: interrupted")
        case .failed(let error):
            self.init(
                kind: .failed, id: id.rawValue, origin: origin, httpStatus: error.status,
                message: error.description, error: error, attempts: error.attempts)
        }
    }
}

/// The counts of one statement's outcomes. They add up to the ids read.
public struct Summary: Sendable, Hashable {
    /// Indexed by the position of the kind in `OutcomeKind.allCases`.
    private var counts = [Int](repeating: 0, count: OutcomeKind.allCases.count)

    public init() {}

    public subscript(kind: OutcomeKind) -> Int { counts[kind.index] }

    public var read: Int { counts.reduce(0, +) }
    public var failed: Int { self[.failed] }

    public mutating func add(_ kind: OutcomeKind) { counts[kind.index] += 1 }
}

extension OutcomeKind {
    fileprivate var index: Int {
        switch self {
        case .deleted: 0
        case .notFound: 1
        case .failed: 2
        case .invalid: 3
        case .duplicate: 4
        case .skipped: 5
        case .wouldDelete: 6
        case .downloaded: 7
        case .wouldDownload: 8
        case .shown: 9
        }
    }
}
