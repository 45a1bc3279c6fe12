import AudioCheck
import Synchronization
import TelnyxRecordings
import TnxLanguage
import TnxSystem

/// The steps of a loop body on its id, run in order for each id while the ids run
/// concurrently: `download $id to DIR`, `show recording $id`, `delete $id` (last).
///
/// When a step fails for an id, its later steps do not run: **a recording is never deleted
/// unless its download finished and was verified** (every byte `Content-Length` announced, on
/// the disk; a whole MP3 or WAV that plays as long as the recording; no other recording's
/// bytes; renamed into place, its metadata beside it). Before a delete, the verified copy
/// is journaled (`downloaded`, with size and SHA-256), so a crash between the two leaves a
/// journal that `--resume` trusts not to download again.
struct Pipeline: Sendable {
    enum Step: Sendable, Hashable {
        /// Into this absolute directory.
        case download(directory: String)
        case show
        case delete
    }

    var steps: [Step]
    var format: MediaFormat

    /// The steps of `statement`, an id loop (`Planner.isIDLoop`), with its directories resolved.
    init(_ statement: Statement, context: ScriptContext, format: MediaFormat) {
        var steps: [Step] = []
        if case .foreach(_, _, _, let body) = statement.kind {
            for step in body {
                switch step.kind {
                case .delete: steps.append(.delete)
                case .showRecording: steps.append(.show)
                case .download(_, let directory):
                    if case .literal(let path) = directory.kind { steps.append(.download(directory: context.resolve(path))) }
                default: break
                }
            }
        }
        self.steps = steps
        self.format = format
    }

    init(steps: [Step], format: MediaFormat) {
        self.steps = steps
        self.format = format
    }

    var deletes: Bool { steps.last == .delete }
    /// Only `delete`: the bulk engine's plain path, with no read per id.
    var isDeleteOnly: Bool { steps == [.delete] }
    var directories: [String] {
        steps.compactMap { if case .download(let directory) = $0 { directory } else { nil } }
    }
    var downloads: Bool { !directories.isEmpty }

    /// How an id ends when the body holds no delete.
    func finalKind(dryRun: Bool) -> OutcomeKind {
        if downloads { return dryRun ? .wouldDownload : .downloaded }
        return .shown
    }
}

/// One id's way through a pipeline.
struct PipelineResult: Sendable {
    var outcome: Outcome
    /// What `show recording $id` steps fetched, printed before the outcome.
    var shown: [Recording] = []
    /// The disk cannot take the files (full, not writable): the whole run stops.
    var stopRun: String?
}

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

/// Runs a pipeline for one id. Not on the interpreter actor: many run at once; what must be
/// recorded in order (the journal) goes through `journal`.
struct PipelineRunner: Sendable {
    let pipeline: Pipeline
    let client: any RecordingsAPI
    let dryRun: Bool
    /// `--resume`: the downloads an earlier run journaled, by id.
    let earlier: [String: JournaledDownload]
    /// Appends a line to the journal (on the actor); false when it could not be written.
    let journal: @Sendable (Outcome) async -> Bool
    /// `set verify-duration`: a copy must play as long as its recording.
    var verifyDuration = true
    /// The copies of this run, by hash: one file for two recordings is not a copy of either.
    var copies = CopyRegistry()
    /// Journals the id `sending` (on the actor) just before its delete goes; false when it could
    /// not be written. nil: this runner never deletes (it refuses to).
    var sending: (@Sendable (RecordingID) async -> Bool)? = nil

    /// A link fetched longer ago than this is fetched fresh before it is used: links expire
    /// after a few minutes.
    static let linkFreshness: Duration = .seconds(120)

