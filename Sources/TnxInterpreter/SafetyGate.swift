import TelnyxRecordings
import TnxLanguage

extension Interpreter {
    /// How many recordings a script would delete with confirmation on. Counted before anything
    /// runs, following the `set dry-run` and `set confirm` statements in order.
    struct DeleteEstimate {
        var count = 0
        /// Sources whose ids cannot be counted in advance (stdin, files named in a file).
        var uncounted: [String] = []

        var needsConfirmation: Bool { count > 1 || !uncounted.isEmpty }

        var phrase: String {
            var parts: [String] = []
            if count > 0 { parts.append("\(Reporter.grouped(count)) recording\(count == 1 ? "" : "s")") }
            parts += uncounted.map { "every recording listed in \($0)" }
            return parts.joined(separator: " and ")
        }
    }

    /// The safety gate: deleting more than one recording needs `--yes` / `set confirm off`
    /// in a script, or a `y` in the REPL. Returns the status to end with when refused.
    func safetyGate(_ statements: [Statement]) async -> RunStatus? {
        var simulated = settings
        var estimate = DeleteEstimate()
        await self.estimate(statements, settings: &simulated, into: &estimate, insideFileLoop: false)
        guard estimate.needsConfirmation else { return nil }
        if let ask = environment.askConfirmation {
            if await ask("Delete \(estimate.phrase)? This cannot be undone. [y/N] ") { return nil }
            reporter.info("nothing was deleted")
            return .success
        }
        reporter.error(
            "refusing to delete \(estimate.phrase) without confirmation (deletion is permanent): "
                + "add --yes (or 'set confirm off' in the script) to go ahead, or run with --dry-run first to see exactly what would be deleted")
        return .usage
    }

    private func estimate(_ statements: [Statement], settings: inout Settings, into estimate: inout DeleteEstimate, insideFileLoop: Bool) async {
        for statement in statements {
            switch statement.kind {
            case .set(let assignment):
                settings.apply(assignment)
            case .delete:
                if !settings.dryRun && settings.confirm { estimate.count += 1 }
            case .foreach(_, _, let source, let body):
                if Planner.isIDLoop(statement) {
                    guard !settings.dryRun && settings.confirm else { continue }
                    switch source.kind {
                    case .literal(let path) where path != "-" && !insideFileLoop:
                        estimate.count += await countDeletable(path)
                    case .literal:
                        estimate.uncounted.append("stdin")
                    case .variable(let name):
                        estimate.uncounted.append("the files named by $\(name)")
                    }
                } else {
                    await self.estimate(body, settings: &settings, into: &estimate, insideFileLoop: true)
                }
            case .exit:
                return
            case .show, .help:
                break
            }
        }
    }

    /// Valid, distinct ids in `path` that `--resume` would not skip.
    private func countDeletable(_ path: String) async -> Int {
        guard let reader = try? IDLineReader(path: path) else { return 0 }
        if environment.resume, completedIDs == nil, let journal = environment.journal {
            completedIDs = try? Journal.completedIDs(at: journal.path)
        }
        var seen = IDSet()
        var n = 0
        while let line = (try? reader.next()) ?? nil {
            guard let id = try? RecordingID(line.text), seen.insert(id.rawValue) else { continue }
            if environment.resume, completedIDs?.contains(id.rawValue) == true { continue }
            n += 1
        }
        return n
    }
}
