/// The state of a loop that reads ids from an `IDSource` while requests are in flight, kept
/// apart from its effects in the style of AsyncHTTPClient's `RequestBag+StateMachine`: the
/// engine (`BulkRun`, `BatchPurge`) tells it what happened (`read`, `ended`, `started`,
/// `finished`, `stop`, `ticked`) and asks what to do next (`nextLine`, `beforeWait`), and
/// carries that out. Both engines read, stop and drain the same way because they share it.
///
/// States: reading (a read is outstanding), ended (the source said so, or failed), stopping
/// (Ctrl-C, a 401, the journal; no line is taken any more, what is in flight finishes), and
/// the count of requests in flight. The loop is over when nothing is in flight and no read
/// is outstanding.
struct IDFeed {
    /// What the engine must start before it waits for the next event.
    enum Action: Equatable {
        /// Ask the source for up to this many lines.
        case read(limit: Int)
        /// Start a progress tick.
        case tick
    }

    /// Requests (ids, or chunks) in flight at once, at most.
    let concurrency: Int
    /// Lines asked for in one read.
    let readAhead: Int
    /// A progress line is shown: ticks redraw it while nothing else happens.
    let ticks: Bool

    private var pending: [IDLine] = []
    private var next = 0
    private(set) var inFlight = 0
    private var reading = false
    private(set) var hasEnded = false
    private(set) var isStopping = false
    private var ticking = false

    init(concurrency: Int, readAhead: Int, ticks: Bool = false) {
        self.concurrency = concurrency
        self.readAhead = readAhead
        self.ticks = ticks
    }

    /// The next line read and not taken, when another request may start: not stopping, fewer
    /// than `concurrency` in flight. Taking it is final: the engine owes it an outcome.
    mutating func nextLine() -> IDLine? {
        guard !isStopping, next < pending.count, inFlight < concurrency else { return nil }
        next += 1
        return pending[next - 1]
    }

    /// Every line read and not taken, whatever is in flight, also while stopping: for an
    /// engine that keeps its own buffer (the batch engine's chunks).
    mutating func takeAll() -> ArraySlice<IDLine> {
        defer { next = pending.count }
        return pending[next...]
    }

    mutating func started(_ count: Int = 1) { inFlight += count }
    mutating func finished(_ count: Int = 1) { inFlight -= count }

    /// Stops taking lines; true the first time (the source is then told to stop reading).
    mutating func stop() -> Bool {
        defer { isStopping = true }
        return !isStopping
    }

    /// Lines arrived (also while stopping: they are owed their outcome, as `unstarted`).
    mutating func read(_ lines: [IDLine]) {
        reading = false
        if next > 0 {
            pending.removeFirst(next)
            next = 0
        }
        pending += lines
    }

    /// The source ended, or failed.
    mutating func ended() {
        reading = false
        hasEnded = true
    }

    mutating func ticked() { ticking = false }

    /// What to start before waiting, or nil when the loop is over. `wantsLines` is whether
    /// the engine could use more lines now (the bulk engine: it took every line read; the
    /// batch engine: its buffer is below what its chunks in flight can use).
    mutating func beforeWait(wantsLines: Bool? = nil) -> [Action]? {
        var actions: [Action] = []
        if !isStopping, !hasEnded, !reading, wantsLines ?? (next == pending.count) {
            reading = true
            actions.append(.read(limit: readAhead))
        }
        if inFlight == 0 && !reading { return nil }
        if ticks, !ticking, !isStopping {
            ticking = true
            actions.append(.tick)
        }
        return actions
    }

    /// The lines read and never taken, once the loop is over: each is owed a `skipped`.
    var unstarted: ArraySlice<IDLine> { pending[next...] }
}