    func run(_ id: RecordingID, origin: String?) async -> PipelineResult {
        var fetched: (recording: Recording, at: ContinuousClock.Instant)?
        var shown: [Recording] = []
        var download: DownloadRecord?
        func ended(_ kind: OutcomeKind, step: String, error: RecordingsError? = nil, message: String? = nil) -> PipelineResult {
            var outcome = Outcome(
                kind: kind, id: id.rawValue, origin: origin, httpStatus: error?.status, message: message ?? error?.description, error: error,
                recording: fetched?.recording, attempts: error?.attempts ?? 0)
            outcome.step = step
            outcome.download = download
            if kind == .notFound { outcome.message = Outcome.notFoundMessage }
            return PipelineResult(outcome: outcome, shown: shown)
        }
        for step in pipeline.steps {
            if Task.isCancelled {
                var outcome = Outcome(kind: .skipped, id: id.rawValue, origin: origin, message: "not finished: interrupted before \(step.name)")
                outcome.download = download
                return PipelineResult(outcome: outcome, shown: shown)
            }
            switch step {
            case .show:
                if fetched == nil {
                    switch await client.retrieveRecording(id) {
                    case .success(let r): fetched = (r, .now)
                    case .failure(let e): return ended(e.kind == .notFound ? .notFound : .failed, step: "show", error: e)
                    }
                }
                shown.append(fetched!.recording)
            case .download(let directory):
                switch await downloadStep(id, into: directory, fetched: &fetched) {
                case .done(let record):
                    download = record
                case .notFound(let e):
                    return ended(.notFound, step: "download", error: e)
                case .failed(let e) where e.kind == .interrupted:
                    // A stop (Ctrl-C, SIGTERM, SIGHUP) during the download: its `.partial` file
                    // is removed, nothing was deleted. Not a failure, and not the disk.
                    return ended(.skipped, step: "download", message: "stopped before its copy was complete (its partial file removed; nothing was deleted)")
                case .failed(let e):
                    return ended(.failed, step: "download", error: e)
                case .disk(let reason):
                    var result = ended(.failed, step: "download", message: reason)
                    result.stopRun = reason
                    return result
                }
                if pipeline.deletes, !dryRun, let download, !download.reused {
                    // The verified copy is on record before the recording can go.
                    var saved = Outcome(kind: .downloaded, id: id.rawValue, origin: origin, recording: fetched?.recording)
                    saved.download = download
                    guard await journal(saved) else {
                        return ended(.failed, step: "download", message: "not deleted: the journal could not be written")
                    }
                }
            case .delete:
                if !dryRun, await sending?(id) != true {
                    return ended(.failed, step: "delete", message: "not deleted: the journal could not be written")
                }
                var outcome = Outcome(await client.deleteRecording(id, dryRun: dryRun), id: id, origin: origin)
                outcome.download = download
                if outcome.kind == .failed { outcome.step = "delete" }
                if outcome.recording == nil { outcome.recording = fetched?.recording }
                return PipelineResult(outcome: outcome, shown: shown)
            }
        }
        var outcome = Outcome(kind: pipeline.finalKind(dryRun: dryRun), id: id.rawValue, origin: origin, recording: fetched?.recording)
        outcome.download = download
        return PipelineResult(outcome: outcome, shown: shown)
    }

    enum StepResult {
        case done(DownloadRecord)
        case notFound(RecordingsError)
        case failed(RecordingsError)
        /// The disk: stops the run.
        case disk(String)
    }

    /// `download $id to DIR`: `DIR/ID.EXT` and `DIR/ID.json`, or (dry-run) the size it would
    /// download.
    func downloadStep(_ id: RecordingID, into directory: String, fetched: inout (recording: Recording, at: ContinuousClock.Instant)?) async -> StepResult {
        let ext = pipeline.format.rawValue
        let name = Self.fileName(id)
        let file = directory + "/" + name + "." + ext
        let sidecar = directory + "/" + name + ".json"

        // Complete from an earlier run: the same size and hash as journaled.
        if !dryRun, let before = earlier[id.rawValue], before.file == file, before.trusted(verifyDuration: verifyDuration) {
            // Off the pool: hashing a wav of hundreds of MB takes a while.
            let complete = await BlockingWorker().run { () -> Bool in
                guard case .regular(let size) = FileKind.of(file), size == before.bytes, case .regular = FileKind.of(sidecar),
                    case .success(let now) = MediaHash.file(file)
                else { return false }
                return now.bytes == before.bytes && now.sha256 == before.sha256
            }
            if complete {
                if let other = copies.claim(before.sha256, for: id.rawValue) {
                    return .failed(
                        RecordingsError(kind: .unreadableResponse, status: nil, attempts: 0, description: "its copy \(file) is byte for byte the copy kept for \(other): not this recording's; remove it and run again"))
                }
                return .done(before.reused)
            }
        }

        var refreshed = false
        while true {
            if fetched == nil || ContinuousClock.now - fetched!.at > Self.linkFreshness {
                switch await client.retrieveRecording(id) {
                case .success(let r): fetched = (r, .now)
                case .failure(let e): return e.kind == .notFound ? .notFound(e) : .failed(e)
                }
            }
            let recording = fetched!.recording
            guard recording.id == id.rawValue else {
                return .failed(
                    RecordingsError(
                        kind: .unreadableResponse, status: 200, attempts: 1,
                        description: "the API answered GET /recordings/\(id.rawValue) with another recording (\(recording.id ?? "no id")); nothing was downloaded"))
            }
            guard let url = pipeline.format == .mp3 ? recording.downloadUrls?.mp3 : recording.downloadUrls?.wav, !url.isEmpty else {
                return .failed(
                    RecordingsError(
                        kind: .unreadableResponse, status: 200, attempts: 1,
                        description: "the API gave no \(ext) link (download_urls.\(ext)) for \(id.rawValue); nothing was downloaded"))
            }
            if dryRun {
                switch await client.mediaSize(at: url) {
                case .success(let bytes):
                    return .done(DownloadRecord(file: file, bytes: bytes, sha256: nil, dryRun: true))
                case .failure(let e) where e.kind == .forbidden && !refreshed:
                    refreshed = true
                    fetched = nil
                    continue
                case .failure(let e):
                    return .failed(e)
                }
            }
            // A name of its own: another run downloading the same recording here never writes
            // into this file. (downloadMedia removes it when it fails.)
            let partial = directory + "/." + name + "." + ext + "." + Self.partialTag() + ".partial"
            switch await client.downloadMedia(from: url, to: partial, format: pipeline.format.audio) {
            case .failure(.disk(let reason)):
                return .disk(reason + Self.diskAdvice)
            case .failure(.request(let e)) where e.kind == .forbidden && !refreshed:
                // The link expired between the read and the download: once more with a fresh one.
                refreshed = true
                fetched = nil
                continue
            case .failure(.request(let e)):
                return .failed(e)
            case .success(let media):
                var record = DownloadRecord(file: file, bytes: media.bytes, sha256: media.sha256)
                record.audio = media.audio.detail
                record.playingMillis = media.audio.playingMillis
                record.durationMillis = recording.durationMillis
                switch checkCopy(media, of: id, recording: recording) {
                case .success(let check):
                    record.durationCheck = check
                case .failure(let problem):
                    await media.file.discard()
                    return .failed(RecordingsError(kind: .unreadableResponse, status: 200, attempts: media.attempts, description: problem.description))
                }
                let metadata = Self.sidecar(recording, record: record, format: pipeline.format)
                let placed: String? = await BlockingWorker().run {
                    Self.place(partial: partial, file: file, sidecar: sidecar, metadata: metadata, directory: directory)
                }
                // Locked until now: no other run's sweep can take the verified file before it
                // has its name.
                await media.file.close()
                if let problem = placed { return .disk(problem + Self.diskAdvice) }
                return .done(record)
            }
        }
    }

