import TelnyxRecordings
import TnxSystem

/// What `--resume` learns from a journal: the ids that are done at this base URL.
struct ResumeSet: Sendable {
    /// Ids whose latest outcome at the base URL is `deleted` or `not_found`.
    var done = IDSet()
    /// Ids whose latest line is `sending`: their delete went and no answer was journaled (a
    /// `kill -9`, a forced exit). Read back before anything else (`SentSettlement`).
    var unsettled = IDSet()
    /// The latest verified download journaled for each id (a `download` object with file, size
    /// and SHA-256): a file still like that is not downloaded again.
    var downloads: [String: JournaledDownload] = [:]
    /// Lines that are not one whole JSON object with a string `id` and `outcome` (a line torn
    /// by a crash, an edit by hand): ignored.
    var unreadableLines = 0
    /// Lines of another base URL (the sandbox, another account's API), or of an older tnx that
    /// did not record one: ignored, so they never make tnx skip an id here.
    var otherBaseURLLines = 0

    /// What to tell the user about ignored lines, if anything.
    func warning(path: String, baseURL: String) -> String? {
        var parts: [String] = []
        if unreadableLines > 0 {
            parts.append("\(Reporter.grouped(unreadableLines)) unreadable line\(unreadableLines == 1 ? "" : "s") (not one whole JSON object)")
        }
        if otherBaseURLLines > 0 {
            parts.append("\(Reporter.grouped(otherBaseURLLines)) line\(otherBaseURLLines == 1 ? "" : "s") of another base URL than \(baseURL)")
        }
        guard !parts.isEmpty else { return nil }
        return "--resume ignored \(parts.joined(separator: " and ")) in the journal '\(path)'; their ids are not skipped"
    }
}

extension Journal {
    /// Longest journal line read back; a line with a recording is about 1 KB.
    static let maximumLineLength = 1 << 20

    /// The journal at `path`, line by line; nil when there is none yet. Blocking.
    static func openForReading(_ path: String) throws(JournalError) -> IDLineReader? {
        do {
            return try IDLineReader(path: path, maximumLineLength: maximumLineLength)
        } catch {
            if case .missing(let e) = FileKind.of(path), e.isNoSuchFile { return nil }
            throw JournalError(path: path, reason: error.description)
        }
    }

    /// Reads the journal at `path` for `--resume`: each line must parse whole as a JSON object
    /// (never an id from one line and an outcome from the next), and count only when its
    /// `base_url` is `baseURL`. A missing journal is an empty one. Blocking: call it off the
    /// cooperative pool.
    static func completedIDs(at path: String, baseURL: String) throws(JournalError) -> ResumeSet {
        var result = ResumeSet()
        guard let reader = try openForReading(path) else { return result }
        do {
            while let line = try reader.next() {
                guard line.text.utf8.count < maximumLineLength, let json = JSONValue.parse(line.text.utf8), case .object = json else {
                    result.unreadableLines += 1
                    continue
                }
                // A purge that matched nothing (`Journal.recordPurge`): no id, nothing to skip.
                if json["id"] == nil, json["outcome"] == nil, case .object? = json["purge"] { continue }
                guard let id = json["id"]?.string, let outcome = json["outcome"]?.string else {
                    result.unreadableLines += 1
                    continue
                }
                guard json["base_url"]?.string == baseURL else {
                    result.otherBaseURLLines += 1
                    continue
                }
                if let d = json["download"], let file = d["file"]?.string, let bytes = d["bytes"]?.integer, bytes >= 0,
                    let sha = d["sha256"]?.string, sha.utf8.count == 64
                {
                    result.downloads[id] = JournaledDownload(
                        file: file, bytes: bytes, sha256: sha, audio: d["audio"]?.string, playingMillis: d["playing_millis"]?.integer.map(Int64.init),
                        durationMillis: d["duration_millis"]?.integer, durationCheck: d["duration_check"]?.string.flatMap(DurationCheck.init(text:)))
                }
                result.noteWriteAhead(id: id, outcome: outcome)
                switch outcome {
                case OutcomeKind.deleted.rawValue, OutcomeKind.notFound.rawValue: result.done.insert(id)
                case OutcomeKind.failed.rawValue: result.done.remove(id)
                default: break
                }
            }
        } catch {
            throw JournalError(path: path, reason: error.description)
        }
        return result
    }
}
