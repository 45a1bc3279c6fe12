/// The progress line of a bulk run on stderr: done/total, rate, ETA and failures, redrawn
/// at most ten times a second, and only when stderr is a terminal and output is text.
struct Progress {
    private let sink: (any OutputSink)?
    private let total: Int?
    private let started = ContinuousClock.now
    private var lastDraw = ContinuousClock.now
    private var drawn = false

    init(sink: (any OutputSink)?, total: Int?) {
        self.sink = sink
        self.total = total
    }

    mutating func update(_ summary: Summary) {
        guard let sink else { return }
        let now = ContinuousClock.now
        guard now - lastDraw >= .milliseconds(100) else { return }
        lastDraw = now
        drawn = true
        let done = summary.read
        let elapsed = Self.seconds(now - started)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var line = "\r\u{1B}[K" + Reporter.grouped(done)
        if let total, total > 0 {
            line += "/\(Reporter.grouped(total))  \(min(100, done * 100 / total))%"
        }
        line += "  \(Reporter.grouped(Int(rate)))/s"
        if let total, rate > 0, total > done {
            line += "  ETA \(Int(Double(total - done) / rate) + 1)s"
        }
        if summary.failed > 0 { line += "  \(Reporter.grouped(summary.failed)) failed" }
        sink.write(line)
    }

    /// Erases the line before the summary is printed.
    mutating func clear() {
        guard let sink, drawn else { return }
        sink.write("\r\u{1B}[K")
        drawn = false
    }

    static func seconds(_ d: Duration) -> Double {
        let (s, attos) = d.components
        return Double(s) + Double(attos) / 1e18
    }
}
