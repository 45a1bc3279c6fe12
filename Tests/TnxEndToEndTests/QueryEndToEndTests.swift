import Foundation
import Testing
import TnxSandbox

/// Queries through the built binary: the examples the README points at, a purge killed with
/// `kill -9` (while it reads the matches, and while it deletes them), and the shell's question.
@Suite("Queries end to end", .serialized)
struct QueryEndToEndTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test("the example scripts check clean, and the retention example dry-runs against the sandbox")
    func examples() async throws {
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path)
        let examples = Self.repository + "/scripts/examples"
        let check = try await TnxProcess.run(
            ["--check", examples + "/cleanup.tnx", examples + "/retention.tnx", examples + "/archive.tnx"], environment: env)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("retention.tnx: ok (1 bulk delete of every recording matching the query at"))
        #expect(check.stdout.contains("archive.tnx: ok (1 bulk delete of every recording matching the query at"))
        #expect(check.stdout.contains(", each only once its downloaded copy is verified; needs --yes to run)"))
        let dry = try await TnxProcess.run(["--sandbox", "--dry-run", examples + "/retention.tnx"], environment: env)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("would delete "))
        #expect(dry.stdout.contains("dry-run: nothing was deleted;"))
        #expect(dry.stdout.contains("matched "))
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/state/tnx/snapshots"))
        // What matched comes before what the dry-run did not do, in text and in JSON.
        let matched = try #require(dry.stdout.range(of: "matched "))
        let nothing = try #require(dry.stdout.range(of: "dry-run: nothing was deleted"))
        #expect(matched.lowerBound < nothing.lowerBound, "\(dry.stdout)")
        let json = try await TnxProcess.run(["--sandbox", "--dry-run", "-o", "json", examples + "/retention.tnx"], environment: env)
        let keys = json.stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]).flatMap { $0.keys.first { $0 == "snapshot" || $0 == "summary" } }
        }
        #expect(keys == ["snapshot", "summary"], "\(json.stdout.suffix(600))")
    }

    @Test("kill -9 while the matches are read: nothing is deleted")
    func killWhileReading() async throws {
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        faults.latency = .milliseconds(300)
        try await SandboxFixture.with(seed: 6000, faults: faults, scratch: scratch) { sandbox, env in
            let running = TnxProcess.start(["--yes", "-c", "foreach id in recordings delete $id"], environment: env)
            try await waitUntil { sandbox.totalRequests >= 3 }
            running.signal(SIGKILL)
            _ = try await running.finish(timeout: .seconds(30))
            #expect(sandbox.deletedIDs.isEmpty)
            #expect(sandbox.statistics.requestsByID.isEmpty)
        }
    }

    @Test("kill -9 in the middle of a purge, then the same purge again: every match deleted once, the journal never ahead")
    func killWhileDeletingThenAgain() async throws {
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        faults.latency = .milliseconds(10)
        try await SandboxFixture.with(seed: 1500, faults: faults, scratch: scratch) { sandbox, env in
            let purge = ["--yes", "--concurrency", "16", "--output", "json", "-c", "foreach id in recordings delete $id"]
            let running = TnxProcess.start(purge, environment: env)
            try await waitUntil { sandbox.deletedIDs.count >= 200 }
            running.signal(SIGKILL)
            _ = try await running.finish(timeout: .seconds(30))
            let journaled = JSONLines.journaledDeleted(scratch)
            #expect(journaled.isSubset(of: Set(sandbox.deletedIDs)), "the journal is ahead of the server")
            #expect(sandbox.deletedIDs.count < 1500)

            let again = try await TnxProcess.run(purge, environment: env)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(sandbox.recordingCount == 0)
            #expect(sandbox.statistics.requestsByID.values.allSatisfy { $0 == 1 }, "a recording was asked twice")
            // stdout is JSON lines only.
            let lines = again.stdout.split(separator: "\n")
            #expect(lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
            let after = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .compactMap { $0["after_purge"] as? [String: Any] }.first
            #expect(after?["still_match"] as? Int == 0)
            // What was in flight at the kill was deleted without its line, and is no longer listed:
            // at most `concurrency` recordings, as for an id file.
            let finallyJournaled = JSONLines.journaledDeleted(scratch)
            #expect(finallyJournaled.isSubset(of: Set(Sandbox.seededIDs(count: 1500))))
            #expect(1500 - finallyJournaled.count <= 16, "unjournaled: \(1500 - finallyJournaled.count)")
            let snapshots = try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/state/tnx/snapshots")
            #expect(snapshots.count == 2)
        }
    }

    @Test("in the shell, a purge asks with the exact count once the matches are read; y deletes them")
    func shellQuestion() async throws {
        let scratch = try Scratch()
        let pty = try await ShellSession.startAtPrompt(scratch: scratch)
        let count = ShellSession.printed(try await ShellSession.enter("count recordings where created before 300d", on: pty))
        let n = try #require(Int(count.prefix { $0.isNumber || $0 == "," }.filter(\.isNumber)))
        #expect(n > 0)
        pty.sendLine("foreach id in recordings where created before 300d delete $id")
        let asked = try await pty.waitFor("[y/N] ", timeout: .seconds(20))
        // The matches are counted on stderr while they are read, then the line makes way.
        #expect(asked.contains("reading the matches: "), "\(asked)")
        let grouped = n.formatted(.number.grouping(.automatic)).replacingOccurrences(of: "\u{202F}", with: ",")
        #expect(asked.contains("Delete \(grouped) recordings (recordings created before "), "\(asked)")
        #expect(asked.contains("h of audio") || asked.contains("min of audio"))
        pty.sendLine("y")
        let done = ShellSession.printed(try await pty.waitFor(ShellSession.prompt, timeout: .seconds(30)))
        #expect(done.contains("after the purge, no recordings match"), "\(done)")
        let left = ShellSession.printed(try await ShellSession.enter("count recordings where created before 300d", on: pty))
        #expect(left.hasPrefix("0 recordings match"), "\(left)")
        try await ShellSession.leave(pty)
    }

    @Test("--quiet: no count of the matches while they are read; n deletes nothing")
    func quietShell() async throws {
        let scratch = try Scratch()
        let pty = try await ShellSession.startAtPrompt(["--sandbox", "--quiet"], scratch: scratch)
        pty.sendLine("foreach id in recordings where created before 300d delete $id")
        let asked = try await pty.waitFor("[y/N] ", timeout: .seconds(20))
        #expect(!asked.contains("reading the matches"), "\(asked)")
        pty.sendLine("n")
        let answered = ShellSession.printed(try await pty.waitFor(ShellSession.prompt, timeout: .seconds(20)))
        #expect(answered.contains("nothing was deleted"))
        let left = ShellSession.printed(try await ShellSession.enter("count recordings where created before 300d", on: pty))
        #expect(!left.hasPrefix("0 "), "\(left)")
        try await ShellSession.leave(pty)
    }
}
