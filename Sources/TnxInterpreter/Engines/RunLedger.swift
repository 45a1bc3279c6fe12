import TelnyxRecordings
import TnxLanguage

/// The record of one run in progress, owned by its engine's actor (`BulkRun`, `BatchPurge`):
/// each outcome is journaled, counted, printed and drawn on the progress line here, one at a
/// time, so the journal, the summary and the reporter never race.
struct RunLedger {
    var report: BulkReport
    var status = RunStatus.success
    let dryRun: Bool
    let format: OutputFormat
    var progress: Progress
    private let context: EngineContext

    /// Starts a run with a progress line when one is shown (`total` ids, when known).
    init(_ report: BulkReport, total: Int?, context: EngineContext) {
        context.terminal.finishing(false)
        self.report = report
        self.dryRun = report.dryRun
        self.format = context.settings.output
        self.context = context
        self.progress = Progress(
            sink: context.showsProgress ? context.terminal.stderr : nil,
            sharesTerminalWithOutput: context.terminal.stdout.isTerminal, total: total)
    }

    private var reporter: Reporter { context.reporter }

    /// Journals (unless a dry-run), counts, keeps and prints one outcome; false when the run
    /// must stop reading ids.
    mutating func record(_ outcome: Outcome) -> Bool {
        var keepGoing = true
        if !dryRun, let journalFailure = context.journal.record(outcome) {
            status = max(status, journalFailure)
            report.stoppedBecause = JournalWriter.stopped
            keepGoing = false
        }
        report.summary.add(outcome.kind)
        if let download = outcome.download { report.downloads?.add(download) }
        if outcome.kind == .failed || outcome.kind == .invalid, report.problems.count < BulkReport.keptProblems {
            report.problems.append(outcome)
        }
        if outcome.kind == .invalid {
            // The input was not what the user thought: a cron job must notice.
            status = max(status, .failures)
        }
        if outcome.kind == .failed {
            if outcome.error?.kind == .unauthorized {
                status = max(status, .unauthorized)
                report.stoppedBecause = Self.keyRefused(context.client)
                keepGoing = false
            } else if outcome.error?.kind != .interrupted {
                status = max(status, .failures)
            }
        }
        progress.beforeOutput()
        reporter.outcome(outcome, format: format)
        updateProgress()
        return keepGoing
    }

    /// Why a run stops on a 401: what to check, from where `client`'s key came from.
    static func keyRefused(_ client: any RecordingsAPI) -> String {
        KeyOrigin.refusedStop(client.keyOrigin)
    }

    /// Records a `would_delete` outcome of a dry-run without a progress line: what `record`
    /// does for it (a dry-run has no journal), without building the `Outcome`.
    mutating func recordWouldDelete(id: String, line: Int, request: PreparedRequest, lines: inout DryRunLines) {
        report.summary.add(.wouldDelete)
        reporter.stdout.write { lines.append(id: id, line: line, request: request, to: &$0) }
    }

    /// Marks the run as interrupted, or as stopped early for `failure`.
    mutating func mark(interrupted: Bool = false, failure: String? = nil, status: RunStatus = .failures) {
        if interrupted { report.interrupted = true }
        if let failure {
            self.status = max(self.status, status)
            report.stoppedBecause = failure
        }
    }

    /// An audit line (`downloaded` before a delete, `sending`, `batch_sent`); false when it
    /// could not be written: the run stops sending.
    mutating func audit(_ written: Bool) -> Bool {
        if !written { mark(failure: JournalWriter.stopped) }
        return written
    }

    /// Prints a recording fetched by a `show recording $id` step.
    mutating func show(_ recording: Recording) {
        progress.beforeOutput()
        switch format {
        case .json:
            var w = JSONObjectWriter()
            w.object("recording") { RecordingJSON.write(recording, to: &$0, links: .asSent) }
            reporter.info(w.finish())
        case .text:
            reporter.info(Reporter.table(RecordingJSON.rows(recording, links: .asSent)) + "\n")
        }
        updateProgress()
    }

    mutating func updateProgress() {
        guard progress.isShown else { return }
        progress.update(report.summary, activity: context.client.activity?.snapshot)
    }

    /// Ends the run: its status, its summary printed, its report for `show last`.
    mutating func finish(started: ContinuousClock.Instant, resumeAdvice: String, failed: Bool = false) -> BulkResult {
        context.terminal.finishing(true)
        if report.interrupted || Task.isCancelled {
            report.interrupted = true
            status = max(status, .interrupted)
        }
        if failed, !report.interrupted { status = max(status, .failures) }
        report.seconds = (ContinuousClock.now - started).inSeconds
        progress.clear()
        if let reason = report.stoppedBecause, !report.interrupted {
            reporter.error("the run stopped early: \(reason)")
        }
        reporter.summary(
            report.summary, source: report.source, dryRun: dryRun, interrupted: report.interrupted,
            seconds: report.seconds, format: format, resumeAdvice: resumeAdvice, downloads: report.downloads)
        return BulkResult(status: status, report: report)
    }
}

/// How a run of the bulk or batch engine ended.
struct BulkResult: Sendable {
    var status: RunStatus
    /// nil when it did not start (the reason was said).
    var report: BulkReport?

    static func notStarted(_ status: RunStatus) -> BulkResult { BulkResult(status: status, report: nil) }
}
