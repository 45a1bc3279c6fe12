import Dispatch
import Synchronization
import TelnyxRecordings
import TnxSystem

/// The audit trail of what tnx destroyed: each id journaled `sending` before its delete goes
/// (`Journal+WriteAhead.swift`), then one JSON line per outcome, appended with a single
/// `write(2)` each as soon as the answer arrives, so a crash (even `kill -9`) loses nothing: an
/// id in flight is left `sending`. `--resume` reads it back to skip what is already done and to
/// settle what was left `sending`.
///
/// - `open()` runs before the first request of a real run: the file (mode 0600, in a 0700
///   directory: it holds phone numbers and call metadata) must open for appending, or nothing
///   is sent. A last line torn by a crash is ended first, so the next line starts whole.
/// - Every line names the base URL it was deleted at; `--resume` trusts only lines of the
///   current one (a sandbox run never skips a real id).
/// - Written lines are flushed to the disk (`fsync`) at most a second after they are written,
///   on a thread of their own, and at the end of every run: a power cut loses at most the
///   last second of lines.
public final class Journal: Sendable {
    public let path: String
    /// Identifies this process's entries, so one run can be told from another.
    public let runID: String
    /// The API the outcomes happened at (normalised, as `ClientConfiguration` gives it).
    public let baseURL: String

    private struct State {
        var fd: Int32 = -1
        /// Lines written since the last `fsync`.
        var dirty = false
        var syncScheduled = false
        /// A write or a background `fsync` failed: every later write reports it and writes
        /// nothing (a line after a torn one would be glued to it).
        var syncFailure: String?
        /// `sync()` wants the lines on the disk now: a background sync waiting out its second
        /// stops waiting.
        var syncRequested = false
        /// `fsync`s done, for tests.
        var syncs = 0
    }
    private let state = Mutex(State())
    private let worker = BlockingWorker()
    /// Wakes a background sync that is waiting out its second (`sync()` wants it now).
    private let syncNow = DispatchSemaphore(value: 0)

    public init(path: String, baseURL: String, runID: String = Journal.makeRunID()) {
        self.path = path
        self.baseURL = baseURL
        self.runID = runID
    }

    deinit {
        state.withLock { if $0.fd >= 0 { FileDescriptor.close($0.fd) } }
    }

