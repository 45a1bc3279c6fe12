import Foundation
import Testing
import TnxSandbox

/// Keep a copy, then delete, through the built binary: a disk that cannot take the files, and a
/// `kill -9` in the middle of the downloads.
@Suite("Downloads end to end", .serialized)
struct DownloadEndToEndTests {
    static func files(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    /// Every file under `directory`, relative to it, `.partial` files included.
    static func tree(_ directory: String) -> [String] {
        (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: directory + "/" + $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        }.sorted()
    }

    @Test("download to \"archive/{created:yyyy/MM}\": each copy under its recording's own month; run again, the same copies are kept; a different file of the name is never overwritten")
    func datedDirectories() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 12, scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 6)
            let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
            let archive = scratch.path + "/archive"
            let download = "foreach id in \(file) download $id to \"\(archive)/{created:yyyy/MM}\""
            let first = try await TnxProcess.run(["--output", "json", "-c", download], environment: env)
            #expect(first.status == 0, "\(first.stderr)")
            let placed = Self.tree(archive)
            #expect(placed.count == 12, "a copy and its .json for each, no .partial left: \(placed)")
            for id in ids {
                // Where the copy is, by the recording's created_at in its sidecar.
                guard let media = placed.first(where: { $0.hasSuffix("/\(id).mp3") }) else {
                    Issue.record("no copy of \(id): \(placed)")
                    continue
                }
                let sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: archive + "/" + media.replacing(".mp3", with: ".json")))) as? [String: Any]
                let created = (sidecar?["recording"] as? [String: Any])?["created_at"] as? String ?? ""
                #expect(media == "\(created.prefix(4))/\(created.dropFirst(5).prefix(2))/\(id).mp3", "\(media) for \(created)")
            }

            // Again, without --resume: the same bytes are there already, and kept.
            let again = try await TnxProcess.run(["--output", "json", "-c", download], environment: env)
            #expect(again.status == 0, "\(again.stderr)")
            let outcomes = JSONLines.outcomes(again.stdout)
            #expect(outcomes.count == 6)
            #expect(outcomes.allSatisfy { ($0["download"] as? [String: Any])?["reused"] as? Bool == true }, "\(again.stdout)")

            // Another file where a copy goes: left as it is, and the recording is not deleted.
            let victim = ids[0]
            let media = try #require(placed.first { $0.hasSuffix("/\(victim).mp3") })
            let theirs = Data("not the recording".utf8)
            try theirs.write(to: URL(fileURLWithPath: archive + "/" + media))
            let one = try scratch.write("one.txt", victim)
            let purge = try await TnxProcess.run(
                ["--yes", "-c", "foreach id in \(one) { download $id to \"\(archive)/{created:yyyy/MM}\"; delete $id }"], environment: env)
            #expect(purge.status == 1, "\(purge.stderr)")
            #expect(purge.stderr.contains("is there already and is not this recording's copy"), "\(purge.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: archive + "/" + media)) == theirs)
            #expect(sandbox.deletedIDs.isEmpty)
            #expect(!Self.tree(archive).contains { $0.hasSuffix(".partial") })
        }
    }

    @Test("a download directory with a placeholder other than {created:FORMAT} is refused before anything runs, with its place")
    func badTemplate() async throws {
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path)
        for (directory, said) in [("archive/{year}", "'{year}'"), ("archive/{created:yy}", "'{created:yy}'"), ("archive/{created:yyyy", "a brace")] {
            let result = try await TnxProcess.run(["-c", "download 3fa85f64-5717-4562-b3fc-2c963f66afa6 to \"\(directory)\""], environment: env)
            #expect(result.status == 2, "\(directory): \(result.stderr)")
            #expect(result.stderr.contains("<command line>:1:"), "\(result.stderr)")
            #expect(result.stderr.contains("\(said)"), "\(directory): \(result.stderr)")
            #expect(result.stderr.contains("the one placeholder is {created:FORMAT}"), "\(result.stderr)")
        }
    }

    @Test("a disk that cannot take a file stops the run: nothing is deleted, the message says why, exit 1")
    func diskFull() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 10, scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 8)
            let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
            let archive = scratch.path + "/archive"
            // Files up to 40 KiB (dash counts 512-byte blocks): the journal's lines fit, a
            // 48,000-byte recording does not, as on a full disk.
            let running = TnxProcess.start(
                ["--yes", "--output", "json", "--concurrency", "4", "-c", "foreach id in \(file) { download $id to \(archive); delete $id }"],
                environment: env, launcher: ["/bin/sh", "-c", "ulimit -f 80; exec \"$0\" \"$@\""])
            let result = try await running.finish(timeout: .seconds(60))
            #expect(result.status == 1, "\(result.stderr)")
            #expect(sandbox.deletedIDs.isEmpty)
            #expect(result.stderr.contains("cannot write"), "\(result.stderr)")
            #expect(result.stderr.contains("tnx starts no more ids"))
            let outcomes = JSONLines.outcomes(result.stdout)
            #expect(outcomes.count == 8, "every id has its outcome")
            #expect(outcomes.contains { $0["step"] as? String == "download" })
            #expect(outcomes.allSatisfy { $0["outcome"] as? String == "skipped" || $0["step"] as? String == "download" }, "\(outcomes)")
            #expect(outcomes.filter { $0["outcome"] as? String == "skipped" }.count >= 4, "no more ids started after the first failures")
            #expect(Self.files(archive).isEmpty, "no partial file is left: \(Self.files(archive))")
        }
    }

    @Test("kill -9 in the middle of the downloads: no file looks complete that is not, nothing is deleted unjournaled, --resume finishes")
    func killNine() async throws {
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        faults.media = .slow(.seconds(30))
        try await SandboxFixture.with(seed: 10, faults: faults, scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 6)
            let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
            let archive = scratch.path + "/archive"
            let script = "foreach id in \(file) { download $id to \(archive); delete $id }"
            let running = TnxProcess.start(["--yes", "-c", script], environment: env)
            try await waitUntil { sandbox.statistics.mediaRequests >= 6 }
            try await Task.sleep(for: .milliseconds(200))
            running.signal(SIGKILL)
            _ = try await running.finish(timeout: .seconds(30))
            #expect(sandbox.deletedIDs.isEmpty)
            let left = Self.files(archive)
            #expect(left.allSatisfy { $0.hasPrefix(".") && $0.hasSuffix(".partial") }, "only partial files: \(left)")

            sandbox.setFaults(.none)
            let resumed = try await TnxProcess.run(["--yes", "--resume", "-c", script], environment: env)
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(Set(sandbox.deletedIDs) == Set(ids))
            #expect(Self.files(archive).count == 12, "the killed run's .partial files are swept: \(Self.files(archive))")
            #expect(!Self.files(archive).contains { $0.hasSuffix(".partial") })
            #expect(resumed.stderr.contains("removed 6 unfinished downloads (.partial) that a stopped run left in"))
            #expect(JSONLines.journaledDeleted(scratch) == Set(ids))
            #expect(sandbox.statistics.mediaRequestsWithKey == 0)
        }
    }
}

