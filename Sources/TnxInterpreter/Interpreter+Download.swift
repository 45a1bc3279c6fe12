import TelnyxRecordings
import TnxSystem

extension Interpreter {
    /// `download ID to DIR`: one recording's media and metadata, verified, journaled as
    /// `downloaded`. A dry-run reads the recording and the media's size, and writes nothing.
    func downloadOne(_ id: RecordingID, into directory: String) async -> RunStatus {
        let dryRun = settings.dryRun
        if !dryRun {
            if let refused = await services.preparation.prepare() { return refused }
            // Without its placeholder: the dated directories are made as copies arrive.
            if let problem = Directories.create(DownloadDirectory.parse(directory).map(\.base).get(or: directory)) {
                reporter.error("\(problem); nothing was downloaded")
                return .failures
            }
        }
        let runner = PipelineRunner(
            pipeline: Pipeline(steps: [.download(directory: directory)], format: settings.format), client: environment.client,
            dryRun: dryRun, earlier: [:], journal: { _ in true }, verifyDuration: settings.verifyDuration)
        let result = await runner.run(id, origin: nil)
        let outcome = result.outcome
        if !dryRun, let failure = services.journal.record(outcome) {
            reporter.outcome(outcome, format: settings.output)
            return failure
        }
        reporter.outcome(outcome, format: settings.output)
        last = .delete(outcome)
        if let reason = result.stopRun { reporter.error(reason) }
        return Self.status(of: outcome)
    }
}
