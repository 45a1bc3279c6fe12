import TelnyxRecordings
import TnxLanguage
import TnxSystem

/// `count`, `list` and `show recording`: looking before deleting. They only read
/// (`GET /recordings`, `GET /recordings/{id}`), so they run the same with dry-run on or off.
extension Interpreter {
    /// `count QUERY`: one request of one recording, and the API's `meta.total_results`.
    func count(_ query: Query) async -> RunStatus {
        let plan = QueryPlan(query, now: QueryPlan.now())
        switch await environment.client.countRecordings(plan.filter) {
        case .failure(let error):
            reporter.error(error.description)
            return Self.status(of: error)
        case .success(let n):
            switch settings.output {
            case .json:
                var w = JSONObjectWriter()
                w.field("count", n)
                w.field("query", plan.description)
                reporter.info(w.finish())
            case .text:
                reporter.info("\(Reporter.grouped(n)) \(Self.match(n)): \(Reporter.safe(plan.description))")
            }
            return .success
        }
    }

    /// `list QUERY [limit N]`: the matches in the API's order, one line (or JSON object) each. In the
    /// shell a list without a limit stops at `Language.shellListLimit` and says how many more
    /// match; a script lists them all.
    func list(_ query: Query, limit: Int?, context: ScriptContext) async -> RunStatus {
        let plan = QueryPlan(query, now: QueryPlan.now())
        let cap = limit ?? (context.origin == .repl ? Language.shellListLimit : nil)
        let size = min(RecordingsClient.maximumPageSize, cap ?? RecordingsClient.maximumPageSize)
        var shown = 0
        var total: Int?
        var page = 1
        var previousFirst: String?
        while true {
            if Task.isCancelled { return .interrupted }
            let answer: RecordingPage
            switch await environment.client.listRecordings(plan.filter, page: page, size: size) {
            case .failure(let error):
                reporter.error(error.description)
                return Self.status(of: error)
            case .success(let got): answer = got
            }
            if page == 1 { total = answer.totalResults }
            // A server that ignores the page number answers the same page again: stop there.
            if page > 1, let first = answer.recordings.first?.id, first == previousFirst {
                reporter.warning("page \(page) of the list repeats page \(page - 1); the list stops here")
                break
            }
            previousFirst = answer.recordings.first?.id
            for recording in answer.recordings.prefix(size) {
                if let cap, shown >= cap { break }
                listed(recording)
                shown += 1
            }
            environment.stdout.flush()
            let pages = min(answer.totalPages ?? .max, total.map { ($0 + size - 1) / size } ?? .max)
            let lastPage = pages == .max ? answer.recordings.count < size : page >= pages
            if lastPage || answer.recordings.isEmpty || (cap.map { shown >= $0 } ?? false) { break }
            page += 1
        }
        if shown == 0, settings.output == .text {
            reporter.info("no recordings match: \(Reporter.safe(plan.description))")
        }
        if limit == nil, let cap, shown >= cap, let total, total > shown {
            let more = total - shown
            reporter.note(
                "\(Reporter.grouped(more)) more \(Self.match(more)); 'list … limit N' shows more, 'count …' counts them")
        }
        return .success
    }

    /// `show recording ID`: every field the API has for one recording.
    func showRecording(_ id: RecordingID) async -> RunStatus {
        switch await environment.client.retrieveRecording(id) {
        case .failure(let error):
            reporter.error(error.description)
            return Self.status(of: error)
        case .success(let recording):
            switch settings.output {
            case .json:
                var w = JSONObjectWriter()
                RecordingJSON.write(recording, to: &w, links: .asSent)
                reporter.info(w.finish())
            case .text:
                reporter.info(Reporter.table(RecordingJSON.rows(recording, links: .asSent)))
            }
            return .success
        }
    }

    /// One recording of `list`.
    private func listed(_ recording: Recording) {
        switch settings.output {
        case .json:
            var w = JSONObjectWriter()
            RecordingJSON.write(recording, to: &w, links: .asSent)
            var line = w.finishBytes()
            line.append(UInt8(ascii: "\n"))
            environment.stdout.write(bytes: line)
        case .text:
            environment.stdout.write(Reporter.line(recording) + "\n")
        }
    }

    static func match(_ n: Int) -> String { n == 1 ? "recording matches" : "recordings match" }

    /// The status a failed read ends its statement with.
    static func status(of error: RecordingsError) -> RunStatus { RunStatus(failed: error) }
}

extension Reporter {
    /// `3fa85f64-…  2025-01-02T03:04:05Z  3m12s  +12125551234 → +14155550000`: a recording
    /// as `list` shows it, every part sanitised (it all came from the server).
    static func line(_ r: Recording) -> String {
        var parts = [safe(r.id ?? "(no id)", limit: 80)]
        parts.append(safe(r.createdAt ?? "(no created_at)", limit: 40))
        parts.append(r.durationMillis.map { duration(max(0, $0)) } ?? "?")
        parts.append("\(safe(r.from ?? "?", limit: 40)) → \(safe(r.to ?? "?", limit: 40))")
        return parts.joined(separator: "  ")
    }

    /// A note for people on stderr, outside the results (`12 more recordings match`).
    func note(_ message: String) {
        stderr.write("tnx: " + Self.safe(message) + "\n")
    }
}