extension DownloadEndToEndTests {
    @Test(
        "a stop during downloads is not a disk error: those ids end skipped, their .partial files go, nothing is deleted",
        arguments: [SIGINT, SIGTERM, SIGHUP])
    func stopDuringDownloads(_ signal: Int32) async throws {
        // 130, 143, 129: 128 and the signal, as shells report it.
        let stop = (signal: signal, status: 128 + signal)
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        faults.media = .slow(.seconds(30))
        try await SandboxFixture.with(seed: 10, faults: faults, scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 4)
            let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
            let archive = scratch.path + "/archive"
            let running = TnxProcess.start(
                ["--yes", "--output", "json", "-c", "foreach id in \(file) { download $id to \(archive); delete $id }"], environment: env)
            try await waitUntil { sandbox.statistics.mediaRequests >= 4 }
            try await Task.sleep(for: .milliseconds(200))
            running.signal(stop.signal)
            let result = try await running.finish(timeout: .seconds(30))
            #expect(result.status == stop.status, "\(result.stderr)")
            #expect(sandbox.deletedIDs.isEmpty)
            #expect(!result.stderr.contains("Input/output error") && !result.stderr.contains("free some space"), "\(result.stderr)")
            let outcomes = JSONLines.outcomes(result.stdout)
            #expect(outcomes.count == 4, "\(result.stdout)")
            #expect(
                outcomes.allSatisfy { $0["outcome"] as? String == "skipped" && ($0["note"] as? String ?? "").contains("stopped before its copy was complete") },
                "\(outcomes)")
            #expect(Self.files(archive).isEmpty, "no .partial is left behind: \(Self.files(archive))")
        }
    }

    /// Whether this machine lets a test start a process in a PID namespace of its own (root,
    /// or user namespaces): where it cannot, the test is shown as skipped, not passed.
    static let canUnshare: Bool = {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        probe.arguments = ["--pid", "--fork", "--mount-proc", "/bin/true"]
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }()

    @Test(
        "a run in another PID namespace never removes a live run's .partial files: it cannot lock them",
        .enabled(if: canUnshare, "unshare --pid needs root or user namespaces"))
    func otherPIDNamespace() async throws {

        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 10, scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 3)
            let archive = scratch.path + "/archive"
            for id in ids.prefix(2) { sandbox.scriptMedia([.slow(.seconds(3))], for: id) }
            let first = try scratch.write("first.txt", ids.prefix(2).joined(separator: "\n"))
            let live = TnxProcess.start(["--yes", "-c", "foreach id in \(first) download $id to \(archive)"], environment: env)
            try await waitUntil {
                sandbox.statistics.mediaRequests >= 2 && Self.files(archive).filter { $0.hasSuffix(".partial") }.count == 2
            }
            // Another run on the same directory, in a PID namespace of its own (as a container
            // on a shared volume): the live run's pid means nothing there.
            let second = try scratch.write("second.txt", ids[2])
            let namespace = ["/usr/bin/unshare", "--pid", "--fork", "--mount-proc"]
            // On the same journal it waits its turn: the journal's lock is a lock there too.
            let sameJournal = try await TnxProcess.start(
                ["-c", "foreach id in \(second) download $id to \(archive)"], environment: env, launcher: namespace
            ).finish(timeout: .seconds(60))
            #expect(sameJournal.status == 4, "\(sameJournal.stderr)")
            #expect(sandbox.requestCount(for: ids[2]) == 0)
            // With a journal of its own (a container keeps its own state) it runs beside it.
            let other = try await TnxProcess.start(
                ["--journal", scratch.path + "/container/journal.jsonl", "-c", "foreach id in \(second) download $id to \(archive)"],
                environment: env, launcher: namespace
            ).finish(timeout: .seconds(60))
            #expect(other.status == 0, "\(other.stderr)")
            #expect(!other.stderr.contains("removed"), "it removed nothing: \(other.stderr)")
            let finished = try await live.finish(timeout: .seconds(60))
            #expect(finished.status == 0, "the live run's files were left alone: \(finished.stderr)")
            #expect(Self.files(archive).count == 6, "\(Self.files(archive))")
        }
    }
}

