import TelnyxRecordings
import TerminalText
import TnxLanguage

/// Turns outcomes, summaries and messages into what a person (text) or a program (json)
/// reads. Results go to stdout, diagnostics and progress to stderr, so pipes stay clean.
struct Reporter: Sendable {
    let stdout: any OutputSink
    let stderr: any OutputSink
    /// Colour on stdout / stderr: only on a terminal and without `NO_COLOR`.
    let colourOut: Bool
    let colourErr: Bool
    var styleOut: ANSIStyle { ANSIStyle(on: colourOut) }
    var styleErr: ANSIStyle { ANSIStyle(on: colourErr) }
    /// Failures said on stderr too, and the closing line of a run that fails.
    var failures = FailureTally()
    /// `--quiet`: stdout holds the summaries alone, not a line per id.
    var summariesOnly = false

    // MARK: Results

    func outcome(_ o: Outcome, format: OutputFormat) {
        if failures.count(o) {
            stderr.write("tnx: " + styleErr.paint("failed", .red) + " " + Self.safe(o.id) + (o.origin.map { " (\(Self.safe($0)))" } ?? "") + ": " + Self.safe(FailureTally.said(o)) + "\n")
        }
        if summariesOnly { return }
        switch format {
        case .json:
            var line = Self.jsonBytes(o)
            line.append(UInt8(ascii: "\n"))
            stdout.write(bytes: line)
        case .text: stdout.write(text(o) + "\n")
        }
    }

    /// What precedes the request on a text `would_delete` line.
    var wouldDeleteLabel: String { styleOut.paint("would delete".padding(12), Self.colour(of: .wouldDelete)) + " " }

    /// One outcome as a line of text. Everything in it that came from outside — the id as
    /// read, the file name, the API's words, the recording's numbers — is sanitised.
    func text(_ o: Outcome) -> String {
        let label = o.kind == .wouldDelete ? "would delete" : o.kind == .wouldDownload ? "would download" : o.kind.rawValue
        var line = styleOut.paint(label.padding(12), Self.colour(of: o.kind)) + " "
        switch o.kind {
        case .wouldDelete where o.download != nil, .wouldDownload:
            line += Self.safe(o.id)
            if let d = o.download {
                line += "  \(Self.grouped(d.bytes)) bytes to \(Self.safe(d.file))" + (o.kind == .wouldDelete ? ", then delete" : "")
            }
            return line
        case .wouldDelete:
            // A match of a query shows what it is; an id from a file, the request.
            if let r = o.recording { return line + Self.line(r) }
            line += Self.safe(o.id)
            if let request = o.request { line += "  (\(request.method) \(request.url))" }
            return line
        case .invalid:
            line += (o.origin.map { "\(Self.safe($0)): " } ?? "") + Self.safe(o.message ?? "invalid recording id")
            return line
        default:
            line += Self.safe(o.id)
        }
        if let origin = o.origin, o.kind != .deleted, o.kind != .wouldDelete { line += "  (\(Self.safe(origin)))" }
        if o.kind == .deleted, let r = o.recording {
            var facts: [String] = []
            if let from = r.from, let to = r.to { facts.append("\(Self.safe(from, limit: 40)) → \(Self.safe(to, limit: 40))") }
            if let ms = r.durationMillis { facts.append(Self.duration(ms)) }
            if let started = r.recordingStartedAt { facts.append(Self.safe(String(started.prefix(10)))) }
            if !facts.isEmpty { line += "  " + facts.joined(separator: ", ") }
        }
        if let d = o.download, o.kind == .deleted || o.kind == .downloaded {
            var checked = ""
            if let playing = d.playingMillis {
                checked = ", plays \(Self.duration(Int(playing)))"
                if case .notChecked = d.durationCheck { checked += ", duration not checked" }
            }
            line += "  " + (o.kind == .deleted ? "copy " : "") + "\(Self.safe(d.file)) (\(Self.grouped(d.bytes)) bytes, sha256 \(d.sha256.map { String($0.prefix(12)) } ?? "?")…\(checked)\(d.reused ? ", already there" : ""))"
        }
        if let step = o.step, o.kind == .failed || o.kind == .notFound { line += "  [\(step)]" }
        if o.kind != .wouldDelete, let message = o.message { line += "  " + Self.safe(message) }
        return line
    }

    /// Text from outside tnx, made safe for a terminal (`TerminalText`, the one sanitiser).
    static func safe(_ text: String, limit: Int = .max) -> String {
        TerminalText.sanitized(text, limit: limit)
    }

    static func json(_ o: Outcome) -> String {
        String(decoding: jsonBytes(o), as: UTF8.self)
    }

    /// One outcome as a JSON object (`OutcomeFields`, the list the journal uses too).
    static func jsonBytes(_ o: Outcome) -> [UInt8] {
        var w = JSONObjectWriter()
        OutcomeFields.write(o, to: &w, request: true)
        return w.finishBytes()
    }