    /// `$XDG_STATE_HOME/tnx/NAME`, or `~/.local/state/tnx/NAME`.
    public static func defaultPath(environment: [String: String], name: String = "journal.jsonl") -> String {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            return state + "/tnx/" + name
        }
        let home = environment["HOME"] ?? "."
        return home + "/.local/state/tnx/" + name
    }

    public static func makeRunID() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Where the holder of the journal's lock says who it is: `PATH.lock`, `PID START-TIME`.
    public var lockRecordPath: String { path + ".lock" }

    /// Opens the journal for appending (once), creating it and its directory when missing, and
    /// takes its lock: an exclusive `flock` on the journal itself, held until the process
    /// ends, so two runs never write one journal at once (`--wait-lock` queues behind a
    /// holder). Throws when it cannot be written, or another process holds it (`busy`): then
    /// nothing may be sent.
    public func open() throws(JournalError) {
        let result: Result<Void, JournalError> = state.withLock { s in
            if s.fd >= 0 { return .success(()) }
            if let reason = Directories.createParent(of: path) { return .failure(JournalError(path: path, reason: reason)) }
            switch FileKind.of(path) {
            case .directory: return .failure(JournalError(path: path, reason: "it is a directory"))
            case .stream: return .failure(JournalError(path: path, reason: "it is not a regular file"))
            case .regular, .missing: break
            }
            let fd: Int32
            switch FileDescriptor.openForAppending(path) {
            case .success(let opened): fd = opened
            case .failure(let error): return .failure(JournalError(path: path, reason: error.description))
            }
            // One run at a time: the lock lasts as long as the descriptor, so for the rest of
            // this process, and the kernel drops it when the process ends, however it ends.
            switch FileLock.tryExclusive(fd) {
            case .held:
                // Who holds it, for the message of a run that finds it taken (best effort: the
                // lock is the flock, never this file).
                _ = LockHolder.current.write(to: lockRecordPath)
            case .busy:
                FileDescriptor.close(fd)
                return .failure(JournalError(path: path, reason: "another tnx is using it", busy: true, holder: LockHolder.read(lockRecordPath)))
            case .failed(let error):
                FileDescriptor.close(fd)
                return .failure(JournalError(path: path, reason: "cannot lock it (flock): \(error)"))
            }
            // A crash in the middle of a line left it without its end: end it, so the next
            // line is whole (the torn one is ignored by --resume, with a warning).
            if let last = FileDescriptor.lastByte(fd), last != UInt8(ascii: "\n"),
                let errno = FileDescriptor.writeAll(fd, [UInt8(ascii: "\n")])
            {
                FileDescriptor.close(fd)
                return .failure(JournalError(path: path, reason: SystemError(errno).description))
            }
            s.fd = fd
            return .success(())
        }
        try result.get()
    }

    /// Appends one outcome. Throws when the journal cannot be written: the caller stops the
    /// run, since deleting without an audit trail is not what the user asked for.
    public func record(_ outcome: Outcome) throws(JournalError) {
        var line = lineStart(time: WallClock.iso8601Now())
        OutcomeFields.write(outcome, to: &line, request: false)
        var bytes = line.finishBytes()
        bytes.append(UInt8(ascii: "\n"))
        try append(bytes)
    }

    /// One `batch_sent` line per id of a chunk, in one write, before the chunk is sent.
    func recordBatchSent(_ ids: [String], chunk: Int) throws(JournalError) {
        var bytes: [UInt8] = []
        let time = WallClock.iso8601Now()
        let note = "in batch request \(chunk) of \(ids.count) ids; its outcome follows once the query is listed again"
        for id in ids {
            var line = lineStart(time: time)
            line.field("id", id)
            line.field("outcome", "batch_sent")
            line.field("note", note)
            bytes += line.finishBytes()
            bytes.append(UInt8(ascii: "\n"))
        }
        try append(bytes)
    }

    /// A real purge by query that matched nothing: one line, so the journal shows the job
    /// ran. It has no `id` and no `outcome`: the readers of outcomes (`--resume`, a batch
    /// purge's settling) pass it by.
    func recordPurge(query: String, matched: Int) throws(JournalError) {
        var purge = JSONObjectWriter()
        purge.field("query", query)
        purge.field("matched", matched)
        var line = lineStart(time: WallClock.iso8601Now())
        line.field("purge", json: purge.finish())
        var bytes = line.finishBytes()
        bytes.append(UInt8(ascii: "\n"))
        try append(bytes)
    }

    /// What every line starts with: `time`, `run`, `base_url`.
    func lineStart(time: String) -> JSONObjectWriter {
        var line = JSONObjectWriter()
        line.field("time", time)
        line.field("run", runID)
        line.field("base_url", baseURL)
        return line
    }

    func append(_ bytes: [UInt8]) throws(JournalError) {
        try open()
        let (failure, scheduleSync) = state.withLock { s -> (String?, Bool) in
            if let failure = s.syncFailure { return (failure, false) }
            if let errno = FileDescriptor.writeAll(s.fd, bytes) {
                s.syncFailure = SystemError(errno).description
                return (s.syncFailure, false)
            }
            s.dirty = true
            defer { s.syncScheduled = true }
            return (nil, !s.syncScheduled)
        }
        if let failure { throw JournalError(path: path, reason: failure) }
        if scheduleSync {
            let written = ContinuousClock.now
            worker.submit { [self] in
                // At most a second after the first unsynced line; lines written meanwhile
                // ride along.
                let wait = written + .seconds(1) - ContinuousClock.now
                if wait > .zero, !state.withLock({ $0.syncRequested }) {
                    _ = syncNow.wait(timeout: .now() + .nanoseconds(Int(wait.nanosecondsClamped)))
                }
                // Signals meant for this wait (or sent while none waited) are spent here, so
                // the next background sync waits its second again.
                while syncNow.wait(timeout: .now()) == .success {}
                state.withLock { $0.syncRequested = false }
                flushToDisk(background: true)
            }
        }
    }

    /// `fsync`s done so far.
    var syncCount: Int { state.withLock { $0.syncs } }

    /// Flushes every line written so far to the disk; nil, or what failed. Runs on the
    /// journal's own thread.
    public func sync() async -> JournalError? {
        state.withLock { $0.syncRequested = true }
        syncNow.signal()
        return await worker.run { [self] in flushToDisk(background: false) }
    }

    @discardableResult
    private func flushToDisk(background: Bool) -> JournalError? {
        let fd = state.withLock { s -> Int32 in
            if background { s.syncScheduled = false }
            guard s.dirty else { return -1 }
            s.dirty = false
            return s.fd
        }
        if fd >= 0 {
            let error = FileDescriptor.sync(fd)
            state.withLock { s in
                s.syncs += 1
                if let error { s.syncFailure = "cannot flush it to the disk: \(error)" }
            }
        }
        return state.withLock { $0.syncFailure }.map { JournalError(path: path, reason: $0) }
    }
}

public struct JournalError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    /// Another process holds the journal's lock (`Journal.open`): it is in use, not broken.
    public var busy = false
    /// Who holds it, when its record says so.
    public var holder: LockHolder?

    public init(path: String, reason: String, busy: Bool = false, holder: LockHolder? = nil) {
        self.path = path
        self.reason = reason
        self.busy = busy
        self.holder = holder
    }

    public var description: String {
        if busy { return "\(JournalError.another(holder)) is using this journal (\(path))" }
        return "cannot write the journal '\(path)': \(reason); choose another place with --journal PATH (or --no-journal)"
    }

    /// `another tnx (pid 4242, started 2026-12-05T09:00:00Z)`.
    static func another(_ holder: LockHolder?) -> String {
        guard let holder else { return "another tnx" }
        return "another tnx (pid \(holder.pid), started \(holder.started))"
    }
}
