import CivilTime

/// What a response says about when to ask again: `retry-after-ms`, `Retry-After` and the
/// `x-ratelimit-*` headers Telnyx documents (`x-ratelimit-reset` is seconds until the window
/// resets). Every field is `nil` when its header is absent or unparseable.
public struct ServerHints: Sendable, Hashable {
    /// From `retry-after-ms`, else `Retry-After` (delta seconds or an HTTP date).
    public var retryAfter: Duration?
    public var limit: Int?
    public var remaining: Int?
    /// Time until the rate-limit window resets.
    public var reset: Duration?

    public init(retryAfter: Duration? = nil, limit: Int? = nil, remaining: Int? = nil, reset: Duration? = nil) {
        self.retryAfter = retryAfter
        self.limit = limit
        self.remaining = remaining
        self.reset = reset
    }

    public static let none = ServerHints()

    /// Parses the header values (each `nil` when absent). `now` is the wall clock in seconds
    /// since 1970, for an HTTP-date `Retry-After`.
    public static func parse(
        retryAfterMs: String?, retryAfter: String?, limit: String?, remaining: String?, reset: String?,
        now: Double
    ) -> ServerHints {
        var hints = ServerHints()
        if let ms = retryAfterMs.flatMap(parseNumber) {
            hints.retryAfter = duration(seconds: ms / 1000)
        } else if let value = retryAfter {
            hints.retryAfter = parseRetryAfter(value, now: now)
        }
        hints.limit = limit.flatMap(parseNumber).flatMap(saneInt)
        hints.remaining = remaining.flatMap(parseNumber).flatMap(saneInt)
        hints.reset = reset.flatMap(parseNumber).flatMap(duration(seconds:))
        return hints
    }

    /// The longest wait a hint can express here; the retry policy trusts far less (60 s).
    /// Clamping before a `Duration` is made matters: `retry-after-ms: 1e24` overflows one.
    public static let maximumHint: Double = 86_400

    /// `seconds` as a duration, clamped to 0…`maximumHint`; nil when not a finite number.
    static func duration(seconds: Double) -> Duration? {
        guard seconds.isFinite else { return nil }
        return .milliseconds(Int64((min(max(seconds, 0), maximumHint) * 1000).rounded()))
    }

    /// `Retry-After: 120` or `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`. A date in the past
    /// means "now" (zero).
    public static func parseRetryAfter(_ value: String, now: Double) -> Duration? {
        if let seconds = parseNumber(value) { return duration(seconds: seconds) }
        guard let date = HTTPDate.parse(value) else { return nil }
        return duration(seconds: date - now)
    }

    static func parseNumber(_ text: String) -> Double? {
        let trimmed = text.trimmingASCIISpaces()
        guard !trimmed.isEmpty, trimmed.utf8.count < 32 else { return nil }
        // Only plain decimals: no "inf", "nan", hex or exponents from a hostile header.
        for byte in trimmed.utf8 where !(byte >= 0x30 && byte <= 0x39) && byte != UInt8(ascii: ".") {
            return nil
        }
        return Double(trimmed)
    }

    /// A count from a header: whole, not negative, clamped to a billion (a larger budget
    /// means "no limit" just as well, and arithmetic on it can never overflow).
    static func saneInt(_ value: Double) -> Int? {
        value.isFinite && value >= 0 ? Int(min(value, 1e9)) : nil
    }
}

extension String {
    func trimmingASCIISpaces() -> Substring {
        var sub = Substring(self)
        while let first = sub.utf8.first, first == 0x20 || first == 0x09 { sub = sub.dropFirst() }
        while let last = sub.utf8.last, last == 0x20 || last == 0x09 { sub = sub.dropLast() }
        return sub
    }
}

/// HTTP dates (RFC 9110 §5.6.7): IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, and the obsolete
/// RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT` and asctime `Sun Nov  6 08:49:37 1994` forms.
enum HTTPDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Seconds since 1970-01-01T00:00:00Z, or nil.
    static func parse(_ text: String) -> Double? {
        guard text.utf8.count <= 64 else { return nil }
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "-" || $0 == "\t" })
        var day: Int?, month: Int?, year: Int?, time: (Int, Int, Int)?
        for token in tokens {
            let lower = token.lowercased()
            if let index = months.firstIndex(of: lower) {
                month = index + 1
            } else if token.contains(":") {
                let parts = token.split(separator: ":")
                guard parts.count == 3, let h = Int(parts[0]), let m = Int(parts[1]), let s = Int(parts[2]),
                    (0..<24).contains(h), (0..<60).contains(m), (0...60).contains(s)
                else { return nil }
                time = (h, m, s)
            } else if let number = Int(token) {
                if token.count == 4 {
                    year = number
                } else if day == nil, (1...31).contains(number) {
                    day = number
                } else if token.count == 2 {
                    year = number < 70 ? 2000 + number : 1900 + number
                } else {
                    return nil
                }
            }
        }
        guard let day, let month, let year, let time else { return nil }
        let days = CivilTime.days(year: year, month: month, day: day)
        return Double(days * 86_400 + time.0 * 3600 + time.1 * 60 + time.2)
    }
}
