import TnxLanguage

extension Interpreter {
    /// `tnx --check`: every source checked (diagnostics printed), and for each clean one what
    /// it would do: `retention.tnx: ok (1 bulk delete of 1,234 recordings; needs --yes to run)`.
    /// Reads the id files it names to count them; contacts nothing.
    public static func checkReport(
        _ inputs: [Input], settings: Settings, stdout: any OutputSink, stderr: any OutputSink, colour: Bool
    ) async -> Bool {
        let reporter = Reporter(stdout: stdout, stderr: stderr, colourOut: false, colourErr: colour)
        var clean = true
        var used: Set<String> = []
        var plans: [(plan: [PlannedStatement], input: Input)] = []
        for input in inputs {
            guard let plan = ScriptChecker.checked(input.file, context: input.context, settings: settings, reporter: reporter, usedParameters: &used) else {
                clean = false
                continue
            }
            plans.append((plan, input))
        }
        for (plan, input) in plans {
            let estimate = await SafetyGate.estimate([(plan, input.context)], startingFrom: settings) { path, _ in
                await SafetyGate.countDeletable(path, skipping: nil)
            }
            reporter.info("\(Reporter.safe(input.file.name)): ok (\(describe(estimate, settings: settings)))")
        }
        // A parameter that no script uses is an error (said once the scripts parse: one with a
        // syntax error may use it past its error).
        if clean, let unused = ScriptChecker.unusedParameters(inputs, used: used) {
            reporter.error(unused.message)
            clean = false
        }
        stdout.flush()
        stderr.flush()
        return clean
    }

    private static func describe(_ e: DeleteEstimate, settings: Settings) -> String {
        guard e.mayDelete else {
            let what = e.downloads ? "downloads; deletes nothing" : "deletes nothing"
            return settings.dryRunLocked ? "dry-run: \(what)" : what
        }
        var parts: [String] = []
        if e.deleteStatements > 0 { parts.append("\(e.deleteStatements) delete statement\(e.deleteStatements == 1 ? "" : "s")") }
        if e.bulkDeletes > 0 { parts.append("\(e.bulkDeletes) bulk delete\(e.bulkDeletes == 1 ? "" : "s")") }
        var text = parts.joined(separator: " and ")
        if e.count > 0 || !e.uncounted.isEmpty { text += " of " + e.phrase }
        if e.deletingLoopsThatCopy > 0, e.deletingLoopsThatCopy == e.deletingLoops {
            text += ", each only once its downloaded copy is verified"
        } else if e.deletingLoopsThatCopy > 0 {
            // Loops of different kinds: each said as it is.
            text += " (" + e.loops.joined(separator: "; ") + ")"
        }
        text += e.needsConfirmation ? "; needs --yes to run" : "; runs without confirmation"
        return text
    }
}
