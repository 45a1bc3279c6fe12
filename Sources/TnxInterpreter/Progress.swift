import TnxSystem
import TelnyxRecordings

/// The progress line of a bulk run on stderr, when stderr is a terminal and output is text:
/// `1,204/5,000 24% · 310/s · ETA 13s · 2 failed · 5 retries · paused 42s: rate limited …`.
///
/// It stays on screen: an outcome printed to the same terminal erases it and draws it again
/// below, and a tick redraws it while nothing else happens (a rate-limit pause counts down).
/// Its text is worked out at most ten times a second.
struct Progress {
    private let sink: (any OutputSink)?
    /// Whether outcomes go to the same terminal, so the line must make way for each.
    private let sharesTerminal: Bool
    private let total: Int?
    private let started = ContinuousClock.now
    private var lastDraw: ContinuousClock.Instant?
    /// The line as last drawn (without the erase), nil when none is on screen.
    private var line: String?

    init(sink: (any OutputSink)?, sharesTerminalWithOutput: Bool, total: Int?) {
        self.sink = sink
        self.sharesTerminal = sharesTerminalWithOutput
        self.total = total
    }

    var isShown: Bool { sink != nil }

    /// Works the line out again (at most ten times a second) and draws it.
    mutating func update(_ summary: Summary, activity: ClientActivity.Snapshot?) {
        guard let sink else { return }
        let now = ContinuousClock.now
        if let lastDraw, now - lastDraw < .milliseconds(100) { return }
        lastDraw = now
        let text = Self.text(summary, total: total, elapsed: (now - started).inSeconds, activity: activity)
        line = text
        sink.write("\r\u{1B}[K" + text)
    }

    /// Makes way for an outcome line on the same terminal.
    mutating func beforeOutput() {
        guard sharesTerminal, let sink, line != nil else { return }
        sink.write("\r\u{1B}[K")
    }

    /// Puts the line back after an outcome line.
    mutating func afterOutput() {
        guard sharesTerminal, let sink, let line else { return }
        sink.write(line)
    }

    /// Erases the line before the summary is printed.
    mutating func clear() {
        guard let sink, line != nil else { return }
        sink.write("\r\u{1B}[K")
        line = nil
    }

    static func text(_ summary: Summary, total: Int?, elapsed: Double, activity: ClientActivity.Snapshot?) -> String {
        let done = summary.read
        let rate = elapsed > 0.5 ? Double(done) / elapsed : 0
        var head = Reporter.grouped(done)
        if let total, total > 0 { head += "/\(Reporter.grouped(total)) \(min(100, done * 100 / total))%" }
        var parts = [head]
        if rate > 0 { parts.append("\(Reporter.grouped(Int(rate)))/s") }
        if let total, rate > 0, total > done { parts.append("ETA \(Self.duration(Double(total - done) / rate))") }
        if summary.failed > 0 { parts.append("\(Reporter.grouped(summary.failed)) failed") }
        if let retries = activity?.retries, retries > 0 { parts.append("\(Reporter.grouped(retries)) retr\(retries == 1 ? "y" : "ies")") }
        if let paused = activity?.pausedFor {
            parts.append("paused \(Self.duration(paused.inSeconds)): " + Reporter.safe(activity?.pauseReason ?? "", limit: 60))
        }
        return parts.joined(separator: " · ")
    }

    /// `42s`, `3m05s`, `1h02m`.
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(s % 60).leftPadded(2))s" }
        return "\(s / 3600)h\(String(s / 60 % 60).leftPadded(2))m"
    }
}