/// A batch purge killed with `kill -9` while its batches are on the wire.
@Suite("Batch purges end to end", .serialized)
struct BatchEndToEndTests {
    @Test("kill -9 while batches are on the wire: every recording gone has its journal line; the purge again finishes")
    func killNine() async throws {
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        faults.latency = .milliseconds(400)
        try await SandboxFixture.with(seed: 900, faults: faults, scratch: scratch) { sandbox, env in
            // Batches of 100 (not the default 1,000): nine of them, so the kill finds some on
            // the wire and some not sent.
            let arguments = ["--yes", "--method", "batch", "-c", "set batch-size 100\nforeach id in recordings where created after 2000-01-01 delete $id"]
            let running = TnxProcess.start(arguments, environment: env)
            try await waitUntil { !sandbox.deletedIDs.isEmpty }
            running.signal(SIGKILL)
            _ = try await running.finish(timeout: .seconds(30))
            let gone = Set(sandbox.deletedIDs)
            #expect(!gone.isEmpty && gone.count < 900)
            let sent = Set(JSONLines.journal(scratch).filter { $0["outcome"] as? String == "batch_sent" }.compactMap { $0["id"] as? String })
            #expect(gone.isSubset(of: sent), "nothing is deleted without its journal line")

            sandbox.setFaults(.none)
            let again = try await TnxProcess.run(arguments, environment: env)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(sandbox.recordingCount == 0)
            // The ids the killed run sent are read back by the next one: each recording gone
            // has a `deleted` line, the ones the killed run's batches deleted included.
            #expect(Self.lastWordIsDeleted(scratch, Sandbox.seededIDs(count: 900)))
        }
    }

