import AudioCheck
import Synchronization
import TelnyxRecordings
import TnxLanguage
import TnxSystem

/// Where copies go: names, the `.partial` files of runs that are gone, the sidecar, the rename.
extension PipelineRunner {
    /// `PID-RANDOM`: unique, and which process wrote it, for a person looking at the directory
    /// (whether it is alive is decided by its lock: `sweepPartials`).
    static func partialTag() -> String {
        "\(Executable.processID)-" + Journal.makeRunID()
    }

    /// Removes the `.partial` files a stopped or killed run left in `directory`: they hold
    /// recordings' audio, which must not linger unnoticed. A live run holds a lock (`flock`) on
    /// each of its own from the moment it has a name (`FileDescriptor.createNewLocked`), and
    /// the kernel drops the lock when the run dies, however it dies. So a file is removed only
    /// when it can be locked here: never a live run's, whether that run is in this PID
    /// namespace or another on the same file system (a container on a shared volume), where
    /// its process id would mean nothing. Blocking: one pass over the directory's names.
    static func sweepPartials(in directory: String) -> Int {
        var removed = 0
        Directories.forEachEntry(of: directory) { name, isDirectory in
            guard !isDirectory, isPartialName(name) else { return }
            let path = directory + "/" + name
            guard case .success(let fd) = FileDescriptor.openForReading(path) else { return }
            defer { FileDescriptor.close(fd) }
            // Removed while the lock is held: no run can take it up in between.
            guard FileDescriptor.tryLock(fd) else { return }
            if FileDescriptor.remove(path) { removed += 1 }
        }
        return removed
    }

    /// Whether `name` is a `.partial` file as tnx names them, `.ID.mp3.PID-RANDOM.partial` (or
    /// its metadata's `.ID.mp3.PID-RANDOM.json.partial`): another program's files in DIR are
    /// never touched.
    static func isPartialName(_ name: String) -> Bool {
        guard name.hasPrefix("."), name.hasSuffix(".partial") else { return false }
        var stem = name.dropFirst().dropLast(".partial".count)
        if stem.hasSuffix(".json") { stem = stem.dropLast(".json".count) }
        let parts = stem.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 3, MediaFormat(rawValue: String(parts[parts.count - 2])) != nil else { return false }
        let tag = parts[parts.count - 1].split(separator: "-", omittingEmptySubsequences: false)
        return tag.count == 2 && !tag[0].isEmpty && tag[0].allSatisfy(\.isASCII) && tag[0].allSatisfy(\.isNumber)
            && !tag[1].isEmpty && tag[1].allSatisfy(\.isHexDigit)
    }

    /// What a disk failure message goes on with.
    static let diskAdvice = "; tnx starts no more ids (those already started finish): free some space or choose another directory, then run again with --resume"

    /// The id as a file name: a Telnyx id (lowercase UUID) as it is; any other byte than a
    /// lowercase letter, a digit, `-` or `_` written `%XX`, so that no two ids share a name even
    /// where names ignore case (vfat, exFAT, SMB), and none holds `/`, `..` or a leading dot. A
    /// name that would be longer than 200 bytes becomes `id-` and the SHA-256 of the id.
    static func fileName(_ id: RecordingID) -> String {
        var out = ""
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in id.rawValue.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return out.utf8.count <= 200 ? out : "id-" + MediaHash.hex(Array(id.rawValue.utf8))
    }

    /// `DIR/ID.json`: the recording as the API returned it, and what was saved.
    static func sidecar(_ r: Recording, record: DownloadRecord, format: MediaFormat) -> [UInt8] {
        var w = JSONObjectWriter()
        w.object("recording") { RecordingJSON.write(r, to: &$0) }
        w.object("download") { d in
            d.field("file", String(record.file.split(separator: "/").last ?? ""))
            d.field("format", format.rawValue)
            d.field("bytes", record.bytes)
            d.field("sha256", record.sha256)
            DownloadFields.checks(record, to: &d)
            d.field("downloaded_at", WallClock.iso8601Now())
        }
        var bytes = w.finishBytes()
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// How a verified copy found its place.
    enum Placement: Sendable {
        case placed
        /// A file of its name was there already, byte for byte this copy: kept, the new one
        /// dropped.
        case kept
        /// A file of its name was there already, and is not this copy: left as it is, the new
        /// one dropped, the id not done (not deleted either).
        case refused(String)
        case disk(String)
    }

    /// Renames the verified `.partial` into place, never over another file (an existing file
    /// of the same name with the same bytes is kept; a different one is never overwritten),
    /// then writes the sidecar the same way (temporary file, `fsync`, rename), then `fsync`s
    /// the directory. Blocking.
    static func place(partial: String, file: String, sidecar: String, metadata: [UInt8], record: DownloadRecord, directory: String) -> Placement {
        switch FileDescriptor.renameNoReplace(partial, to: file) {
        case .renamed: break
        case .failed(let error):
            FileDescriptor.remove(partial)
            return .disk("cannot rename '\(partial)' to '\(file)': \(error)")
        case .exists:
            FileDescriptor.remove(partial)
            let same: Bool
            if case .success(let there) = MediaHash.file(file) {
                same = there.bytes == record.bytes && there.sha256 == record.sha256
            } else {
                same = false
            }
            guard same else {
                return .refused(
                    "'\(file)' is there already and is not this recording's copy (another size or SHA-256): it was left as it is, the new copy was not kept, and the recording was not deleted; move that file away and run again")
            }
            // The same bytes: kept. Its sidecar is written only where there is none.
            if case .regular = FileKind.of(sidecar) { return .kept }
            if let problem = writeSidecar(partial: partial, sidecar: sidecar, metadata: metadata, directory: directory) { return .disk(problem) }
            return .kept
        }
        if let problem = writeSidecar(partial: partial, sidecar: sidecar, metadata: metadata, directory: directory) { return .disk(problem) }
        return .placed
    }

    /// The sidecar, written beside its copy (temporary file, `fsync`, rename), then the
    /// directory flushed. nil, or what failed.
    private static func writeSidecar(partial: String, sidecar: String, metadata: [UInt8], directory: String) -> String? {
        let temporary = String(partial.dropLast(".partial".count)) + ".json.partial"
        let fd: Int32
        switch FileDescriptor.createNewLocked(temporary) {
        case .success(let opened): fd = opened
        case .failure(let error): return "cannot write '\(temporary)': \(error)"
        }
        // Closed (unlocked) only once renamed or removed, like the media's `.partial`.
        defer { FileDescriptor.close(fd) }
        if let errno = FileDescriptor.writeAll(fd, metadata) {
            _ = FileDescriptor.remove(temporary)
            return "cannot write '\(temporary)': \(SystemError(errno))"
        }
        if let error = FileDescriptor.sync(fd) {
            _ = FileDescriptor.remove(temporary)
            return "cannot flush '\(temporary)' to the disk: \(error)"
        }
        if let error = FileDescriptor.rename(temporary, to: sidecar) {
            _ = FileDescriptor.remove(temporary)
            return "cannot rename '\(temporary)' to '\(sidecar)': \(error)"
        }
        if let error = FileDescriptor.syncDirectory(directory) { return "cannot flush the directory '\(directory)' to the disk: \(error)" }
        return nil
    }
}
