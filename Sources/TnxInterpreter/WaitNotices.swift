import Synchronization
import TelnyxRecordings
import TnxSystem

/// Says on stderr, as it starts, every wait of two seconds or more that the client announces:
/// `waiting 60 s: rate limited (HTTP 429; the server's Retry-After)`. A pause of every request
/// is always said; one request backing off is said at most once every two seconds (thirty
/// ids retrying together make one line, with a count of the others).
final class WaitNotices: Sendable {
    private struct State {
        var lastOneRequest: ContinuousClock.Instant?
        var unsaid = 0
    }
    private let state = Mutex(State())
    private let stderr: any OutputSink
    private let progressOnScreen: @Sendable () -> Bool

    init(stderr: any OutputSink) {
        self.stderr = stderr
        self.progressOnScreen = { stderr.isTerminal }
    }

    func say(_ notice: ClientNotice) {
        let now = ContinuousClock.now
        let others: Int? = state.withLock { s in
            guard notice.scope == .oneRequest else { return 0 }
            if let last = s.lastOneRequest, now - last < .seconds(2) {
                s.unsaid += 1
                return nil
            }
            s.lastOneRequest = now
            defer { s.unsaid = 0 }
            return s.unsaid
        }
        guard let others else { return }
        var line = "waiting \(notice.wait.shortText): \(notice.reason)"
        if others > 0 { line += " (and \(others) more retr\(others == 1 ? "y" : "ies") since the last notice)" }
        // On a terminal the progress line may be on screen: the notice takes its place, and the
        // next update draws it again below.
        let clear = progressOnScreen() ? "\r\u{1B}[K" : ""
        stderr.write(clear + "tnx: " + Reporter.safe(line) + "\n")
    }
}