    /// Whether a verified download is this recording's copy: it plays as long as the recording
    /// (unless `set verify-duration off`), and no other recording of this run has the same
    /// bytes. The playing time check, or why the copy is not one.
    func checkCopy(_ media: MediaDownload, of id: RecordingID, recording: Recording) -> Result<DurationCheck, AudioProblem> {
        let check: DurationCheck
        if !verifyDuration {
            check = .notChecked(DurationCheck.switchedOff)
        } else if let expected = recording.durationMillis {
            let playing = Int(clamping: media.audio.playingMillis)
            guard abs(playing - expected) <= DurationCheck.tolerance(of: expected) else {
                return .failure(AudioProblem(
                    "the copy plays \(Reporter.duration(playing)) (\(media.audio.detail)) but the recording lasts \(Reporter.duration(expected)) (duration_millis \(expected)): not this recording's audio, or not all of it; nothing was kept (if this account's media and metadata disagree by design: set verify-duration off)"))
            }
            check = .matched
        } else {
            check = .notChecked("the API gave no duration_millis")
        }
        if let other = copies.claim(media.sha256, for: id.rawValue) {
            return .failure(AudioProblem(
                "its media is byte for byte the copy already kept for \(other) (sha256 \(media.sha256.prefix(12))…): a media host serving one file for every link; this one was not kept"))
        }
        return .success(check)
    }

    /// `PID-RANDOM`: unique, and which process wrote it, for a person looking at the directory
    /// (whether it is alive is decided by its lock: `sweepPartials`).
    static func partialTag() -> String {
        "\(Executable.processID)-" + Journal.makeRunID()
    }

    /// Removes the `.partial` files a stopped or killed run left in `directory`: they hold
    /// recordings' audio, which must not linger unnoticed. A live run holds a lock (`flock`) on
    /// each of its own from the moment it has a name (`FileDescriptor.createNewLocked`), and
    /// the kernel drops the lock when the run dies, however it dies. So a file is removed only
    /// when it can be locked here: never a live run's, whether that run is in this PID
    /// namespace or another on the same file system (a container on a shared volume), where
    /// its process id would mean nothing. Blocking: one pass over the directory's names.
    static func sweepPartials(in directory: String) -> Int {
        var removed = 0
        Directories.forEachEntry(of: directory) { name, isDirectory in
            guard !isDirectory, isPartialName(name) else { return }
            let path = directory + "/" + name
            guard case .success(let fd) = FileDescriptor.openForReading(path) else { return }
            defer { FileDescriptor.close(fd) }
            // Removed while the lock is held: no run can take it up in between.
            guard FileDescriptor.tryLock(fd) else { return }
            if FileDescriptor.remove(path) { removed += 1 }
        }
        return removed
    }

