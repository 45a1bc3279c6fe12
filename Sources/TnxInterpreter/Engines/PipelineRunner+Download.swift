import AudioCheck
import Synchronization
import TelnyxRecordings
import TnxLanguage
import TnxSystem

/// The download step: a fresh link, the media streamed, hashed and checked, then placed.
extension PipelineRunner {
    /// `download $id to DIR`: `DIR/ID.EXT` and `DIR/ID.json`, or (dry-run) the size it would
    /// download.
    func downloadStep(_ id: RecordingID, into directory: String, fetched: inout (recording: Recording, at: ContinuousClock.Instant)?) async -> StepResult {
        let ext = pipeline.format.rawValue
        let name = Self.fileName(id)
        // The planner checked the placeholder; a directory it could not parse has none.
        let target = DownloadDirectory.parse(directory).get(or: DownloadDirectory(path: directory, base: directory, template: nil))

        // Complete from an earlier run: the same size and hash as journaled, where this
        // directory puts it (with a placeholder: under its base, the recording's date decides).
        if !dryRun, let before = earlier[id.rawValue], target.holds(before.file, named: name + "." + ext), before.trusted(verifyDuration: verifyDuration) {
            let file = before.file
            let sidecar = Directories.containing(file) + "/" + name + ".json"
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
            let placed: String
            switch target.resolve(createdAt: recording.createdAt) {
            case .success(let resolved): placed = resolved
            case .failure(let why):
                return .failed(RecordingsError(kind: .unreadableResponse, status: 200, attempts: 1, description: why.description))
            }
            let file = placed + "/" + name + "." + ext
            let sidecar = placed + "/" + name + ".json"
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
                case .failure(let e) where e.kind == .notFound:
                    return await mediaMissing(id, e, fetched: &fetched)
                case .failure(let e):
                    return .failed(e)
                }
            }
            // A name of its own: another run downloading the same recording here never writes
            // into this file. (downloadMedia removes it when it fails.)
            // In the base directory, swept before a run: renamed into the dated one once verified.
            let partial = target.base + "/." + name + "." + ext + "." + Self.partialTag() + ".partial"
            switch await client.downloadMedia(from: url, to: partial, format: pipeline.format.audio) {
            case .failure(.disk(let reason)):
                return .disk(reason + Self.diskAdvice)
            case .failure(.request(let e)) where e.kind == .forbidden && !refreshed:
                // The link expired between the read and the download: once more with a fresh one.
                refreshed = true
                fetched = nil
                continue
            case .failure(.request(let e)) where e.kind == .notFound:
                return await mediaMissing(id, e, fetched: &fetched)
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
                let verified = record
                let placement: Placement = await BlockingWorker().run {
                    if target.template != nil, let problem = Directories.create(placed) { return .disk(problem) }
                    return Self.place(partial: partial, file: file, sidecar: sidecar, metadata: metadata, record: verified, directory: placed)
                }
                // Locked until now: no other run's sweep can take the verified file before it
                // has its name.
                await media.file.close()
                switch placement {
                case .placed: return .done(record)
                case .kept:
                    record.reused = true
                    return .done(record)
                case .refused(let why):
                    return .failed(RecordingsError(kind: .unreadableResponse, status: nil, attempts: media.attempts, description: why))
                case .disk(let problem): return .disk(problem + Self.diskAdvice)
                }
            }
        }
    }

    /// The media host has no file (404) for the link: the recording may have been deleted
    /// since it was read (by another run, another tool, the provider's retention). A fresh
    /// read decides: a 404 there too is a recording already gone, `not_found` as for a delete
    /// of a gone recording; a recording still there whose media is missing stays a failure
    /// (it must not be deleted without its copy).
    func mediaMissing(
        _ id: RecordingID, _ media: RecordingsError, fetched: inout (recording: Recording, at: ContinuousClock.Instant)?
    ) async -> StepResult {
        switch await client.retrieveRecording(id) {
        case .failure(let gone) where gone.kind == .notFound:
            return .notFound(gone)
        case .success(let r):
            fetched = (r, .now)
            var error = media
            error.description += "; the recording itself is still there (read again: 200), so it was not deleted: ask the provider why its media is missing"
            return .failed(error)
        case .failure(let other):
            var error = media
            error.description += "; reading the recording again to see whether it is gone failed too: \(other.description)"
            return .failed(error)
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
}
