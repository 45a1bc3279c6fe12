import TelnyxRecordings
import TnxSystem

/// What an engine (`BulkRun`, `QueryPurge`, `BatchPurge`, `EarlierBatches`) is given to do its
/// job, and nothing more: the client through `RecordingsAPI`, the journal through its writer,
/// the reporter, the gate's allowance, the settings as they were when its statement started,
/// and the few things of the terminal a run needs. An engine never reaches for the
/// `Interpreter`: it returns a typed result (`BulkResult`, `PurgeResult`) that the interpreter
/// keeps for `show last`.
struct EngineContext: Sendable {
    let client: any RecordingsAPI
    let reporter: Reporter
    let journal: JournalWriter
    /// The unconfirmed deletes the safety gate allows (see `DeleteAllowance`).
    let allowance: DeleteAllowance
    /// Opens the journal and confirms the endpoint, once a session, before the first request
    /// that deletes or saves.
    let preparation: DeletePreparation
    /// The settings of the statement, fixed when it starts.
    let settings: Settings
    let terminal: RunTerminal

    /// What the journal says is done (`--resume`), read once a session.
    var resume: ResumeCache { journal.resume }

    /// Whether a progress line goes to stderr: a terminal, text output, no `--quiet`.
    var showsProgress: Bool { !terminal.quiet && settings.output == .text && terminal.stderr.isTerminal }

    /// Spends `count` unconfirmed deletes when `confirm` is on; false when fewer are left.
    func mayDeleteUnconfirmed(_ count: Int = 1) -> Bool {
        guard settings.confirm else { return true }
        return allowance.spend(count)
    }

    /// Opens an id source (a file, a snapshot, `-`); nil when it cannot be, said on stderr with
    /// `consequence` after the reason.
    func openSource(_ path: String, consequence: String = "") async -> IDSource? {
        switch await IDSource.open(path, standardInput: terminal.standardInputDescriptor) {
        case .success(let opened): return opened
        case .failure(let error):
            reporter.error(error.description + consequence)
            return nil
        }
    }
}

/// The parts of the process's terminal and environment a run uses.
struct RunTerminal: Sendable {
    let stdout: any OutputSink
    let stderr: any OutputSink
    /// `--quiet`: no progress line.
    let quiet: Bool
    /// Told when a run's loop has ended (true: its summary and the journal's flush follow)
    /// and when the next starts (false).
    let finishing: @Sendable (Bool) -> Void
    /// Opens stdin for `foreach id in -`.
    let standardInputDescriptor: Int32
    /// How to go on after an interrupted run.
    let resumeAdvice: String
    /// Where a purge keeps its snapshot; nil: `snapshots/` beside the journal.
    let snapshotDirectory: String?
    /// The shell's question; nil in a script.
    let askConfirmation: (@Sendable (String) async -> Bool)?
}
