#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The audit trail of what tnx destroyed: one JSON line per outcome, appended with a single
/// `write(2)` each, so a crash (even `kill -9`) loses only requests still in flight.
/// `--resume` reads it back to skip what is already done.
///
/// The file is created on the first outcome (never by `--check`, `help` or a dry-run) with
/// mode 0600 in a 0700 directory: it holds phone numbers and call metadata.
public final class Journal: Sendable {
    public let path: String
    /// Identifies this process's entries, so one run can be told from another.
    public let runID: String
    private let descriptor = Mutex<Int32>(-1)

    public init(path: String, runID: String = Journal.makeRunID()) {
        self.path = path
        self.runID = runID
    }

    deinit {
        descriptor.withLock { if $0 >= 0 { close($0) } }
    }

    /// `$XDG_STATE_HOME/tnx/journal.jsonl`, or `~/.local/state/tnx/journal.jsonl`.
    public static func defaultPath(environment: [String: String]) -> String {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            return state + "/tnx/journal.jsonl"
        }
        let home = environment["HOME"] ?? "."
        return home + "/.local/state/tnx/journal.jsonl"
    }

    public static func makeRunID() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Appends one outcome. Throws when the journal cannot be written: the caller stops the
    /// run, since deleting without an audit trail is not what the user asked for.
    public func record(_ outcome: Outcome) throws(JournalError) {
        var line = JSONObjectWriter()
        line.field("time", Timestamp.now())
        line.field("run", runID)
        line.field("id", outcome.id)
        line.field("outcome", outcome.kind.rawValue)
        line.field("origin", outcome.origin)
        if let status = outcome.httpStatus { line.field("http_status", status) } else { line.null("http_status") }
        if outcome.kind == .failed || outcome.kind == .invalid || outcome.kind == .notFound {
            line.field("error", outcome.message)
            line.field("error_code", outcome.error?.apiErrors.first?.code)
        } else {
            line.field("note", outcome.message)
        }
        if outcome.attempts > 1 { line.field("attempts", outcome.attempts) }
        if let recording = outcome.recording {
            line.object("recording") { RecordingJSON.write(recording, to: &$0) }
        }
        var bytes = line.finishBytes()
        bytes.append(UInt8(ascii: "\n"))
        try append(bytes)
    }

    private func append(_ bytes: [UInt8]) throws(JournalError) {
        let result: Result<Void, JournalError> = descriptor.withLock { fd in
            if fd < 0 {
                switch Self.open(path) {
                case .success(let opened): fd = opened
                case .failure(let error): return .failure(error)
                }
            }
            let written = bytes.withUnsafeBufferPointer { bytes -> Int in
                var offset = 0
                while offset < bytes.count {
                    let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        return -Int(errno)
                    }
                    offset += n
                }
                return offset
            }
            if written < 0 {
                return .failure(JournalError(path: path, reason: String(cString: strerror(Int32(-written)))))
            }
            return .success(())
        }
        try result.get()
    }

    private static func open(_ path: String) -> Result<Int32, JournalError> {
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            let directory = String(path[..<slash])
            if let reason = makeDirectories(directory) {
                return .failure(JournalError(path: path, reason: reason))
            }
        }
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            return .failure(JournalError(path: path, reason: String(cString: strerror(errno))))
        }
        return .success(fd)
    }

    /// `mkdir -p` with mode 0700; nil on success, else the reason.
    static func makeDirectories(_ directory: String) -> String? {
        var path = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            path += "/" + component
            if mkdir(path, 0o700) != 0 && errno != EEXIST {
                return "cannot create directory '\(path)': \(String(cString: strerror(errno)))"
            }
        }
        return nil
    }

    /// The ids whose latest outcome in the journal at `path` is `deleted` or `not_found`.
    /// A missing journal is an empty one.
    static func completedIDs(at path: String) throws(JournalError) -> IDSet {
        var done = IDSet()
        let reader: IDLineReader
        do {
            reader = try IDLineReader(path: path)
        } catch {
            if errno == ENOENT { return done }
            throw JournalError(path: path, reason: error.description)
        }
        do {
            while let line = try reader.next() {
                guard let id = field("id", in: line.text), let outcome = field("outcome", in: line.text) else { continue }
                switch outcome {
                case OutcomeKind.deleted.rawValue, OutcomeKind.notFound.rawValue: done.insert(id)
                case OutcomeKind.failed.rawValue: done.remove(id)
                default: break
                }
            }
        } catch {
            throw JournalError(path: path, reason: error.description)
        }
        return done
    }

    /// The string value of `"key":"…"` in one of our own journal lines. Ids and outcomes
    /// never contain quotes or backslashes (ids are validated before they are journaled).
    private static func field(_ key: String, in line: String) -> String? {
        let pattern = Array("\"\(key)\":\"".utf8)
        let bytes = Array(line.utf8)
        guard bytes.count > pattern.count else { return nil }
        var i = 0
        while i + pattern.count <= bytes.count {
            if bytes[i] == pattern[0] && Array(bytes[i..<(i + pattern.count)]) == pattern {
                let start = i + pattern.count
                guard let close = bytes[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
                return String(decoding: bytes[start..<close], as: UTF8.self)
            }
            i += 1
        }
        return nil
    }
}

public struct JournalError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String {
        "cannot write the journal '\(path)': \(reason); choose another place with --journal PATH (or --no-journal)"
    }
}