    /// Whether `name` is a `.partial` file as tnx names them, `.ID.mp3.PID-RANDOM.partial` (or
    /// its metadata's `.ID.mp3.PID-RANDOM.json.partial`): another program's files in DIR are
    /// never touched.
    static func isPartialName(_ name: String) -> Bool {
        guard name.hasPrefix("."), name.hasSuffix(".partial") else { return false }
        var stem = name.dropFirst().dropLast(".partial".count)
        if stem.hasSuffix(".json") { stem = stem.dropLast(".json".count) }
        let parts = stem.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 3, MediaFormat(rawValue: String(parts[parts.count - 2])) != nil else { return false }
        let tag = parts[parts.count - 1].split(separator: "-", omittingEmptySubsequences: false)
        return tag.count == 2 && !tag[0].isEmpty && tag[0].allSatisfy(\.isASCII) && tag[0].allSatisfy(\.isNumber)
            && !tag[1].isEmpty && tag[1].allSatisfy(\.isHexDigit)
    }

    /// What a disk failure message goes on with.
    static let diskAdvice = "; tnx starts no more ids (those already started finish): free some space or choose another directory, then run again with --resume"

    /// The id as a file name: a Telnyx id (lowercase UUID) as it is; any other byte than a
    /// lowercase letter, a digit, `-` or `_` written `%XX`, so that no two ids share a name even
    /// where names ignore case (vfat, exFAT, SMB), and none holds `/`, `..` or a leading dot. A
    /// name that would be longer than 200 bytes becomes `id-` and the SHA-256 of the id.
    static func fileName(_ id: RecordingID) -> String {
        var out = ""
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in id.rawValue.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return out.utf8.count <= 200 ? out : "id-" + MediaHash.hex(Array(id.rawValue.utf8))
    }

    /// `DIR/ID.json`: the recording as the API returned it, and what was saved.
    static func sidecar(_ r: Recording, record: DownloadRecord, format: MediaFormat) -> [UInt8] {
        var w = JSONObjectWriter()
        w.object("recording") { RecordingJSON.write(r, to: &$0) }
        w.object("download") { d in
            d.field("file", String(record.file.split(separator: "/").last ?? ""))
            d.field("format", format.rawValue)
            d.field("bytes", record.bytes)
            d.field("sha256", record.sha256)
            DownloadFields.checks(record, to: &d)
            d.field("downloaded_at", WallClock.iso8601Now())
        }
        var bytes = w.finishBytes()
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// Renames the verified `.partial` into place, then writes the sidecar the same way
    /// (temporary file, `fsync`, rename), then `fsync`s the directory. nil, or what failed.
    /// Blocking.
    static func place(partial: String, file: String, sidecar: String, metadata: [UInt8], directory: String) -> String? {
        if let error = FileDescriptor.rename(partial, to: file) {
            FileDescriptor.remove(partial)
            return "cannot rename '\(partial)' to '\(file)': \(error)"
        }
        let temporary = String(partial.dropLast(".partial".count)) + ".json.partial"
        let fd: Int32
        switch FileDescriptor.createNewLocked(temporary) {
        case .success(let opened): fd = opened
        case .failure(let error): return "cannot write '\(temporary)': \(error)"
        }
        // Closed (unlocked) only once renamed or removed, like the media's `.partial`.
        defer { FileDescriptor.close(fd) }
        if let errno = FileDescriptor.writeAll(fd, metadata) {
            _ = FileDescriptor.remove(temporary)
            return "cannot write '\(temporary)': \(SystemError(errno))"
        }
        if let error = FileDescriptor.sync(fd) {
            _ = FileDescriptor.remove(temporary)
            return "cannot flush '\(temporary)' to the disk: \(error)"
        }
        if let error = FileDescriptor.rename(temporary, to: sidecar) {
            _ = FileDescriptor.remove(temporary)
            return "cannot rename '\(temporary)' to '\(sidecar)': \(error)"
        }
        if let error = FileDescriptor.syncDirectory(directory) { return "cannot flush the directory '\(directory)' to the disk: \(error)" }
        return nil
    }
}

extension Pipeline.Step {
    var name: String {
        switch self {
        case .download: "download"
        case .show: "show"
        case .delete: "delete"
        }
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

extension MediaFormat {
    var audio: AudioFormat {
        switch self {
        case .mp3: .mp3
        case .wav: .wav
        }
    }
}
