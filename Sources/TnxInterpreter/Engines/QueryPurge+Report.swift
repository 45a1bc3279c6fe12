import TelnyxRecordings
import TerminalText
import TnxLanguage

/// What a purge says: its snapshot, a batch dry-run's plan, and the count after it.
extension QueryPurge {
    /// `snapshot 12,345 recordings (oldest …, newest …, 812 h of audio), read in 50 pages;
    /// kept in …/snapshots/….jsonl`; a dry-run's (`matched …`) has no file.
    func reportSnapshot(_ totals: MatchTotals, path: String?, dryRun: Bool = false) {
        Self.reportSnapshot(query: plan.description, totals, path: path, dryRun: dryRun, reporter: reporter, format: settings.output)
    }

    static func reportSnapshot(query: String, _ totals: MatchTotals, path: String?, dryRun: Bool, reporter: Reporter, format: OutputFormat) {
        switch format {
        case .json:
            var s = JSONObjectWriter()
            s.field("query", query)
            totals.write(to: &s)
            s.field("path", orNull: path)
            s.field("dry_run", dryRun)
            var w = JSONObjectWriter()
            w.field("snapshot", json: s.finish())
            reporter.info(w.finish())
        case .text:
            let n = totals.count
            guard n > 0 else {
                reporter.info("no recordings match: \(Reporter.safe(query)); nothing to delete")
                return
            }
            reporter.info(Self.snapshotLine(totals, path: path, dryRun: dryRun, style: reporter.styleOut))
        }
    }

    /// `snapshot 12,345 recordings (…), read in 50 pages (3.1 s); kept in …`.
    static func snapshotLine(_ totals: MatchTotals, path: String?, dryRun: Bool, style: ANSIStyle) -> String {
        let n = totals.count
        // A dry-run keeps no snapshot: it says what matched.
        var line = style.paint(dryRun ? "matched" : "snapshot", .bold) + " \(Reporter.grouped(n)) recording\(n == 1 ? "" : "s")"
        line += " (\(totals.facts)), read in \(totals.pages) page\(totals.pages == 1 ? "" : "s") (\(String(format1: totals.seconds)) s)"
        if let path { line += "; kept in \(Reporter.safe(path))" }
        return line
    }

    /// A dry-run with `method batch`: the chunks a real run would send. None is sent.
    func reportBatchPlan(count: Int) {
        let size = settings.batchSize
        let requests = (count + size - 1) / size
        let last = count - (requests - 1) * size
        switch settings.output {
        case .json:
            var b = JSONObjectWriter()
            b.field("requests", requests)
            b.field("chunk_size", size)
            b.field("last_chunk", last)
            var w = JSONObjectWriter()
            w.field("batch", json: b.finish())
            reporter.info(w.finish())
        case .text:
            let sizes = requests == 1 ? "of \(Reporter.grouped(last)) ids" : last == size ? "of \(size) ids each" : "of \(size) ids (the last of \(last))"
            reporter.info("method batch: would send \(Reporter.grouped(requests)) batch request\(requests == 1 ? "" : "s") \(sizes), then list the query again to verify each recording; none was sent")
        }
    }

    /// `after the purge: 0 recordings match …` and the requests the purge took (`phase`
    /// names those between the snapshot and the count), with what verified a batch purge.
    func reportAfterPurge(_ report: PurgeReport, deleted: Int) {
        Self.reportAfterPurge(report, deleted: deleted, reporter: reporter, format: settings.output)
    }

    static func reportAfterPurge(_ report: PurgeReport, deleted: Int, reporter: Reporter, format: OutputFormat) {
        let left = report.stillMatching ?? 0
        let requests = report.requests
        let perDeleted = requests.flatMap { r in deleted > 0 ? Double(r.total) / Double(deleted) : nil }
        switch format {
        case .json:
            var a = JSONObjectWriter()
            a.field("query", report.query)
            a.field("still_match", left)
            if let requests {
                a.object("requests") { r in
                    r.field("list", requests.list)
                    r.field("delete", requests.delete)
                    r.field("count", requests.count)
                    r.field("total", requests.total)
                }
                if let perDeleted { a.field("requests_per_recording_deleted", json: String(Double(Int(perDeleted * 1000)) / 1000)) }
            }
            if let evidence = report.evidence { a.field("verification", evidence) }
            var w = JSONObjectWriter()
            w.field("after_purge", json: a.finish())
            reporter.info(w.finish())
        case .text:
            var text =
                left == 0
                ? "after the purge, no recordings match: \(Reporter.safe(report.query))"
                : "after the purge: \(Reporter.grouped(left)) still \(left == 1 ? "matches" : "match") (new recordings, or ones not deleted above); run it again to delete them"
            if let requests {
                text += "\n" + Self.requestsLine(requests, phase: report.phase, perDeleted: perDeleted)
            }
            if let evidence = report.evidence { text += "\n" + evidence }
            reporter.info(text)
        }
    }

    /// `requests: 4 list + 1,000 delete + 1 count = 1,005 (1.005 per recording deleted)`.
    static func requestsLine(_ requests: PurgeRequests, phase: String, perDeleted: Double?) -> String {
        var text = "requests: \(requests.list) list + \(Reporter.grouped(requests.delete)) \(phase) + \(requests.count) count = \(Reporter.grouped(requests.total))"
        if let perDeleted { text += " (\(String(format3: perDeleted)) per recording deleted)" }
        return text
    }
}

extension String {
    /// Three decimals: `1.004`.
    init(format3 value: Double) {
        let thousandths = Int((value * 1000).rounded())
        let fraction = String(abs(thousandths % 1000))
        self = "\(thousandths / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
