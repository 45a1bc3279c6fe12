import Foundation
import Testing
import TnxSandbox

#if canImport(Glibc)
import Glibc
#endif

/// "No delete is ever unaccounted for": each id is journaled `sending` before its delete goes,
/// so neither a `kill -9`, nor `timeout`'s signal to the process group, nor a deliberate second
/// Ctrl-C leaves a recording gone from the server without a journal line that names it.
@Suite("Write-ahead journal and stop signals, end to end", .serialized)
struct WriteAheadEndToEndTests {
    /// Each id's latest journal line's outcome.
    static func latest(_ lines: [[String: Any]]) -> [String: String] {
        var latest: [String: String] = [:]
        for line in lines {
            if let id = line["id"] as? String, let outcome = line["outcome"] as? String { latest[id] = outcome }
        }
        return latest
    }

    /// Ids that have a `sending` or a `deleted` line.
    static func named(_ lines: [[String: Any]]) -> Set<String> {
        Set(lines.filter { ["sending", "deleted"].contains($0["outcome"] as? String ?? "") }.compactMap { $0["id"] as? String })
    }

    @Test("kill -9 with deletes in flight: every recording gone from the server is named in the journal; --resume reads back each one left sending")
    func killNineLosesNothing() async throws {
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        // The sandbox deletes, then answers after the latency: at any moment the requests in
        // flight are recordings gone from the server with no answer yet.
        faults.latency = .milliseconds(200)
        try await SandboxFixture.with(seed: 400, faults: faults, scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 400)
            let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
            let running = TnxProcess.start(["--yes", "--concurrency", "16", "-c", "foreach id in \(file) delete $id"], environment: env)
            try await waitUntil { sandbox.deletedIDs.count >= 40 }
            running.signal(SIGKILL)
            _ = try await running.finish(timeout: .seconds(30))

            let gone = Set(sandbox.deletedIDs)
            let lines = JSONLines.journal(scratch)
            #expect(gone.isSubset(of: Self.named(lines)), "\(gone.subtracting(Self.named(lines)).count) recordings gone without a journal line")
            let leftSending = Set(Self.latest(lines).filter { $0.value == "sending" }.keys)
            let sentAndGone = leftSending.intersection(gone)
            #expect(!sentAndGone.isEmpty, "the kill came while deletes were in flight")
            #expect(gone.count < ids.count)

            let resumed = try await TnxProcess.run(
                ["--yes", "--resume", "--concurrency", "32", "--output", "json", "-c", "foreach id in \(file) delete $id"], environment: env)
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(Set(sandbox.deletedIDs) == Set(ids))
            #expect(sandbox.deletedIDs.count == ids.count, "nothing deleted twice")
            let outcomes = JSONLines.outcomes(resumed.stdout)
            #expect(outcomes.count == ids.count)
            // What the killed run sent and the server carried out is settled by a read: deleted,
            // said how it is known; never taken for `not_found`.
            let settled = outcomes.filter { ($0["note"] as? String)?.contains("verified absent by a read") == true }
            #expect(Set(settled.compactMap { $0["id"] as? String }) == sentAndGone)
            #expect(settled.allSatisfy { $0["outcome"] as? String == "deleted" })
            #expect(!outcomes.contains { $0["outcome"] as? String == "not_found" })
            // Every id's latest outcome is now `deleted` (the resumed run's `skipped` lines of
            // what was done before aside).
            let after = Self.latest(JSONLines.journal(scratch).filter { $0["outcome"] as? String != "skipped" })
            #expect(Set(after.keys) == Set(ids))
            #expect(after.values.allSatisfy { $0 == "deleted" }, "\(Set(after.values))")
        }
    }

    @Test("kill -9 during a purge by query: the purge with --resume reads back what was left sending, which no listing shows again")
    func killNineDuringAPurge() async throws {
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        faults.latency = .milliseconds(200)
        try await SandboxFixture.with(seed: 300, faults: faults, scratch: scratch) { sandbox, env in
            let purge = ["--yes", "--concurrency", "16", "--output", "json", "-c", "foreach id in recordings where created after 2000-01-01 delete $id"]
            let running = TnxProcess.start(purge, environment: env)
            try await waitUntil { sandbox.deletedIDs.count >= 40 }
            running.signal(SIGKILL)
            _ = try await running.finish(timeout: .seconds(30))
            let gone = Set(sandbox.deletedIDs)
            let leftSending = Set(Self.latest(JSONLines.journal(scratch)).filter { $0.value == "sending" }.keys).intersection(gone)
            #expect(!leftSending.isEmpty, "the kill came while deletes were in flight")

            let resumed = try await TnxProcess.run(["--resume"] + purge, environment: env)
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(Sandbox.seededIDs(count: 300).allSatisfy { !sandbox.contains(id: $0) }, "the purge finished")
            #expect(resumed.stderr.contains("an earlier purge sent and never verified, read back: \(leftSending.count) gone"), "\(resumed.stderr)")
            // The journal's last word on every recording gone is `deleted`: none is left `sending`.
            let after = Self.latest(JSONLines.journal(scratch).filter { $0["outcome"] as? String != "skipped" })
            #expect(Set(after.filter { $0.value == "deleted" }.keys) == Set(sandbox.deletedIDs))
            #expect(!after.values.contains("sending"))
            let settled = JSONLines.journal(scratch).filter { ($0["note"] as? String)?.contains("sent in an earlier run that stopped before its answer; read back: 404") == true }
            #expect(Set(settled.compactMap { $0["id"] as? String }) == leftSending)
        }
    }

    @Test("SIGTERM to tnx and then to its process group, as GNU timeout sends them: exit 143, the summary, every delete journaled")
    func timeoutSignalsTheGroup() async throws {
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        faults.latency = .milliseconds(300)
        try await SandboxFixture.with(seed: 400, faults: faults, scratch: scratch) { sandbox, env in
            let file = try scratch.write("ids.txt", Sandbox.seededIDs(count: 400).joined(separator: "\n"))
            let running = TnxProcess.start(["--yes", "--concurrency", "16", "-c", "foreach id in \(file) delete $id"], environment: env)
            let pid = running.process.processIdentifier
            // Foundation's Process starts tnx as the leader of a process group of its own.
            try #require(getpgid(pid) == pid)
            try await waitUntil { sandbox.deletedIDs.count >= 32 }
            kill(pid, SIGTERM)
            usleep(5_000)
            kill(-pid, SIGTERM)
            let result = try await running.finish(timeout: .seconds(60))
            #expect(result.status == 143, "\(result.stderr)")
            #expect(result.stdout.contains("summary"), "\(result.stdout.suffix(300))")
            #expect(result.stderr.contains("interrupted"))
            #expect(JSONLines.journaledDeleted(scratch) == Set(sandbox.deletedIDs), "every delete the server made has its outcome line")
            #expect(!Self.latest(JSONLines.journal(scratch)).values.contains("sending"), "nothing left sending after a clean stop")
        }
    }

    @Test("a deliberate second Ctrl-C stops waiting: exit 130 at once, every recording gone is named in the journal (sending)")
    func secondInterruptStopsWaiting() async throws {
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        // Longer than the duplicate window: the second Ctrl-C comes while deletes are in flight.
        faults.latency = .seconds(6)
        try await SandboxFixture.with(seed: 100, faults: faults, scratch: scratch) { sandbox, env in
            let file = try scratch.write("ids.txt", Sandbox.seededIDs(count: 100).joined(separator: "\n"))
            let running = TnxProcess.start(["--yes", "--concurrency", "8", "-c", "foreach id in \(file) delete $id"], environment: env)
            try await waitUntil { sandbox.deletedIDs.count >= 8 }
            running.signal(SIGINT)
            try await Task.sleep(for: .milliseconds(1500))
            #expect(running.isRunning, "still waiting for the deletes in flight")
            running.signal(SIGINT)
            let result = try await running.finish(timeout: .seconds(60))
            #expect(result.status == 130, "\(result.stderr)")
            let gone = Set(sandbox.deletedIDs)
            let lines = JSONLines.journal(scratch)
            #expect(!gone.isEmpty)
            #expect(gone.isSubset(of: Self.named(lines)), "\(gone.subtracting(Self.named(lines)).count) recordings gone without a journal line")
        }
    }
}
