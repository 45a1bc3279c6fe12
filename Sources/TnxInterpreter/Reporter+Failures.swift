import Synchronization
import TelnyxRecordings

/// What reaches a person when a cron job's stdout goes to a log: every `failed` outcome is also
/// said on stderr (each of the first `shownOneByOne`, then grouped by reason at the end), and a
/// run that does not exit 0 ends stderr with one line that says why and where to look.
///
/// A class shared by every copy of the interpreter's `Reporter`: outcomes of concurrent ids
/// are counted under one lock.
public final class FailureTally: Sendable {
    /// Failures said one line each before they are only counted by reason.
    static let shownOneByOne = 20

    private struct State {
        var read = 0
        var failed = 0
        var invalid = 0
        /// Failures past the first `shownOneByOne`, by reason, in the order first seen.
        var unshown: [(reason: String, count: Int)] = []
        /// The journal could not be written.
        var journal = false
    }
    private let state = Mutex(State())

    public init() {}

    /// Counts one id's outcome; true when it is a failure to say on its own line.
    func count(_ o: Outcome) -> Bool {
        state.withLock { s in
            s.read += 1
            switch o.kind {
            case .invalid:
                s.invalid += 1
                return false
            case .failed:
                s.failed += 1
                guard s.failed > Self.shownOneByOne else { return true }
                let reason = Self.reason(o)
                if let i = s.unshown.firstIndex(where: { $0.reason == reason }) {
                    s.unshown[i].count += 1
                } else {
                    s.unshown.append((reason, 1))
                }
                return false
            default:
                return false
            }
        }
    }

    /// What a failure says: its step and reason.
    static func said(_ o: Outcome) -> String {
        (o.step.map { "[\($0)] " } ?? "") + (o.message ?? o.error?.description ?? "failed")
    }

    /// A failure's reason without its id, so that like failures group.
    static func reason(_ o: Outcome) -> String {
        String(said(o).replacing(o.id, with: "ID").prefix(300))
    }

    /// Notes that the journal could not be written (said on stderr already).
    func journalFailed() {
        state.withLock { $0.journal = true }
    }

    /// The grouped lines of the failures not said one by one: `158 more failed: REASON`.
    public func groupedLines() -> [String] {
        state.withLock { s in s.unshown.map { "\($0.count) more failed: \($0.reason)" } }
    }

    /// The closing line of an invocation that exits `status` (not 0): why, and where to look.
    /// `keyCheck`: what to check about the key in use (`KeyOrigin.check`), when there is one.
    public func closingLine(status: Int32, journal: String?, keyCheck: String? = nil) -> String {
        let (read, failed, invalid, journalFailed) = state.withLock { ($0.read, $0.failed, $0.invalid, $0.journal) }
        let look = journal.map { "; journal \($0)" } ?? ""
        switch status {
        case 1:
            var why: [String] = []
            if failed > 0 { why.append("\(Reporter.grouped(failed)) of \(Reporter.grouped(read)) recording\(read == 1 ? "" : "s") failed (each said above)") }
            if invalid > 0 { why.append("\(Reporter.grouped(invalid)) id line\(invalid == 1 ? " was" : "s were") not a recording id") }
            if journalFailed { why.append("the journal could not be written (see above)") }
            // A statement that failed on its own: a count, a list, the API that could not be reached.
            if why.isEmpty { why.append("a statement failed (said above)") }
            return "exit 1: " + why.joined(separator: ", ") + look
        case 2:
            return "exit 2: stopped by the error above (a usage or syntax error, the journal, the base URL, or the safety gate)" + look
        case 3:
            return "exit 3: the API refused the key, or there was none (see above); \(keyCheck ?? "check where the key comes from (show settings)")" + look
        case 4:
            return "exit 4: another tnx is using the journal (see above); nothing was sent" + look
        case 129, 130, 143:
            let signal = status == 130 ? "Ctrl-C (SIGINT)" : status == 143 ? "SIGTERM" : "SIGHUP"
            return "exit \(status): stopped by \(signal); what was not done is said above: run the same command with --resume to go on" + look
        default:
            return "exit \(status)" + look
        }
    }
}
