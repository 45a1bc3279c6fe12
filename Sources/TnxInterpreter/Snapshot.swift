import TelnyxRecordings
import TnxSystem

/// The match set of a purge by query, on disk: one JSON object a line, `id` first, then what
/// the list said about the recording (when it was created, how long, who called whom, on which
/// connection). Written while the pages are read, so no recording is kept in memory (only an
/// 8-byte fingerprint of its id), then `fsync`ed; the bulk engine deletes exactly its ids.
///
/// It lives in `snapshots/` beside the journal, mode 0600, in a directory only the user may
/// change (checked: it holds phone numbers, and its ids are read back to be deleted). It is
/// named for the moment it was taken and kept: with the journal it says what a purge meant to
/// delete and what became of each recording. A dry-run's is in memory (`createInMemory`).
final class SnapshotFile {
    let path: String
    private var fd: Int32
    /// A file in memory: its descriptor is the file, kept open until `discard`.
    private var inMemory = false
    private var buffer: [UInt8] = []
    /// The first write that failed.
    private(set) var failure: String?

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
        buffer.reserveCapacity(1 << 16)
    }

    deinit {
        if fd >= 0 { FileDescriptor.close(fd) }
    }

    /// A new snapshot file in `directory`, created with it when missing; or why not.
    struct Problem: Error {
        var reason: String
    }

    static func create(in directory: String, runID: String) -> Result<SnapshotFile, Problem> {
        let stamp = WallClock.iso8601Now().prefix(19).replacingColons()
        if let reason = Directories.create(directory) {
            return .failure(Problem(reason: "cannot create '\(directory)': \(reason)"))
        }
        // The bulk engine reads the file again by its name: nobody else may be able to swap it.
        if let reason = Directories.notPrivate(directory) {
            return .failure(Problem(reason: "'\(directory)' is not private: \(reason); choose a journal in a directory of your own with --journal PATH"))
        }
        // Two purges in one second of one run get files of their own.
        for n in 1...1000 {
            let path = directory + "/" + stamp + "Z-" + runID + (n == 1 ? "" : "-\(n)") + ".jsonl"
            switch FileDescriptor.createNew(path) {
            case .success(let fd): return .success(SnapshotFile(path: path, fd: fd))
            case .failure(let error) where error.isExistingFile: continue
            case .failure(let error): return .failure(Problem(reason: "cannot create '\(path)': \(error)"))
            }
        }
        return .failure(Problem(reason: "too many snapshots named \(stamp)Z-\(runID) in '\(directory)'"))
    }

    /// A snapshot that never reaches a disk, for a dry-run: an anonymous file in memory, read
    /// back by the bulk engine through `/proc/self/fd/N`, gone with its descriptor — at
    /// `discard`, or with the process however it ends (`kill -9` included). Its lines hold phone
    /// numbers, and a dry-run leaves nothing behind.
    static func createInMemory() -> Result<SnapshotFile, Problem> {
        switch FileDescriptor.createInMemory(name: "tnx-dry-run-snapshot") {
        case .failure(let error):
            return .failure(Problem(reason: "cannot create a file in memory: \(error)"))
        case .success(let created):
            let file = SnapshotFile(path: created.path, fd: created.fd)
            file.inMemory = true
            return .success(file)
        }
    }

    /// Ends a snapshot that is not kept: frees an in-memory one, removes a file.
    func discard() {
        if inMemory {
            if fd >= 0 { FileDescriptor.close(fd) }
            fd = -1
        } else {
            FileDescriptor.remove(path)
        }
    }

    /// Adds one recording (buffered; written 64 KiB at a time).
    func append(_ id: RecordingID, _ r: Recording) {
        var w = JSONObjectWriter()
        w.field("id", id.rawValue)
        w.field("created_at", r.createdAt)
        w.field("duration_millis", r.durationMillis)
        w.field("from", r.from)
        w.field("to", r.to)
        w.field("connection_id", r.connectionId)
        w.field("conference_id", r.conferenceId)
        w.field("call_session_id", r.callSessionId)
        buffer.append(contentsOf: w.finishBytes())
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 16 { write() }
    }

    private func write() {
        guard failure == nil, !buffer.isEmpty else {
            buffer.removeAll(keepingCapacity: true)
            return
        }
        if let errno = FileDescriptor.writeAll(fd, buffer) { failure = "cannot write '\(path)': \(SystemError(errno))" }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered and hands the file over to be flushed to the disk and closed
    /// (`Written.syncAndClose`, on a thread of its own); or what failed.
    func finishWriting() -> Result<Written, Problem> {
        write()
        if inMemory {
            // Its descriptor stays open (closing it would end the file); nothing to flush.
            if let failure { return .failure(Problem(reason: failure)) }
            return .success(Written(fd: -1, path: path))
        }
        let fd = self.fd
        self.fd = -1
        if let failure {
            FileDescriptor.close(fd)
            return .failure(Problem(reason: failure))
        }
        return .success(Written(fd: fd, path: path))
    }

    /// A snapshot whose lines are all written.
    struct Written: Sendable {
        let fd: Int32
        let path: String

        /// nil, or what failed.
        func syncAndClose() async -> String? {
            guard fd >= 0 else { return nil }  // in memory
            return await BlockingWorker().run { [fd, path] in
                defer { FileDescriptor.close(fd) }
                return FileDescriptor.sync(fd).map { "cannot flush '\(path)' to the disk: \($0)" }
            }
        }
    }

    /// What one snapshot line says about its recording (what the list said), or nil when the
    /// line is not one whole JSON object.
    static func recording(inLine line: String) -> Recording? {
        guard let json = JSONValue.parse(line.utf8), case .object = json else { return nil }
        return recording(json)
    }

    /// The fields a snapshot line (or a journaled `recording` object) keeps of a recording.
    static func recording(_ json: JSONValue) -> Recording {
        var r = Recording(id: json["id"]?.string)
        r.createdAt = json["created_at"]?.string
        r.durationMillis = json["duration_millis"]?.integer
        r.from = json["from"]?.string
        r.to = json["to"]?.string
        r.connectionId = json["connection_id"]?.string
        r.conferenceId = json["conference_id"]?.string
        r.callSessionId = json["call_session_id"]?.string
        return r
    }

    /// The id of one snapshot line (`{"id":"…",…`), or nil when the line is not one.
    static func id(inLine line: String) -> String? {
        let prefix = "{\"id\":\""
        guard line.hasPrefix(prefix) else { return nil }
        let rest = line.utf8.dropFirst(prefix.utf8.count)
        guard let end = rest.firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return String(line[rest.startIndex..<end])
    }
}

extension Substring {
    /// `2026-11-29T22-50-01`: a time that can be part of a file name everywhere.
    fileprivate func replacingColons() -> String {
        String(map { $0 == ":" ? "-" : $0 })
    }
}
