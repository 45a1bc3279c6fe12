import CivilTime

/// The directory of a `download` step, which may place each copy under its recording's own
/// date: `download $id to "archive/{created:yyyy/MM}"` saves a recording made on 2026-03-14
/// as `archive/2026/03/ID.mp3`.
///
/// The one placeholder is `{created:FORMAT}`: FORMAT is made of `yyyy`, `MM`, `dd` and `HH`
/// (the recording's `created_at` in UTC) and the separators `/ - _ .`; anything else in braces
/// is refused by the checker, before anything runs. The part before the first placeholder's
/// own directory is the *base*: created (mode 0700) before the first id, where `.partial`
/// files are written and swept, so that a copy is renamed into its dated directory, on the same
/// file system, only once it is verified.
struct DownloadDirectory: Sendable, Hashable {
    enum Part: Sendable, Hashable {
        case text(String)
        /// `yyyy/MM`: the tokens and separators of a `{created:…}`.
        case created(String)
    }

    /// The directory as written (absolute), placeholders included.
    let path: String
    /// The directory without any placeholder: `path` itself when it has none.
    let base: String
    /// What follows `base` (a `/` first), nil when `path` has no placeholder.
    let template: [Part]?

    /// The tokens a FORMAT may use, longest first.
    static let tokens = ["yyyy", "MM", "dd", "HH"]
    static let separators: Set<Character> = ["/", "-", "_", "."]

    /// `path` parsed, or why it cannot be a download directory (for the checker's message).
    static func parse(_ path: String) -> Result<DownloadDirectory, TemplateProblem> {
        guard let open = path.firstIndex(where: { $0 == "{" || $0 == "}" }) else {
            return .success(DownloadDirectory(path: path, base: path, template: nil))
        }
        let slash = path[..<open].lastIndex(of: "/") ?? path.startIndex
        let base = String(path[..<slash])
        var parts: [Part] = []
        var rest = path[slash...]
        while let brace = rest.firstIndex(where: { $0 == "{" || $0 == "}" }) {
            if brace > rest.startIndex { parts.append(.text(String(rest[..<brace]))) }
            guard rest[brace] == "{", let close = rest[brace...].firstIndex(of: "}") else {
                return .failure(.unbalanced)
            }
            let inner = rest[rest.index(after: brace)..<close]
            guard inner.hasPrefix("created:") else { return .failure(.unknown(String(inner))) }
            let format = String(inner.dropFirst("created:".count))
            guard Self.isFormat(format) else { return .failure(.format(format)) }
            parts.append(.created(format))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        return .success(DownloadDirectory(path: path, base: base.isEmpty ? "/" : base, template: parts))
    }

    /// Why a directory's placeholder is refused.
    enum TemplateProblem: Error, Equatable {
        /// A `{` never closed, or a `}` never opened.
        case unbalanced
        /// `{name}` other than `{created:…}`.
        case unknown(String)
        /// A `{created:FORMAT}` whose FORMAT is not tokens and separators.
        case format(String)
    }

    private static func isFormat(_ format: String) -> Bool {
        var rest = Substring(format)
        var count = 0
        while let first = rest.first {
            if let token = tokens(first: rest) {
                rest = rest.dropFirst(token.count)
                count += 1
            } else if separators.contains(first) {
                rest = rest.dropFirst()
            } else {
                return false
            }
        }
        // No empty component and no `..`: a date never takes a copy out of its base.
        return count > 0 && !format.hasPrefix("/") && !format.hasSuffix("/") && !format.contains("//") && !format.contains("..")
    }

    private static func tokens(first text: Substring) -> String? {
        Self.tokens.first { text.hasPrefix($0) }
    }

    /// The directory of a recording created at `createdAt` (ISO 8601, as the API gives it), or
    /// why there is none.
    func resolve(createdAt: String?) -> Result<String, PlacementProblem> {
        guard let template else { return .success(path) }
        guard let createdAt, let millis = CivilTime.parse(createdAt) else {
            return .failure(PlacementProblem(description: "the recording has no created_at to place it by (\(path)); nothing was downloaded"))
        }
        let days = Int(millis.floorDivided(by: 86_400_000))
        let (year, month, day) = CivilTime.date(days: days)
        let hour = Int(millis - Int64(days) * 86_400_000) / 3_600_000
        var out = base == "/" ? "" : base
        for part in template {
            switch part {
            case .text(let text): out += text
            case .created(let format):
                var rest = Substring(format)
                while let first = rest.first {
                    if let token = Self.tokens(first: rest) {
                        switch token {
                        case "yyyy": out += String(year).leftPadded(4)
                        case "MM": out += String(month).leftPadded(2)
                        case "dd": out += String(day).leftPadded(2)
                        default: out += String(hour).leftPadded(2)
                        }
                        rest = rest.dropFirst(token.count)
                    } else {
                        out.append(first)
                        rest = rest.dropFirst()
                    }
                }
            }
        }
        return .success(out)
    }

    /// Whether `file` (a path journaled by an earlier run) is where this directory puts a copy
    /// named `name`: in `path` itself, or (with a placeholder) anywhere under `base`.
    func holds(_ file: String, named name: String) -> Bool {
        guard template != nil else { return file == path + "/" + name }
        let prefix = base == "/" ? "/" : base + "/"
        return file.hasPrefix(prefix) && file.hasSuffix("/" + name) && !file.contains("/../")
    }
}

/// Why a recording has no place in a dated directory.
struct PlacementProblem: Error, CustomStringConvertible {
    var description: String
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}
