import TelnyxRecordings
import TnxLanguage
import TnxSystem

/// What the gate learns from the plans of an invocation before they run.
struct DeleteEstimate {
    var count = 0
    /// What cannot be counted in advance ("every recording listed in <stdin>").
    var uncounted: [String] = []
    /// Some statement may send a real delete (dry-run off), confirmed or not.
    var mayDelete = false
    /// Real `delete ID` statements and bulk deletes, for `--check`'s report.
    var deleteStatements = 0
    var bulkDeletes = 0
    /// Some statement reads the API (`count`, `list`, `show recording`, a query), which
    /// needs the key even in a dry-run.
    var reads = false
    /// Some statement or loop step downloads; some loop downloads before it deletes.
    var downloads = false
    var copiesBeforeDeleting = false
    /// Loops that delete, and those of them that download first.
    var deletingLoops = 0
    var deletingLoopsThatCopy = 0
    /// What each loop that deletes does, in order, for `--check` (`line 3: a purge by query that …`).
    var loops: [String] = []

    var needsConfirmation: Bool { count > 1 || !uncounted.isEmpty }

    var phrase: String {
        var parts: [String] = []
        if count > 0 { parts.append("\(Reporter.grouped(count)) recording\(count == 1 ? "" : "s")") }
        parts += uncounted
        return parts.joined(separator: " and ")
    }
}

/// The safety gate: without confirmation (`--yes`, `set confirm off`, or a `y` in the shell),
/// one invocation never deletes more than one recording.
///
/// Two halves:
/// - before anything runs, `Interpreter.safetyGate` counts, from the plans (`estimate`), what every script of the invocation would
///   delete with `confirm` on, following their `set` statements in order, each script from the
///   invocation's starting settings. More than one, or anything it cannot count for sure (ids
///   from stdin or another stream, files named in a file, a `set dry-run`/`set confirm` inside a
///   loop body), needs confirmation: the shell asks, a script refuses;
/// - while it runs, every real delete with `confirm` on spends one of
///   the session's `DeleteAllowance` (1 unless the gate was answered yes), so no miscount of the first
///   half can ever delete a second recording.
enum SafetyGate {
    /// What `scripts` would delete, each from `start`, following their `set` statements;
    /// `count` counts the ids of a regular file (nil when it cannot). With `asksAfterQueries`
    /// (the shell) a purge by query is left to the question it asks once its snapshot is read;
    /// otherwise it cannot be counted for sure, so it needs confirmation now.
    static func estimate(
        _ scripts: [([PlannedStatement], ScriptContext)], startingFrom start: Settings, asksAfterQueries: Bool = false,
        count: @Sendable (_ path: String, _ resume: Bool) async -> Int?
    ) async -> DeleteEstimate {
        var estimate = DeleteEstimate()
        for (statements, _) in scripts {
            var simulated = start
            await Self.estimate(statements, settings: &simulated, into: &estimate, insideFileLoop: false, asksAfterQueries: asksAfterQueries, count: count)
        }
        return estimate
    }

