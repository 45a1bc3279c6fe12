/// What can go wrong in the sandbox, on purpose. Settable while it runs (`Sandbox.setFaults`).
public struct SandboxFaults: Sendable, Hashable {
    /// Added to every request to a recording, after the recording is deleted: a client that
    /// gives up early still has its recording deleted, as with the real API.
    public var latency: Duration
    /// A fixed-window rate limit answering 429 (code 10011) once spent.
    public var rateLimit: RateLimit?
    /// Fraction (0…1) of requests to a recording answered with 500/502/503/504 instead of being
    /// carried out. Decided from `seed`, the id and how many times that id was asked, so a
    /// given run of requests fails the same way on every machine whatever the concurrency.
    public var serverErrorRate: Double
    /// Fraction (0…1) of those 5xx answers whose body is an HTML page (as from a proxy).
    public var htmlErrorFraction: Double
    public var seed: UInt64
    /// Answers meant to break a client (see `Hostility`).
    public var hostility: Set<Hostility>
    /// How long a media link (`download_urls`) stays valid once the API has handed it out;
    /// then the media host answers 403, as storage does for an expired presigned link.
    public var mediaLinkLifetime: Duration
    /// The bitrate of every recording's MP3 (MPEG-2.5 Layer III at 8 kHz, mono), in kbit/s:
    /// 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144 or 160. An MP3 at 8 kbit/s is about
    /// 1 KB a second of audio; a WAV is always 8 kHz, 8-bit PCM, mono (8 KB a second).
    public var mediaKbps: Int
    /// What goes wrong with every media request (nil: nothing); `Sandbox.scriptMedia` does it
    /// for one recording's next requests.
    public var media: MediaFault?
    /// What `POST /recordings/actions/delete` does: the API documents no size cap, no per-id
    /// result and no rule for unknown ids, so the sandbox can behave each way.
    public var batch: BatchBehaviour

    public init(
        latency: Duration = .zero, rateLimit: RateLimit? = nil, serverErrorRate: Double = 0,
        htmlErrorFraction: Double = 0.25, seed: UInt64 = 1, hostility: Set<Hostility> = [],
        mediaLinkLifetime: Duration = .seconds(300), mediaKbps: Int = 8, media: MediaFault? = nil,
        batch: BatchBehaviour = .ignoresUnknown
    ) {
        self.batch = batch
        self.mediaLinkLifetime = mediaLinkLifetime
        self.mediaKbps = MP3Frames.bitrates.contains(mediaKbps) ? mediaKbps : 8
        self.media = media
        self.latency = latency
        self.rateLimit = rateLimit
        self.serverErrorRate = serverErrorRate
        self.htmlErrorFraction = htmlErrorFraction
        self.seed = seed
        self.hostility = hostility
    }

    /// A hostile or broken server, one behaviour each: what a client must survive without a
    /// crash, a hang, a lost outcome or an unjournaled delete.
    public enum Hostility: String, Sendable, Hashable, CaseIterable {
        /// 429s carry `retry-after-ms` and `Retry-After` of 10^24 (no clock can hold them).
        /// Takes effect with a `rateLimit`.
        case absurdRetryHints = "absurd-retry-hints"
        /// `x-ratelimit-reset` says the window ends in 35 days. Takes effect with a `rateLimit`.
        case bogusResetWindow = "bogus-reset-window"
        /// The first request after each 429 loses its connection before any answer (the
        /// recording is not deleted).
        case resetAfterRateLimit = "reset-after-429"
        /// A delete answers 200 with a body of over 2 MiB (the recording is deleted).
        case oversizedSuccess = "oversized-success"
        /// Recordings (`from`, `to`) and error titles carry terminal escape sequences, C1
        /// controls and bidirectional overrides.
        case escapesInText = "escapes-in-text"
        /// A delete answers 200, then the connection breaks in the middle of the body (the
        /// recording is deleted).
        case cutOffSuccess = "cut-off-success"
        /// `GET /recordings` ignores its filters: every recording is listed, whatever was asked.
        case listIgnoresFilters = "list-ignores-filters"
        /// Each page of `GET /recordings` starts one recording early, repeating the last of the
        /// page before (as when new recordings arrive while the pages are read); `meta` still
        /// counts plain pages, so the last recordings spill past the announced last page.
        case overlappingPages = "overlapping-pages"
        /// Each page of `GET /recordings` leaves out its last recording; `meta` still counts it
        /// (a listing that cannot prove what is gone).
        case listOmitsOne = "list-omits-one"
        /// `GET /recordings/{id}` leaves out `duration_millis` (the media still plays as long
        /// as the recording lasts).
        case noDurations = "no-durations"
        /// Each page of `GET /recordings` holds one recording more than its `page[size]` (the
        /// first of the next page, or a made-up one on the last): a server that does not keep
        /// to what it was asked cannot be trusted to list what matches.
        case oversizedPage = "oversized-page"
    }