    /// The closing line of a bulk run. Notes about it (interrupted, invalid lines) go to
    /// stderr, so stdout holds results only.
    func summary(
        _ s: Summary, source: String, dryRun: Bool, interrupted: Bool, seconds: Double, format: OutputFormat,
        resumeAdvice: String = "run again with --resume to go on", downloads: DownloadTotals? = nil
    ) {
        switch format {
        case .json:
            var counts = JSONObjectWriter()
            counts.field("source", source)
            counts.field("read", s.read)
            for kind in OutcomeKind.allCases { counts.field(dynamic: kind.rawValue, s[kind]) }
            counts.field("dry_run", dryRun)
            counts.field("interrupted", interrupted)
            counts.field("seconds", json: String(Double(Int(seconds * 1000)) / 1000))
            if let d = downloads {
                counts.object("downloads") { o in
                    o.field("files", d.files)
                    o.field("bytes", d.bytes)
                    o.field("already_there", d.reused)
                    o.field("would_download_bytes", d.wouldBytes)
                    if seconds > 0 { o.field("bytes_per_second", Int(Double(d.bytes) / seconds)) }
                }
            }
            var w = JSONObjectWriter()
            w.field("summary", json: counts.finish())
            stdout.write(w.finish() + "\n")
        case .text:
            var parts = ["read \(Self.grouped(s.read))"]
            for kind in OutcomeKind.allCases where s[kind] > 0 {
                parts.append("\(kind == .wouldDelete ? "would delete" : kind == .wouldDownload ? "would download" : kind.rawValue) \(Self.grouped(s[kind]))")
            }
            if let d = downloads {
                if dryRun {
                    parts.append("\(Self.bytes(d.wouldBytes)) would be downloaded")
                } else {
                    var files = "saved \(Self.grouped(d.files)) file\(d.files == 1 ? "" : "s"), \(Self.bytes(d.bytes))"
                    if seconds > 0, d.bytes > 0 { files += " (\(Self.bytes(Int(Double(d.bytes) / seconds)))/s)" }
                    if d.reused > 0 { files += ", \(Self.grouped(d.reused)) already there" }
                    parts.append(files)
                }
            }
            var line = styleOut.paint("summary", .bold) + " \(Self.safe(source)): " + parts.joined(separator: " · ")
            line += " in " + String(format1: seconds) + " s"
            // A dry-run's rate says nothing about how fast a real run would go.
            if !dryRun, seconds > 0, s.read > 0 { line += " (" + String(format1: Double(s.read) / seconds) + "/s)" }
            if dryRun {
                let n = s[.wouldDelete]
                line += "\n" + styleOut.paint("dry-run", .cyan)
                    + ": nothing was deleted\(downloads == nil ? "" : " or downloaded"); \(Self.grouped(n)) \(n == 1 ? "recording" : "recordings") would be deleted"
            }
            stdout.write(line + "\n")
        }
        if s[.invalid] > 0 {
            let n = s[.invalid]
            warning(
                "\(Self.grouped(n)) line\(n == 1 ? "" : "s") of \(source) \(n == 1 ? "is" : "are") not a recording id (the invalid lines above): nothing was sent for \(n == 1 ? "it" : "them"), and the exit status is 1")
        }
        if interrupted {
            warning("interrupted: ids after the last one read were not touched; \(resumeAdvice)")
        }
    }

    // MARK: Messages

    /// A problem to stderr: `tnx: error: …`, the one prefix of every error tnx reports (a
    /// diagnostic in a script names its place instead). The message is sanitised: it may quote
    /// a file name, an id or the API's words.
    func error(_ message: String) {
        stderr.write("tnx: " + styleErr.paint("error:", .red) + " " + Self.safe(message) + "\n")
    }

    func warning(_ message: String) {
        stderr.write("tnx: " + styleErr.paint("warning:", .yellow) + " " + Self.safe(message) + "\n")
    }

    /// Plain information for people on stdout in text mode (help, settings, show last).
    func info(_ text: String) {
        stdout.write(text.hasSuffix("\n") ? text : text + "\n")
    }

    func diagnostics(_ diagnostics: [Diagnostic], source: SourceFile) {
        for d in diagnostics {
            stderr.write(DiagnosticPrinter.render(d, source: source, colour: colourErr))
        }
    }

    // MARK: Formatting

    static func colour(of kind: OutcomeKind) -> ANSIStyle.Code {
        switch kind {
        case .deleted: .green
        case .failed: .red
        case .invalid: .yellow
        case .wouldDelete, .wouldDownload: .cyan
        case .downloaded: .green
        case .shown: .dim
        case .notFound, .duplicate, .skipped: .dim
        }
    }

    /// `48 KB`, `5.2 MB`, `1.3 GB` (powers of 1000, as disks are sold), or `512 bytes`.
    static func bytes(_ n: Int) -> String {
        let units = [(1_000_000_000_000, "TB"), (1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "KB")]
        for (size, name) in units where n >= size {
            return String(format1: Double(n) / Double(size)) + " " + name
        }
        return "\(n) byte\(n == 1 ? "" : "s")"
    }

    /// `12,345`
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    static func duration(_ millis: Int) -> String {
        let seconds = millis / 1000
        return seconds >= 60 ? "\(seconds / 60)m\(String(seconds % 60).leftPadded(2))s" : String(format1: Double(millis) / 1000) + " s"
    }
}

extension String {
    /// Pads with spaces on the right to `width` characters.
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }

    /// One decimal: `12.3`.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }
}
