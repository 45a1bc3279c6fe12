import TelnyxRecordings
import TnxLanguage

extension Interpreter {
    /// `show settings`: every setting, and where requests go. The key is never shown.
    func showSettings() {
        let connection = environment.connection()
        // The key and where requests go are the connection's, fixed before anything ran.
        let own = SettingKey.allCases.filter { $0 != .apiKey && Language.setting($0.rawValue)?.startupOnly != true }
        var rows: [(String, String)] = own.map { ($0.rawValue, settings.value(of: $0)) }
        let key: String
        if connection.hasAPIKey {
            key = "set" + (connection.keySource.map { " (\($0))" } ?? "")
        } else {
            key = KeyOrigin.missingShort
        }
        rows.append(("api-key", key))
        // In JSON the value stays a URL that `jq` can use as is.
        let urlSource = settings.output == .text ? connection.baseURLSource.map { " (\($0))" } ?? "" : ""
        rows.append(("base-url", connection.baseURL + urlSource))
        rows.append(("profile", connection.profile ?? "none"))
        rows.append(("journal", environment.journal?.path ?? "off (--no-journal)"))
        switch settings.output {
        case .json:
            // Numbers as numbers and on/off as booleans, so `jq` needs no conversions.
            var w = JSONObjectWriter()
            for (name, value) in rows {
                if let number = Int(value), name == SettingKey.concurrency.rawValue || name == SettingKey.batchSize.rawValue || name == SettingKey.verifySample.rawValue {
                    w.field(dynamic: name, number)
                } else if let flag = ["on": true, "off": false][value], let key = SettingKey(rawValue: name), key != .keepSnapshots {
                    w.field(dynamic: name, flag)
                } else {
                    w.field(dynamic: name, value)
                }
            }
            var outer = JSONObjectWriter()
            outer.field("settings", json: w.finish())
            reporter.info(outer.finish())
        case .text:
            reporter.info(Reporter.table(rows))
        }
    }

    /// `show last`: the previous delete's recording or error in full, or the previous bulk
    /// run's summary with its failures.
    func showLast() {
        switch (last, settings.output) {
        case (.nothing, _):
            reporter.info("nothing yet: 'show last' shows the result of the previous delete or foreach")
        case (.delete(let outcome), .json):
            reporter.info(Reporter.json(outcome))
        case (.delete(let outcome), .text):
            reporter.info(Self.details(outcome))
        case (.purge(let purge), let format):
            showPurge(purge, format: format)
        case (.bulk(let run), let format):
            showRun(run, format: format)
        }
    }

    /// A purge: what matched, its run (summary, failures), and what still matched after it,
    /// with the requests it took.
    private func showPurge(_ purge: PurgeReport, format: OutputFormat) {
        guard let matched = purge.matched else {
            // (In JSON nothing: there is no line of a purge that read nothing.)
            if format == .text { reporter.info("purge of \(Reporter.safe(purge.query)): stopped before its matches were all read; nothing was deleted") }
            return
        }
        if purge.run == nil, !purge.declined, matched.count > 0, purge.snapshotPath == nil, !purge.dryRun, format == .text {
            reporter.info("purge of \(Reporter.safe(purge.query)): its snapshot could not be kept; nothing was deleted")
            return
        }
        QueryPurge.reportSnapshot(query: purge.query, matched, path: purge.snapshotPath, dryRun: purge.dryRun, reporter: reporter, format: format)
        if purge.declined, format == .text { reporter.info("not confirmed: nothing was deleted") }
        if let run = purge.run { showRun(run, format: format) }
        if purge.stillMatching != nil {
            QueryPurge.reportAfterPurge(purge, deleted: purge.run?.summary[.deleted] ?? 0, reporter: reporter, format: format)
        }
    }

    /// A bulk run: its summary, why it stopped, and its failures.
    private func showRun(_ run: BulkReport, format: OutputFormat) {
        reporter.summary(
            run.summary, source: run.source, dryRun: run.dryRun, interrupted: run.interrupted, seconds: run.seconds,
            format: format, resumeAdvice: environment.resumeAdvice)
        if let reason = run.stoppedBecause, format == .text { reporter.info("stopped early: \(reason)") }
        for problem in run.problems { reporter.outcome(problem, format: format) }
        let problems = run.summary[.failed] + run.summary[.invalid]
        if problems > run.problems.count, format == .text {
            reporter.info("(\(problems - run.problems.count) more failed or invalid ids are in the journal)")
        }
    }

    static func details(_ o: Outcome) -> String {
        var rows: [(String, String)] = [("outcome", o.kind.rawValue), ("id", o.id)]
        if let status = o.httpStatus { rows.append(("http_status", String(status))) }
        if o.attempts > 1 { rows.append(("attempts", String(o.attempts))) }
        if let request = o.request {
            rows.append(("request", "\(request.method) \(request.url)"))
            for header in request.headers { rows.append(("  " + header.name, header.value)) }
        }
        if let error = o.error {
            rows.append(("error", error.kind.rawValue))
            if let requestID = error.requestID { rows.append(("request_id", requestID)) }
            for api in error.apiErrors {
                rows.append(("  code", api.code))
                rows.append(("  title", api.title))
                if let detail = api.detail { rows.append(("  detail", detail)) }
            }
            rows.append(("message", error.description))
        } else if let message = o.message {
            rows.append(("note", message))
        }
        if let recording = o.recording {
            rows.append(("recording", "(what the API returned)"))
            rows += RecordingJSON.rows(recording).map { ("  " + $0.0, $0.1) }
        }
        return Reporter.table(rows)
    }
}

extension Reporter {
    /// Two aligned columns. The values are sanitised: most came from the API or the user.
    static func table(_ rows: [(String, String)]) -> String {
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(width + 2) + safe($0.1) }.joined(separator: "\n")
    }
}
