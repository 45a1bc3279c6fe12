import TelnyxRecordings

/// What `show last` shows: the result of the previous delete or foreach.
enum LastResult {
    case nothing
    case delete(Outcome)
    case bulk(BulkReport)
    /// A purge by query: its snapshot, its run, the count after it.
    case purge(PurgeReport)
}

/// A finished bulk run, kept for `show last`.
struct BulkReport: Sendable {
    static let keptProblems = 1_000

    var source: String
    var summary = Summary()
    /// The first `keptProblems` failed and invalid outcomes.
    var problems: [Outcome] = []
    var seconds = 0.0
    var dryRun: Bool
    var interrupted = false
    /// Why the run stopped early, when it did.
    var stoppedBecause: String?
    /// What the download steps saved, when the loop body downloads.
    var downloads: DownloadTotals?
}

/// What the download steps of a run saved (or, in a dry-run, would download).
struct DownloadTotals: Sendable, Hashable {
    var files = 0
    var bytes = 0
    /// Files already complete from an earlier run (`--resume`): not downloaded again.
    var reused = 0
    var wouldBytes = 0

    mutating func add(_ d: DownloadRecord) {
        if d.dryRun {
            wouldBytes += d.bytes
        } else if d.reused {
            reused += 1
        } else {
            files += 1
            bytes += d.bytes
        }
    }
}