    /// Whether the journal's last outcome for each of `ids` is `deleted`.
    static func lastWordIsDeleted(_ scratch: Scratch, _ ids: [String]) -> Bool {
        var last: [String: String] = [:]
        for line in JSONLines.journal(scratch) where line["outcome"] as? String != "batch_sent" {
            if let id = line["id"] as? String { last[id] = line["outcome"] as? String }
        }
        let wrong = ids.filter { last[$0] != "deleted" }
        if !wrong.isEmpty { print("last word not deleted for \(wrong.count): \(wrong.prefix(3).map { "\($0): \(last[$0] ?? "none")" })") }
        return wrong.isEmpty
    }

    @Test("SIGTERM while batches are on the wire: what was sent ends failed, and the purge again journals each one gone as deleted")
    func stoppedThenAgain() async throws {
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        faults.latency = .milliseconds(400)
        faults.batch = .ignoresUnknown
        try await SandboxFixture.with(seed: 900, faults: faults, scratch: scratch) { sandbox, env in
            // Batches of 100 (not the default 1,000): nine of them, so the kill finds some on
            // the wire and some not sent.
            let arguments = ["--yes", "--method", "batch", "-c", "set batch-size 100\nforeach id in recordings where created after 2000-01-01 delete $id"]
            let running = TnxProcess.start(arguments, environment: env)
            try await waitUntil { !sandbox.deletedIDs.isEmpty }
            running.signal(SIGTERM)
            let stopped = try await running.finish(timeout: .seconds(30))
            #expect(stopped.status == 143, "\(stopped.stderr)")
            let gone = Set(sandbox.deletedIDs)
            let failed = Set(JSONLines.journal(scratch).filter { $0["outcome"] as? String == "failed" }.compactMap { $0["id"] as? String })
            #expect(!gone.intersection(failed).isEmpty, "recordings its batches deleted end failed (not verified): \(gone.count) gone")

            sandbox.setFaults(.none)
            let again = try await TnxProcess.run(arguments, environment: env)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stderr.contains("an earlier purge sent and never verified, read back:"), "\(again.stderr)")
            #expect(sandbox.recordingCount == 0)
            #expect(Self.lastWordIsDeleted(scratch, Sandbox.seededIDs(count: 900)))
        }
    }

    @Test("--verify all against a batch that keeps ids its listing hides: each id read back, the kept ones deleted on their own")
    func verifyAll() async throws {
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        faults.batch = .keepsSomeUnlisted(every: 10)
        try await SandboxFixture.with(seed: 500, faults: faults, scratch: scratch) { sandbox, env in
            let result = try await TnxProcess.run(
                ["--yes", "--method", "batch", "--verify", "all", "-c", "foreach id in recordings where created after 2000-01-01 delete $id"],
                environment: env)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(sandbox.recordingCount == 0, "the 50 kept are gone too")
            let journal = JSONLines.journal(scratch)
            #expect(journal.filter { $0["note"] as? String == "batch; absent from the listing; read back: 404" }.count == 450)
            #expect(journal.filter { $0["outcome"] as? String == "deleted" && $0["note"] == nil }.count == 50)
            #expect(result.stdout.contains("verified: 500 recordings absent from the listing, each read back (404)"), "\(result.stdout.suffix(400))")
        }
    }

    @Test("the default (a sample) against the same: the kept ones are found, and every id is settled on its own")
    func sampleFindsKept() async throws {
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        faults.batch = .keepsSomeUnlisted(every: 10)
        try await SandboxFixture.with(seed: 1_000, faults: faults, scratch: scratch) { sandbox, env in
            let result = try await TnxProcess.run(
                ["--yes", "--method", "batch", "-c", "foreach id in recordings where created after 2000-01-01 delete $id"], environment: env)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(sandbox.recordingCount == 0, "the 100 kept are gone too")
            #expect(result.stderr.contains("the listing that verifies the batches cannot be believed"), "\(result.stderr)")
            let believed = JSONLines.journal(scratch).filter { ($0["note"] as? String)?.hasPrefix("batch; absent from the listing") == true }
            #expect(believed.count == 0)
        }
    }
}

