import CivilTime
import TnxLanguage
import TnxSystem

/// `set keep-snapshots`: a real purge, once it has created its own snapshot, removes from the
/// same directory the snapshots older than the setting, counted from the moment in their
/// names. Only a regular file named exactly as `SnapshotFile.create` names one
/// (`2026-11-29T23-11-16Z-RUN.jsonl`, `…-RUN-2.jsonl`) is a snapshot; nothing else in the
/// directory is ever touched.
enum SnapshotPruning {
    /// What a pruning did.
    struct Result: Equatable {
        var removed = 0
        /// The first snapshot that could not be removed, and why.
        var failure: String?
    }

    /// Removes the snapshots in `directory` taken more than `retention` before `nowMillis`.
    /// Blocking (it reads a directory): call it off the cooperative pool.
    static func prune(_ directory: String, retention: SnapshotRetention, nowMillis: Int64 = WallClock.millis) -> Result {
        guard case .age(let seconds, _) = retention else { return Result() }
        let cutoff = nowMillis - seconds * 1000
        var result = Result()
        Directories.forEachEntry(of: directory) { name, isDirectory in
            guard !isDirectory, let taken = takenMillis(name), taken < cutoff else { return }
            let path = directory + "/" + name
            guard Directories.isRegularFile(path) else { return }
            if FileDescriptor.remove(path) {
                result.removed += 1
            } else if result.failure == nil {
                result.failure = "cannot remove '\(path)'"
            }
        }
        return result
    }

    /// When the snapshot named `name` was taken (milliseconds since 1970, UTC), or nil when
    /// the name is not one `SnapshotFile.create` gives: `YYYY-MM-DDTHH-MM-SSZ-` then the run's
    /// 16 lowercase hex digits, an optional `-N` (2 to 1000), and `.jsonl`.
    static func takenMillis(_ name: String) -> Int64? {
        let bytes = Array(name.utf8)
        // 19 for the time, `Z-`, 16 for the run, `.jsonl`.
        guard bytes.count >= 19 + 2 + 16 + 6, name.hasSuffix(".jsonl") else { return nil }
        func digits(_ range: Range<Int>) -> Bool { range.allSatisfy { bytes[$0] >= 0x30 && bytes[$0] <= 0x39 } }
        func byte(_ i: Int, _ c: Unicode.Scalar) -> Bool { bytes[i] == UInt8(ascii: c) }
        guard digits(0..<4), byte(4, "-"), digits(5..<7), byte(7, "-"), digits(8..<10), byte(10, "T"), digits(11..<13), byte(13, "-"),
            digits(14..<16), byte(16, "-"), digits(17..<19), byte(19, "Z"), byte(20, "-")
        else { return nil }
        let run = 21..<37
        guard run.allSatisfy({ (bytes[$0] >= 0x30 && bytes[$0] <= 0x39) || (bytes[$0] >= 0x61 && bytes[$0] <= 0x66) }) else { return nil }
        let tail = bytes[37..<(bytes.count - 6)]
        if !tail.isEmpty {
            // `-N`, N from 2 to 1000, no leading zero.
            guard tail.first == UInt8(ascii: "-"), tail.count >= 2, tail.count <= 5, tail.dropFirst().first != UInt8(ascii: "0"),
                tail.dropFirst().allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let n = Int(String(decoding: tail.dropFirst(), as: UTF8.self)), (2...1000).contains(n)
            else { return nil }
        }
        // `2026-11-29T23-11-16` → `2026-11-29T23:11:16Z`.
        var time = bytes[0..<19]
        time[13] = UInt8(ascii: ":")
        time[16] = UInt8(ascii: ":")
        return CivilTime.parse(String(decoding: time, as: UTF8.self) + "Z")
    }
}
