import TelnyxRecordings
import TnxLanguage

extension Interpreter {
    /// Counts the invocation's deletes from its plans (`SafetyGate.estimate`), checks that a
    /// key is set if any may be sent, and asks or refuses when confirmation is needed. Returns
    /// the status to end with when the invocation must not run. A new invocation starts with
    /// an allowance of one unconfirmed delete; a `nested` one (`run FILE` inside a shell entry)
    /// shares its entry's allowance and must ask when it would go past what is left of it.
    func safetyGate(_ scripts: [([PlannedStatement], ScriptContext)], startingFrom start: Settings, nested: Bool) async -> RunStatus? {
        let resume = services.journal.resume
        let reporter = reporter
        let estimate = await SafetyGate.estimate(scripts, startingFrom: start, asksAfterQueries: environment.askConfirmation != nil) { path, useResume in
            let done = useResume ? await resume.load(reporter: reporter)?.done : nil
            return await SafetyGate.countDeletable(path, skipping: done)
        }
        if estimate.mayDelete || estimate.reads, !environment.connection().hasAPIKey {
            if !estimate.mayDelete { reporter.error("reading recordings from the API (a query, show recording, download) needs an API key, also in a dry-run; " + environment.noKeyAdvice) } else { reporter.error(environment.noKeyAdvice) }
            return .unauthorized
        }
        // A key that a command gives is asked for now, before any question or progress line
        // takes the terminal where a password manager may ask.
        if estimate.mayDelete || estimate.reads, let error = await environment.client.prepareKey() {
            reporter.error(error.description)
            return error.kind == .interrupted ? .interrupted : .unauthorized
        }
        let allowance = services.allowance
        if !nested { allowance.reset() }
        guard estimate.needsConfirmation || estimate.count > allowance.remaining else { return nil }
        if let ask = environment.askConfirmation {
            // What is deleted only once its copy is kept says so: the question is about both.
            let copiesFirst = estimate.deletingLoopsThatCopy > 0 && estimate.deletingLoopsThatCopy == estimate.deletingLoops && estimate.deleteStatements == 0
            if await ask("\(copiesFirst ? "Download and then delete" : "Delete") \(estimate.phrase)? This cannot be undone. [y/N] ") {
                allowance.grantAll()
                return nil
            }
            reporter.info("nothing was deleted")
            return .success
        }
        reporter.error(
            "refusing to delete \(estimate.phrase) without confirmation (deletion is permanent): "
                + "add --yes (or 'set confirm off' in the script) to go ahead, or run with --dry-run first to see exactly what would be deleted")
        return .usage
    }
}