extension DownloadEndToEndTests {
    @Test("a recording already gone is not_found, not a failed download; a media 404 while the recording exists stays failed and it is not deleted")
    func goneRecordingIsNotFound() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 10, scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 4)
            // ids[0]: removed by someone else just as its media is asked for (media 404, then
            // its read 404); ids[1]: gone before the run (its read 404); ids[2]: storage lost
            // its media, the recording is still there; ids[3]: fine.
            sandbox.scriptMedia([.removedMeanwhile], for: ids[0])
            sandbox.remove(ids: [ids[1]])
            sandbox.scriptMedia([.missing], for: ids[2])
            let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
            let archive = scratch.path + "/archive"
            let result = try await TnxProcess.run(
                ["--yes", "--output", "json", "-c", "foreach id in \(file) { download $id to \(archive); delete $id }"], environment: env)
            #expect(result.status == 1, "ids[2] failed: \(result.stderr)")
            let outcomes = Dictionary(
                JSONLines.outcomes(result.stdout).map { ($0["id"] as? String ?? "", $0) }, uniquingKeysWith: { $1 })
            for gone in [ids[0], ids[1]] {
                #expect(outcomes[gone]?["outcome"] as? String == "not_found", "\(outcomes[gone] ?? [:])")
                #expect(outcomes[gone]?["step"] as? String == "download")
                #expect(outcomes[gone]?["http_status"] as? Int == 404)
            }
            #expect(outcomes[ids[2]]?["outcome"] as? String == "failed")
            #expect((outcomes[ids[2]]?["error"] as? String ?? "").contains("the recording itself is still there (read again: 200), so it was not deleted"), "\(outcomes[ids[2]] ?? [:])")
            #expect(outcomes[ids[3]]?["outcome"] as? String == "deleted")
            #expect(sandbox.deletedIDs == [ids[3]], "only the recording with a verified copy was deleted")
            #expect(sandbox.contains(id: ids[2]))
            #expect(result.stdout.contains("\"not_found\":2"), "\(result.stdout)")
            #expect(result.stdout.contains("\"failed\":1"))
            // The journal says the same: the last word on a recording gone is not_found.
            let journal = JSONLines.journal(scratch).filter { $0["id"] as? String == ids[0] }
            #expect(journal.last?["outcome"] as? String == "not_found", "\(journal)")
            #expect(!result.stderr.contains("failed \(ids[0])"))
        }
    }
}
