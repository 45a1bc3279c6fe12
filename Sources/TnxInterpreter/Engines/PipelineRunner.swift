import AudioCheck
import Synchronization
import TelnyxRecordings
import TnxLanguage
import TnxSystem

/// Runs a pipeline for one id. Not on the `BulkRun` actor: many run at once; what must be
/// recorded in order (the journal) goes through `journal`.
struct PipelineRunner: Sendable {
    let pipeline: Pipeline
    let client: any RecordingsAPI
    let dryRun: Bool
    /// `--resume`: the downloads an earlier run journaled, by id.
    let earlier: [String: JournaledDownload]
    /// Appends a line to the journal (on the `BulkRun` actor); false when it could not be written.
    let journal: @Sendable (Outcome) async -> Bool
    /// `set verify-duration`: a copy must play as long as its recording.
    var verifyDuration = true
    /// The copies of this run, by hash: one file for two recordings is not a copy of either.
    var copies = CopyRegistry()
    /// Journals the id `sending` (on the `BulkRun` actor) just before its delete goes; false when it could
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
}
