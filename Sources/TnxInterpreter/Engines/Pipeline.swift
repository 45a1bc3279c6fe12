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

    init(steps: [Step], format: MediaFormat) {
        self.steps = steps
        self.format = format
    }

    var deletes: Bool { steps.last == .delete }
    /// Only `delete`: the bulk engine's plain path, with no read per id.
    var isDeleteOnly: Bool { steps == [.delete] }
    /// The directories to create before the first id and to sweep of `.partial` files: each
    /// download directory without its placeholder (`DownloadDirectory.base`).
    var directories: [String] {
        steps.compactMap { if case .download(let directory) = $0 { DownloadDirectory.parse(directory).map(\.base).get(or: directory) } else { nil } }
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

extension Pipeline.Step {
    var name: String {
        switch self {
        case .download: "download"
        case .show: "show"
        case .delete: "delete"
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

extension Result {
    /// The success value, or `fallback`.
    func get(or fallback: Success) -> Success {
        if case .success(let value) = self { return value }
        return fallback
    }
}
