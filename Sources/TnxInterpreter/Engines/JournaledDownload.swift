import AudioCheck
import Synchronization
import TelnyxRecordings
import TnxLanguage
import TnxSystem

/// A download journaled by an earlier run: what the file must be to count as complete.
struct JournaledDownload: Sendable, Hashable {
    var file: String
    var bytes: Int
    var sha256: String
    /// What its bytes were checked to be when it was made (`DownloadRecord`'s fields of the
    /// same names). A copy journaled without `audio` (before tnx checked copies) or whose
    /// playing time was not checked because of `verify-duration off` is downloaded again
    /// rather than trusted, unless the check is off now too.
    var audio: String?
    var playingMillis: Int64?
    var durationMillis: Int?
    var durationCheck: DurationCheck?

    init(file: String, bytes: Int, sha256: String, audio: String?, playingMillis: Int64?, durationMillis: Int?, durationCheck: DurationCheck?) {
        self.file = file
        self.bytes = bytes
        self.sha256 = sha256
        self.audio = audio
        self.playingMillis = playingMillis
        self.durationMillis = durationMillis
        self.durationCheck = durationCheck
    }

    /// What a verified download leaves for a later `--resume`; nil for a dry-run's.
    init?(_ d: DownloadRecord) {
        guard !d.dryRun, let sha = d.sha256 else { return nil }
        self.init(file: d.file, bytes: d.bytes, sha256: sha, audio: d.audio, playingMillis: d.playingMillis, durationMillis: d.durationMillis, durationCheck: d.durationCheck)
    }

    /// Whether it can stand for a copy made now, with `verifyDuration`.
    func trusted(verifyDuration: Bool) -> Bool {
        audio != nil && (durationCheck != .notChecked(DurationCheck.switchedOff) || !verifyDuration)
    }

    /// The record of this copy, found complete again.
    var reused: DownloadRecord {
        var record = DownloadRecord(file: file, bytes: bytes, sha256: sha256, reused: true)
        record.audio = audio
        record.playingMillis = playingMillis
        record.durationMillis = durationMillis
        record.durationCheck = durationCheck
        return record
    }
}

/// The SHA-256 of every copy a run verified (and of those `--resume` found journaled), and
/// whose it is: the second recording whose media hashes the same as another's is a media host
/// serving one object for every link.
final class CopyRegistry: Sendable {
    private let owners: Mutex<[String: String]>

    init(_ earlier: [String: JournaledDownload] = [:]) {
        owners = Mutex(Dictionary(earlier.map { ($0.value.sha256, $0.key) }, uniquingKeysWith: { first, _ in first }))
    }

    /// Records `sha256` as `id`'s copy; the other id whose copy it already is, if any.
    func claim(_ sha256: String, for id: String) -> String? {
        owners.withLock { owners in
            if let other = owners[sha256], other != id { return other }
            owners[sha256] = id
            return nil
        }
    }
}
