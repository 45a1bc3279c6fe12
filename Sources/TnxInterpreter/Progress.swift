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
    /// The line as last drawn (without the erase), nil when none was drawn.
    private var line: String?
    /// An outcome line erased it (`beforeOutput`): the next `update` draws it at once.
    private var erased = false

    init(sink: (any OutputSink)?, sharesTerminalWithOutput: Bool, total: Int?) {
        self.sink = sink
        self.sharesTerminal = sharesTerminalWithOutput
        self.total = total
    }

    var isShown: Bool { sink != nil }

    /// Works the line out again (at most ten times a second, and at once after an outcome
    /// line took its place) and draws it.
    mutating func update(_ summary: Summary, activity: ClientActivity.Snapshot?) {
        guard let sink, due() else { return }
        let text = Self.text(summary, total: total, elapsed: (ContinuousClock.now - started).inSeconds, activity: activity)
        line = text
        erased = false
        sink.write("\r\u{1B}[K" + text)
    }

    /// The line while a purge reads its match set: `reading the matches: 12,000 of 40,000, 48
    /// pages`.
    mutating func update(reading count: Int, of announced: Int?, pages: Int) {
        guard let sink, due() else { return }
        let of = announced.map { " of \(Reporter.grouped($0))" } ?? ""
        let text = "reading the matches: \(Reporter.grouped(count))\(of), \(pages) page\(pages == 1 ? "" : "s")"
        line = text
        erased = false
        sink.write("\r\u{1B}[K" + text)
        sink.flush()
    }

    /// Whether to draw now: at most ten times a second, unless an outcome line erased it.
    private mutating func due() -> Bool {
        let now = ContinuousClock.now
        if !erased, let lastDraw, now - lastDraw < .milliseconds(100) { return false }
        lastDraw = now
        return true
    }

    /// Makes way for an outcome line on the same terminal.
    mutating func beforeOutput() {
        guard sharesTerminal, let sink, line != nil, !erased else { return }
        sink.write("\r\u{1B}[K")
        // Drawn again by the next `update`, with what it says then: not the text of before
        // the outcome, which a burst of outcomes would reprint unchanged (`1/37 2%` while 37
        // deletes finish).
        erased = true
    }

    /// Erases the line before the summary is printed.
    mutating func clear() {
        guard let sink, line != nil else { return }
        if !erased { sink.write("\r\u{1B}[K") }
        sink.flush()
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
