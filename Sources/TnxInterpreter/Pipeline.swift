import TelnyxRecordings
import TnxLanguage
import TnxSystem

/// The steps of a loop body on its id, run in order for each id while the ids run
/// concurrently: `download $id to DIR`, `show recording $id`, `delete $id` (last).
///
/// When a step fails for an id, its later steps do not run: **a recording is never deleted
/// unless its download finished and was verified** (every byte `Content-Length` announced, on
/// the disk, renamed into place, its metadata beside it). Before a delete, the verified copy
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
                    // Ctrl-C during the download: nothing is left of it, nothing was deleted.
                    return ended(.skipped, step: "download", message: "not finished: interrupted during the download (nothing was deleted)")
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
        if !dryRun, let before = earlier[id.rawValue], before.file == file {
            // Off the pool: hashing a wav of hundreds of MB takes a while.
            let complete = await BlockingWorker().run { () -> Bool in
                guard case .regular(let size) = FileKind.of(file), size == before.bytes, case .regular = FileKind.of(sidecar),
                    case .success(let now) = MediaHash.file(file)
                else { return false }
                return now.bytes == before.bytes && now.sha256 == before.sha256
            }
            if complete { return .done(DownloadRecord(file: file, bytes: before.bytes, sha256: before.sha256, reused: true)) }
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
            switch await client.downloadMedia(from: url, to: partial) {
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
                let record = DownloadRecord(file: file, bytes: media.bytes, sha256: media.sha256)
                let metadata = Self.sidecar(recording, record: record, format: pipeline.format)
                let placed: String? = await BlockingWorker().run {
                    Self.place(partial: partial, file: file, sidecar: sidecar, metadata: metadata, directory: directory)
                }
                if let problem = placed { return .disk(problem + Self.diskAdvice) }
                return .done(record)
            }
        }
    }

    /// `PID-RANDOM`: whose `.partial` file it is (see `sweepPartials`), and unique.
    static func partialTag() -> String {
        "\(Executable.processID)-" + Journal.makeRunID()
    }

    /// Removes the `.partial` files a killed run left in `directory` (their process is gone):
    /// they hold recordings' audio, which must not linger unnoticed. Those of a run still
    /// going are left alone. Blocking: one pass over the directory's names.
    static func sweepPartials(in directory: String) -> Int {
        var removed = 0
        Directories.forEachEntry(of: directory) { name, isDirectory in
            guard !isDirectory, name.hasPrefix("."), name.hasSuffix(".partial") else { return }
            var stem = name.dropLast(".partial".count)
            if stem.hasSuffix(".json") { stem = stem.dropLast(".json".count) }
            guard let dot = stem.lastIndex(of: "."), let dash = stem[dot...].firstIndex(of: "-"),
                let pid = Int32(stem[stem.index(after: dot)..<dash]), !Executable.isRunning(pid)
            else { return }
            if FileDescriptor.remove(directory + "/" + name) { removed += 1 }
        }
        return removed
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
        switch FileDescriptor.createNew(temporary) {
        case .success(let opened): fd = opened
        case .failure(let error): return "cannot write '\(temporary)': \(error)"
        }
        if let errno = FileDescriptor.writeAll(fd, metadata) {
            FileDescriptor.close(fd)
            _ = FileDescriptor.remove(temporary)
            return "cannot write '\(temporary)': \(SystemError(errno))"
        }
        if let error = FileDescriptor.sync(fd) {
            FileDescriptor.close(fd)
            _ = FileDescriptor.remove(temporary)
            return "cannot flush '\(temporary)' to the disk: \(error)"
        }
        FileDescriptor.close(fd)
        if let error = FileDescriptor.rename(temporary, to: sidecar) { return "cannot rename '\(temporary)' to '\(sidecar)': \(error)" }
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
