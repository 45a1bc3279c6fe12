#if canImport(Glibc)
import Glibc
#endif
import TelnyxRecordings
import TnxLanguage

extension Interpreter {
    /// `foreach id in FILE delete $id`: streams the ids, deletes each valid, new one once with
    /// at most `concurrency` requests in flight, and gives every id read exactly one outcome.
    ///
    /// Outcomes are recorded here on the actor in the order requests finish: journal first
    /// (one write each, so a crash loses only in-flight ids), then summary and output.
    /// Ctrl-C (task cancellation) stops reading new ids; requests on the wire finish and are
    /// recorded. A 401 stops reading at once.
    func bulkDelete(from path: String) async -> RunStatus {
        let reader: IDLineReader
        do {
            reader = try path == "-"
                ? IDLineReader(descriptor: environment.standardInputDescriptor, name: "<stdin>")
                : IDLineReader(path: path)
        } catch {
            reporter.error(error.description)
            return .failures
        }
        let dryRun = settings.dryRun
        let format = settings.output
        let concurrency = settings.concurrency
        let client = environment.client

        if environment.resume, !dryRun, completedIDs == nil {
            guard let journal = environment.journal else {
                reporter.error("--resume needs the journal; it cannot be used with --no-journal")
                return .usage
            }
            do throws(JournalError) {
                completedIDs = try Journal.completedIDs(at: journal.path)
            } catch {
                reporter.error(error.description)
                return .usage
            }
        }
        let done = dryRun ? nil : completedIDs

        let showProgress = !environment.quiet && format == .text && environment.stderr.isTerminal
        bulk = BulkState(
            report: BulkReport(source: reader.name, dryRun: dryRun), dryRun: dryRun, format: format,
            progress: Progress(
                sink: showProgress ? environment.stderr : nil,
                total: showProgress && path != "-" ? Self.countLines(path) : nil))
        var seen = IDSet(expected: path == "-" ? 0 : Self.estimatedIDCount(path))
        // A dry-run's lines are written straight from their parts (see `DryRunLines`), except
        // under a progress line, which is redrawn around each.
        var dryRunLines: DryRunLines? =
            !dryRun ? nil
            : format == .json ? .json(source: reader.name)
            : showProgress ? nil : .text(label: reporter.wouldDeleteLabel)
        let started = ContinuousClock.now

        await withTaskGroup(of: Outcome.self) { group in
            var inFlight = 0
            reading: while true {
                if Task.isCancelled {
                    markBulk(interrupted: true)
                    break
                }
                let line: IDLine?
                do throws(IDSourceError) {
                    line = try reader.next()
                } catch {
                    reporter.error(error.description)
                    markBulk(failure: error.description)
                    break
                }
                guard let line else { break }
                // Built only when an outcome needs it: not for each line of a json dry-run.
                var origin: String { "\(reader.name):\(line.number)" }
                let id: RecordingID
                do throws(InvalidRecordingID) {
                    id = try RecordingID(line.text)
                } catch {
                    if !record(Outcome(kind: .invalid, id: line.text, origin: origin, message: error.description)) { break }
                    continue
                }
                guard seen.insert(id.rawValue) else {
                    if !record(Outcome(kind: .duplicate, id: id.rawValue, origin: origin, message: "already read earlier in this run")) { break }
                    continue
                }
                if let done, done.contains(id.rawValue) {
                    if !record(Outcome(kind: .skipped, id: id.rawValue, origin: origin, message: "done in an earlier run (journal)")) { break }
                    continue
                }
                if dryRun {
                    // No I/O: no task per id, which keeps a million-id dry-run fast.
                    let result = await client.deleteRecording(id, dryRun: true)
                    if case .wouldDelete(let request) = result, dryRunLines != nil {
                        recordWouldDelete(id: id.rawValue, line: line.number, request: request, lines: &dryRunLines!)
                        continue
                    }
                    if !record(Outcome(result, id: id, origin: origin)) { break }
                    continue
                }
                if inFlight >= concurrency, let finished = await group.next() {
                    inFlight -= 1
                    let keepGoing = record(finished)
                    if !keepGoing || Task.isCancelled {
                        // The id just read was not sent: it still gets its one outcome.
                        let why = keepGoing ? "not sent: interrupted" : "not sent: the run stopped"
                        _ = record(Outcome(kind: .skipped, id: id.rawValue, origin: origin, message: why))
                        if keepGoing { markBulk(interrupted: true) }
                        break reading
                    }
                }
                let sentFrom = origin
                group.addTask {
                    Outcome(await client.deleteRecording(id, dryRun: false), id: id, origin: sentFrom)
                }
                inFlight += 1
            }
            while let finished = await group.next() {
                _ = record(finished)
            }
        }
        guard var run = bulk else { return .failures }
        bulk = nil
        if run.report.interrupted || Task.isCancelled {
            run.report.interrupted = true
            run.status = max(run.status, .interrupted)
        }
        run.report.seconds = Progress.seconds(ContinuousClock.now - started)
        run.progress.clear()
        if let reason = run.report.stoppedBecause, !run.report.interrupted {
            reporter.error("the run stopped early: \(reason)")
        }
        reporter.summary(
            run.report.summary, source: run.report.source, dryRun: dryRun, interrupted: run.report.interrupted,
            seconds: run.report.seconds, format: format)
        last = .bulk(run.report)
        return run.status
    }

