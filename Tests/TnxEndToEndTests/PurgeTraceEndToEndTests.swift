import Foundation
import Testing
import TnxSandbox

/// A nightly purge from cron leaves a trace even when it finds nothing, and its snapshots do
/// not pile up for ever: the ones older than `keep-snapshots` go, and nothing else does.
@Suite("A purge's trace and its snapshots, end to end", .serialized)
struct PurgeTraceEndToEndTests {
    /// A query that matches nothing in the sandbox.
    static let nothing = "recordings where created before 2d and connection 9999999999999999999"

    @Test("a real purge that matches nothing writes one purge line (query, matched 0, time); --resume passes it by; a dry-run and --no-journal write none")
    func emptyPurgeLeavesATrace() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 300, scratch: scratch) { sandbox, env in
            let before = JournalClock.now
            let run = try await TnxProcess.run(["--yes", "-c", "foreach id in \(Self.nothing) delete $id"], environment: env)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(sandbox.deletedIDs.isEmpty)
            let lines = JSONLines.journal(scratch)
            #expect(lines.count == 1, "\(lines)")
            let line = try #require(lines.first)
            #expect(Set(line.keys) == ["time", "run", "base_url", "purge"], "\(line)")
            let purge = try #require(line["purge"] as? [String: Any])
            #expect(purge["matched"] as? Int == 0)
            let query = purge["query"] as? String ?? ""
            #expect(query.hasPrefix("recordings created before ") && query.contains(#"connection "9999999999999999999""#), "\(query)")
            #expect(line["base_url"] as? String == sandbox.baseURL)
            let time = try #require(line["time"] as? String)
            #expect(time >= before && time <= JournalClock.now, "\(time)")
            #expect(line["id"] == nil && line["outcome"] == nil, "no id, no outcome: nothing for --resume to skip")

            // --resume reads that journal without a warning about the line, and runs as usual.
            let ids = Sandbox.seededIDs(count: 2)
            let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
            let resumed = try await TnxProcess.run(["--yes", "--resume", "-c", "foreach id in \(file) delete $id"], environment: env)
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(!resumed.stderr.contains("ignored"), "\(resumed.stderr)")
            #expect(Set(sandbox.deletedIDs) == Set(ids))
            // A batch purge (which reads the journal for what earlier batches left) does too.
            let batch = try await TnxProcess.run(["--yes", "--method", "batch", "-c", "foreach id in \(Self.nothing) delete $id"], environment: env)
            #expect(batch.status == 0, "\(batch.stderr)")
            #expect(JSONLines.journal(scratch).filter { $0["purge"] != nil }.count == 2)

            // Nothing is journaled by a dry-run, nor with --no-journal.
            let journalBefore = scratch.read("state/tnx/journal.jsonl")
            let dry = try await TnxProcess.run(["--dry-run", "-c", "foreach id in \(Self.nothing) delete $id"], environment: env)
            #expect(dry.status == 0, "\(dry.stderr)")
            let noJournal = try await TnxProcess.run(["--yes", "--no-journal", "-c", "foreach id in \(Self.nothing) delete $id"], environment: env)
            #expect(noJournal.status == 0, "\(noJournal.stderr)")
            #expect(scratch.read("state/tnx/journal.jsonl") == journalBefore)
        }
    }

    /// `2026-11-29T23-11-16Z-RUN.jsonl`, `days` ago.
    static func snapshotName(daysAgo days: Int, run: String = "0123456789abcdef", suffix: String = "") -> String {
        let date = Date(timeIntervalSinceNow: -Double(days) * 86_400)
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: "UTC")
        format.dateFormat = "yyyy-MM-dd'T'HH-mm-ss"
        return format.string(from: date) + "Z-" + run + suffix + ".jsonl"
    }

    @Test("a real purge removes tnx's snapshots older than keep-snapshots, and nothing else; it says how many; off and a dry-run remove none")
    func oldSnapshotsArePruned() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 300, scratch: scratch) { sandbox, env in
            let directory = scratch.path + "/state/tnx/snapshots"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: scratch.path + "/state/tnx")
            let old = [Self.snapshotName(daysAgo: 40), Self.snapshotName(daysAgo: 400, suffix: "-2"), Self.snapshotName(daysAgo: 31, run: "fedcba9876543210", suffix: "-1000")]
            let recent = [Self.snapshotName(daysAgo: 25), Self.snapshotName(daysAgo: 29, suffix: "-3")]
            // Old, and named almost like a snapshot, or not a regular file: never touched.
            let others = [
                "notes.txt", Self.snapshotName(daysAgo: 40, run: "0123456789ABCDEF"), Self.snapshotName(daysAgo: 40, suffix: "-1"),
                Self.snapshotName(daysAgo: 40, suffix: "-1001"), Self.snapshotName(daysAgo: 40, suffix: "-02"),
                Self.snapshotName(daysAgo: 40) + ".bak", "x" + Self.snapshotName(daysAgo: 40), Self.snapshotName(daysAgo: 40, run: "0123456789abcde"),
            ]
            for name in old + recent + others { try Data("{\"id\":\"x\"}\n".utf8).write(to: URL(fileURLWithPath: directory + "/" + name)) }
            let oldDirectory = Self.snapshotName(daysAgo: 50, run: "1111111111111111")
            try FileManager.default.createDirectory(atPath: directory + "/" + oldDirectory, withIntermediateDirectories: false)
            let outside = try scratch.write("precious.jsonl", "keep me\n")
            let oldLink = Self.snapshotName(daysAgo: 60, run: "2222222222222222")
            try FileManager.default.createSymbolicLink(atPath: directory + "/" + oldLink, withDestinationPath: outside)
            func names() -> Set<String> { Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []) }

            // A dry-run removes nothing, and so does keep-snapshots off.
            let dry = try await TnxProcess.run(["--dry-run", "-c", "foreach id in \(Self.nothing) delete $id"], environment: env)
            #expect(dry.status == 0, "\(dry.stderr)")
            let off = try await TnxProcess.run(["--yes", "-c", "set keep-snapshots off\nforeach id in \(Self.nothing) delete $id"], environment: env)
            #expect(off.status == 0, "\(off.stderr)")
            #expect(names() == Set(old + recent + others + [oldDirectory, oldLink]))
            #expect(!dry.stderr.contains("removed") && !off.stderr.contains("removed"))

            // The default, 30 days.
            let purge = try await TnxProcess.run(
                ["--yes", "-c", "foreach id in recordings where created before 1d and connection 1494404757140276705 delete $id"], environment: env)
            #expect(purge.status == 0, "\(purge.stderr)")
            #expect(purge.stderr.contains("tnx: removed 3 snapshots older than 30d from \(directory) (set keep-snapshots)"), "\(purge.stderr)")
            let left = names()
            #expect(left.isDisjoint(with: old), "\(left)")
            #expect(left.isSuperset(of: recent + others + [oldDirectory, oldLink]), "\(left)")
            #expect(left.count == recent.count + others.count + 3, "the purge's own snapshot is kept: \(left)")
            #expect(scratch.read("precious.jsonl") == "keep me\n")

            // A shorter age in the script: the recent ones older than it go too; nothing to
            // remove says nothing.
            let week = try await TnxProcess.run(["--yes", "-c", "set keep-snapshots 3w\nforeach id in \(Self.nothing) delete $id"], environment: env)
            #expect(week.status == 0, "\(week.stderr)")
            #expect(week.stderr.contains("tnx: removed 2 snapshots older than 3w from \(directory) (set keep-snapshots)"), "\(week.stderr)")
            let again = try await TnxProcess.run(["--yes", "-c", "set keep-snapshots 3w\nforeach id in \(Self.nothing) delete $id"], environment: env)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(!again.stderr.contains("removed"), "\(again.stderr)")
            #expect(names().isSuperset(of: others + [oldDirectory, oldLink]))
        }
    }

    @Test("keep-snapshots is checked before anything runs: an age under a day, or no age, is an error with its place")
    func keepSnapshotsIsChecked() async throws {
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path)
        for bad in ["12h", "0d", "30", "forever", "on"] {
            let result = try await TnxProcess.run(["-c", "set keep-snapshots \(bad)"], environment: env)
            #expect(result.status == 2, "\(bad)")
            #expect(result.stderr.contains("an age of at least 1d (30d, 12w, 6mo, 1y) or off"), "\(bad): \(result.stderr)")
        }
        let shown = try await TnxProcess.run(["-o", "json", "-c", "set keep-snapshots 90d; show settings; set keep-snapshots off; show settings"], environment: env)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("\"keep-snapshots\":\"90d\""), "\(shown.stdout)")
        #expect(shown.stdout.contains("\"keep-snapshots\":\"off\""), "\(shown.stdout)")
        let text = try await TnxProcess.run(["-c", "show settings"], environment: env)
        #expect(text.stdout.contains("keep-snapshots") && text.stdout.contains("30d"), "\(text.stdout)")
    }
}

/// Now, as the journal writes it (`2026-12-05T09:00:00.123Z`), to compare with its times.
enum JournalClock {
    static var now: String {
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return format.string(from: Date())
    }
}