    /// How the batch delete treats what it is sent.
    public enum BatchBehaviour: Sendable, Hashable {
        /// Deletes the ids it knows, ignores the others; 200 `{"status":"ok"}`.
        case ignoresUnknown
        /// Any unknown id: 404 (code 10005), and nothing is deleted.
        case unknownFails
        /// More than this many ids: 400 (code 10015), and nothing is deleted.
        case sizeCap(Int)
        /// Answers 200 but keeps every `n`-th id it was sent (by its place in the request).
        case keepsSome(every: Int)
        /// As `keepsSome`, and the listing no longer shows what it kept (as a search index
        /// updated before the store): only reading each back (`GET`, 200) finds them.
        case keepsSomeUnlisted(every: Int)
        /// Deletes every id it knows, then answers 500: a batch carried out whose answer says
        /// it failed.
        case failsAfterDeleting
        /// Answers 500 and deletes nothing.
        case fails
        /// Answers 401 (code 10009), as for a key that may not delete in batches.
        case refusesKey
        /// Answers 429 (code 10011, `retry-after-ms: 10`) every time: a limit that never lifts.
        case rateLimited
    }

    /// A media request that goes wrong, on purpose.
    public enum MediaFault: Sendable, Hashable {
        /// `Content-Length` says the whole file, then the connection breaks halfway.
        case truncated
        /// 404 `NoSuchKey`, as when storage lost the object.
        case missing
        /// The recording is removed just as its media is asked for, as by another client of
        /// the account (not counted as deleted by a request): storage answers 404
        /// `NoSuchKey`, and the API 404 from then on.
        case removedMeanwhile
        /// 403 `AccessDenied: Request has expired`, whatever the link says.
        case expired
        /// The first KiB, then a pause this long, then the rest.
        case slow(Duration)
        /// 500 from storage.
        case serverError
        /// 200 without `Content-Length` (chunked): a size nobody announced.
        case noLength
        /// 200 with no bytes at all.
        case empty
        /// 200 with an HTML page, as a proxy or a captive portal answers.
        case html
        /// 200, `Content-Type: audio/mpeg` (or `audio/wav`), and an 18-byte HTML login page.
        case htmlAsAudio
        /// 200, an audio type, and one byte.
        case oneByte
        /// 200 with `Content-Encoding: gzip` whatever the request asked: the file, gzipped.
        case gzip
        /// The first half of the file, with a `Content-Length` that says so: a body its own
        /// header cuts short.
        case shortened
        /// A whole, valid file of half the recording's playing time.
        case otherDuration
        /// One file, the same bytes for every link (as a storage misconfigured to serve one
        /// object): a valid MP3 or WAV of 60 s.
        case sameForAll
        /// The whole file, then an HTML page after its last frame (in `Content-Length` too).
        case trailingJunk
    }

    /// `\u{1B}]0;pwned\u{07}\u{1B}[2J\u{9B}31m\u{202E}`: what `escapesInText` puts in text.
    public static let hostileText = "\u{1B}]0;pwned\u{07}\u{1B}[2J\u{9B}31m\u{202E}\u{2028}\u{2029}\u{85}"

    public static let none = SandboxFaults()

    /// `requests` per `window`; every response to a recording carries `x-ratelimit-limit`,
    /// `x-ratelimit-remaining` and `x-ratelimit-reset` (whole seconds until the window ends).
    public struct RateLimit: Sendable, Hashable {
        public enum Hint: Sendable, Hashable {
            /// No `Retry-After` (what Telnyx promises: only the `x-ratelimit-*` headers).
            case none
            /// `Retry-After: <whole seconds until the window ends>`.
            case retryAfterSeconds
            /// `retry-after-ms: <milliseconds until the window ends>`.
            case retryAfterMilliseconds
            /// `Retry-After: <HTTP date of the window's end>`.
            case retryAfterDate
        }

        public var requests: Int
        public var window: Duration
        public var hint: Hint
        /// Whether to send `x-ratelimit-*` headers at all.
        public var sendsHeaders: Bool

        public init(requests: Int, window: Duration = .seconds(1), hint: Hint = .none, sendsHeaders: Bool = true) {
            self.requests = max(0, requests)
            self.window = window
            self.hint = hint
            self.sendsHeaders = sendsHeaders
        }
    }
}

/// A canned answer for one request to one id, queued with `Sandbox.script(_:for:)`; the
/// requests after the queue is empty are handled normally.
public struct SandboxResponse: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// The normal behaviour (delete, or 404), then `delay` before answering.
        case normal(delay: Duration)
        /// A fixed answer; nothing is deleted.
        case fixed(status: Int, headers: [String: String], body: String)
    }

    public var kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    /// Deletes as usual, then waits `delay` before answering: a client with a shorter timeout
    /// gives up although the recording is gone.
    public static func slow(_ delay: Duration) -> SandboxResponse { .init(.normal(delay: delay)) }

    public static func fixed(status: Int, headers: [String: String] = [:], body: String) -> SandboxResponse {
        .init(.fixed(status: status, headers: headers, body: body))
    }

    /// The API's error JSON: `{"errors":[{"code":…,"title":…,"detail":…}]}`.
    public static func apiError(
        status: Int, code: String, title: String, detail: String? = nil, headers: [String: String] = [:]
    ) -> SandboxResponse {
        var headers = headers
        headers["content-type"] = "application/json"
        return .fixed(status: status, headers: headers, body: SandboxJSON.errors(code: code, title: title, detail: detail))
    }

    /// An HTML page, as a proxy or load balancer sends.
    public static func html(status: Int) -> SandboxResponse {
        .fixed(status: status, headers: ["content-type": "text/html"], body: SandboxJSON.htmlPage(status: status))
    }

    /// JSON cut off in the middle.
    public static func truncatedJSON(status: Int) -> SandboxResponse {
        .fixed(status: status, headers: ["content-type": "application/json"], body: "{\"errors\":[{\"code\":\"100")
    }
}