    /// Records one outcome of the bulk run in progress; returns false when the run must stop
    /// reading ids.
    func record(_ outcome: Outcome) -> Bool {
        guard let dryRun = bulk?.dryRun else { return false }
        let journalFailure = dryRun ? nil : journal(outcome)
        return bulk!.record(outcome, journalFailure: journalFailure, reporter: reporter)
    }

    /// Records a `would_delete` outcome of a dry-run without a progress line: what `record`
    /// does for it (a dry-run has no journal), without building the `Outcome`.
    func recordWouldDelete(id: String, line: Int, request: PreparedRequest, lines: inout DryRunLines) {
        guard bulk != nil else { return }
        bulk!.report.summary.add(.wouldDelete)
        reporter.stdout.write { lines.append(id: id, line: line, request: request, to: &$0) }
    }

    /// Marks the bulk run in progress as interrupted or failed while reading.
    func markBulk(interrupted: Bool = false, failure: String? = nil) {
        if interrupted { bulk?.report.interrupted = true }
        if let failure {
            bulk?.status = max(bulk?.status ?? .failures, .failures)
            bulk?.report.stoppedBecause = failure
        }
    }

    /// About how many ids `path` holds, from its size (a UUID line is 37 bytes).
    static func estimatedIDCount(_ path: String) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return Int(info.st_size) / 37 + 16
    }

    /// Lines in `path` that may hold ids, for the progress line's total. Cheap: no validation.
    static func countLines(_ path: String) -> Int? {
        guard let reader = try? IDLineReader(path: path) else { return nil }
        var n = 0
        while (try? reader.next()) ?? nil != nil { n += 1 }
        return n
    }
}

/// The state of the bulk run in progress, kept on the interpreter actor so that outcomes
/// finishing on other threads are recorded one at a time.
struct BulkState {
    var report: BulkReport
    var status = RunStatus.success
    let dryRun: Bool
    let format: OutputFormat
    var progress: Progress

    /// Counts, keeps and prints one outcome (already journaled); false when the run must stop.
    mutating func record(_ outcome: Outcome, journalFailure: RunStatus?, reporter: Reporter) -> Bool {
        var keepGoing = true
        if let journalFailure {
            status = max(status, journalFailure)
            report.stoppedBecause = "the journal could not be written"
            keepGoing = false
        }
        report.summary.add(outcome.kind)
        if outcome.kind == .failed || outcome.kind == .invalid, report.problems.count < BulkReport.keptProblems {
            report.problems.append(outcome)
        }
        if outcome.kind == .failed {
            if outcome.error?.kind == .unauthorized {
                status = max(status, .unauthorized)
                report.stoppedBecause = "the API refused the key (401); check TELNYX_API_KEY"
                keepGoing = false
            } else if outcome.error?.kind != .interrupted {
                status = max(status, .failures)
            }
        }
        progress.clear()
        reporter.outcome(outcome, format: format)
        progress.update(report.summary)
        return keepGoing
    }
}