    private static func estimate(
        _ statements: [PlannedStatement], settings: inout Settings, into estimate: inout DeleteEstimate,
        insideFileLoop: Bool, asksAfterQueries: Bool, count: @Sendable (String, Bool) async -> Int?
    ) async {
        for statement in statements {
            switch statement.action {
            case .set(let assignment):
                if insideFileLoop, !settings.dryRunLocked, assignment.key == .dryRun || assignment.key == .confirm {
                    // Runs once per file: whether the deletes after it are counted, dry or
                    // confirmed depends on how many files there are.
                    estimate.uncounted.append("whatever the loop at \(statement.location) deletes ('set \(assignment.key.rawValue)' inside a loop)")
                }
                settings.apply(assignment)
            case .deleteOne:
                guard !settings.dryRun else { continue }
                estimate.mayDelete = true
                estimate.deleteStatements += 1
                guard settings.confirm else { continue }
                if insideFileLoop {
                    estimate.uncounted.append("the delete at \(statement.location), once for each file of its loop")
                } else {
                    estimate.count += 1
                }
            case .queryLoop(let query, let steps):
                estimate.reads = true
                note(steps, source: "a query", at: statement.location, dryRun: settings.dryRun, into: &estimate)
                // A body that only downloads or shows deletes nothing.
                guard !settings.dryRun, steps.deletes else { continue }
                estimate.mayDelete = true
                estimate.bulkDeletes += 1
                guard settings.confirm, insideFileLoop || !asksAfterQueries else { continue }
                estimate.uncounted.append("every recording matching the query at \(query.location)")
            case .idLoop(let source, let steps):
                if !steps.isDeleteOnly { estimate.reads = true }
                note(steps, source: "an id file", at: statement.location, dryRun: settings.dryRun, into: &estimate)
                guard !settings.dryRun, steps.deletes else { continue }
                estimate.mayDelete = true
                estimate.bulkDeletes += 1
                guard settings.confirm else { continue }
                switch source {
                case .path(let path, let written) where written != "-" && !insideFileLoop:
                    if let n = await count(path, settings.resume) {
                        estimate.count += n
                    } else {
                        estimate.uncounted.append("every recording listed in \(written)")
                    }
                case .path(_, let written):
                    estimate.uncounted.append("every recording listed in \(written == "-" ? "stdin" : written)")
                case .variable(let name):
                    estimate.uncounted.append("every recording listed in the files named by $\(name)")
                }
            case .fileLoop(_, _, let body):
                await Self.estimate(body, settings: &settings, into: &estimate, insideFileLoop: true, asksAfterQueries: asksAfterQueries, count: count)
            case .exit:
                return
            case .count, .list, .showRecording:
                estimate.reads = true
            case .downloadOne:
                estimate.reads = true
                estimate.downloads = true
            case .showSettings, .showLast, .setAPIKey, .help, .run:
                // `run FILE` (shell only) counts its file when it runs, before anything in it.
                break
            }
        }
    }

    private static func note(_ steps: LoopSteps, source: String, at location: SourceLocation, dryRun: Bool, into estimate: inout DeleteEstimate) {
        if steps.deletes, !dryRun {
            estimate.loops.append(describe(steps, source: source, at: location))
            estimate.deletingLoops += 1
            if steps.downloads { estimate.deletingLoopsThatCopy += 1 }
        }
        guard steps.downloads else { return }
        estimate.downloads = true
        if steps.deletes { estimate.copiesBeforeDeleting = true }
    }

    /// `the loop at 3:1 over an id file downloads each recording, then deletes it once its
    /// copy is verified`: what one loop does, exactly, for `--check`.
    private static func describe(_ steps: LoopSteps, source: String, at location: SourceLocation) -> String {
        var verbs: [String] = []
        for step in steps.steps {
            switch step {
            case .download: verbs.append("downloads")
            case .show: verbs.append("shows")
            case .delete: verbs.append(steps.downloads ? "then deletes it once its copy is verified" : "deletes")
            }
        }
        var text = "the loop at \(location) over \(source) "
        if verbs.count == 1 {
            text += verbs[0] + " each recording"
        } else {
            let last = verbs.removeLast()
            text += verbs.joined(separator: ", ") + " each recording" + (last.hasPrefix("then") ? ", " + last : " and " + last + " it")
        }
        return text
    }

    /// Valid, distinct ids in the regular file `path` not in `done`, counted on a thread of
    /// their own; nil for a stream (a pipe, a FIFO, `/dev/stdin`), which can be read only once:
    /// the run reads it.
    static func countDeletable(_ path: String, skipping done: IDSet?) async -> Int? {
        guard FileKind.of(path).isRegular else { return nil }
        let worker = BlockingWorker()
        return await worker.run {
            guard let reader = try? IDLineReader(path: path) else { return 0 }
            var seen = IDSet()
            var n = 0
            while let line = (try? reader.next()) ?? nil {
                guard let id = try? RecordingID(line.text), seen.insert(id.rawValue) else { continue }
                if done?.contains(id.rawValue) == true { continue }
                n += 1
            }
            return n
        }
    }
}
