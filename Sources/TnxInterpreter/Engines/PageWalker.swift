import TelnyxRecordings

/// The pages of one listing after its first, several at a time: shared by reading a purge's
/// match set (`MatchReader`) and by the batch engine's listing again (`BatchPurge+Verify`).
///
/// Its state is a value (what to ask next, what is in flight, where the listing ends) whose
/// methods say what to do; `walk` carries that out with the client. Two ways to end:
/// - `.announced`: exactly the pages the first page announced (a listing that verifies must
///   be whole: a short or empty page is a flaw for the caller to find, not an end);
/// - `.adaptive`: an empty page, or a page of nothing new, ends the listing there (a server
///   that ignores the page number would otherwise be read page after page), and when the
///   pages shifted while being read (repeats were seen) and the last page was full, one more
///   page is read, up to 1,000 past what was announced.
struct PageWalker {
    enum Ending { case announced, adaptive }

    let ending: Ending
    let maximumInFlight: Int
    private(set) var lastPage: Int
    private let announcedLast: Int
    private var next = 2
    private var inFlight = 0
    private var lastPageFull: Bool
    /// A failure or a problem: nothing more is asked for.
    private var halted = false

    /// `lastPage` as the first page announces it; `firstPageFull`: whether page 1 was full
    /// (a one-page listing whose only page is full may go on, `.adaptive`).
    init(ending: Ending, lastPage: Int, firstPageFull: Bool, maximumInFlight: Int) {
        self.ending = ending
        self.lastPage = lastPage
        self.announcedLast = lastPage
        self.lastPageFull = lastPage == 1 && firstPageFull
        self.maximumInFlight = max(1, maximumInFlight)
    }

    /// The next page to ask for now, if any.
    mutating func nextPage() -> Int? {
        guard !halted, !Task.isCancelled, inFlight < maximumInFlight, next <= lastPage else { return nil }
        defer {
            next += 1
            inFlight += 1
        }
        return next
    }

    /// Nothing is in flight: whether to read one more page past the last (`.adaptive`, when
    /// repeats were seen and the last page was full).
    mutating func extendIfShifted(repeatsSeen: Bool) -> Bool {
        guard ending == .adaptive, !halted, !Task.isCancelled, lastPageFull, repeatsSeen, lastPage < announcedLast + 1_000 else { return false }
        lastPage += 1
        lastPageFull = false
        return true
    }

    /// Page `number` came back with `rows` rows of `size`, `new` of them not seen before.
    mutating func received(_ number: Int, rows: Int, size: Int, broughtNew: Bool) {
        inFlight -= 1
        guard ending == .adaptive else { return }
        if number == lastPage { lastPageFull = rows >= size }
        // An empty page is past the end, and a page of repeats means the server does not
        // page: no page after it is asked for.
        if !broughtNew, number < lastPage { lastPage = max(number, 1) }
    }

    /// A page failed, or the caller found a problem: nothing more is asked for.
    mutating func halt() { halted = true }

    var isIdle: Bool { inFlight == 0 }

    /// Reads the pages `walker` says, handing each to `take` (in the order they arrive, on the
    /// caller's isolation) with its number; `take` returns whether it brought anything new,
    /// and halts the walker when it finds a problem. The first failure, if any.
    static func walk(
        _ walker: inout PageWalker, client: any RecordingsAPI, filter: RecordingFilter, size: Int,
        isolation: isolated (any Actor)? = #isolation, take: (Int, RecordingPage, inout PageWalker) -> Bool
    ) async -> RecordingsError? {
        var failure: RecordingsError?
        await withTaskGroup(of: (Int, Swift.Result<RecordingPage, RecordingsError>).self) { group in
            while true {
                while let number = walker.nextPage() {
                    group.addTask { (number, await client.listRecordings(filter, page: number, size: size)) }
                }
                if walker.isIdle {
                    if walker.extendIfShifted(repeatsSeen: walker.repeatsSeen) { continue }
                    break
                }
                guard let (number, result) = await group.next() else { break }
                switch result {
                case .failure(let error):
                    walker.received(number, rows: 0, size: size, broughtNew: true)
                    failure = failure ?? error
                    walker.halt()
                case .success(let page):
                    let new = take(number, page, &walker)
                    walker.received(number, rows: page.recordings.count, size: size, broughtNew: new)
                }
            }
        }
        return failure
    }

    /// Repeats were seen (the pages shifted while being read): set by the caller's `take`.
    var repeatsSeen = false
}
