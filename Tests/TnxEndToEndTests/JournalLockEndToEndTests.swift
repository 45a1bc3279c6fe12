import Foundation
import Testing
import TnxSandbox

/// Two runs on one journal (cron and a person, or a slow night and the next) never
/// interleave: the second stops at once with exit 4 and sends nothing, or queues behind the
/// first with `--wait-lock`; the lock is the kernel's, so a run killed with `kill -9` blocks
/// nobody.
@Suite("One run at a time on a journal, end to end", .serialized)
struct JournalLockEndToEndTests {
    static func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    /// A sandbox slow enough (every request to a recording takes `latency`) that a run over
    /// `count` ids, one at a time, is still going while a second run starts; and that run,
    /// started and holding the journal (its first delete answered).
    static func withHolder(
        count: Int = 40, latency: Duration = .milliseconds(200),
        _ body: (Sandbox, [String: String], Scratch, TnxProcess.Running, _ other: [String]) async throws -> Void
    ) async throws {
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        faults.latency = latency
        try await SandboxFixture.with(seed: 200, faults: faults, scratch: scratch) { sandbox, env in
            let all = Sandbox.seededIDs(count: count + 5)
            let file = try scratch.write("ids.txt", all.prefix(count).joined(separator: "\n"))
            let holder = TnxProcess.start(["--yes", "--concurrency", "1", "-c", "foreach id in \(file) delete $id"], environment: env)
            try await waitUntil { !sandbox.deletedIDs.isEmpty || !holder.isRunning }
            #expect(holder.isRunning, "the first run is still going: \(holder.stderrSoFar)")
            try await body(sandbox, env, scratch, holder, Array(all.suffix(5)))
            if holder.isRunning { holder.signal(SIGTERM) }
            _ = try await holder.finish(timeout: .seconds(60))
        }
    }

    /// Requests that confirm the base URL before a first delete (`GET /recordings?page[size]=1`).
    static func endpointChecks(_ sandbox: Sandbox) -> Int {
        sandbox.seenPaths.filter { $0.hasPrefix("/v2/recordings?") }.count
    }

    static func journalPath(_ scratch: Scratch) -> String { scratch.path + "/state/tnx/journal.jsonl" }

    @Test("a second run on a journal in use exits 4 at once, sends nothing, and says who holds it and what to do")
    func secondRunStops() async throws {
        try await Self.withHolder { sandbox, env, scratch, holder, other in
            let checksBefore = Self.endpointChecks(sandbox)
            let started = ContinuousClock.now
            let second = try await TnxProcess.run(["--yes", "-c", "delete \(other[0])"], environment: env)
            let took = ContinuousClock.now - started
            #expect(second.status == 4, "\(second.stderr)")
            #expect(took < .seconds(10), "it did not wait: \(took)")
            #expect(sandbox.requestCount(for: other[0]) == 0, "nothing was sent")
            #expect(Self.endpointChecks(sandbox) == checksBefore, "not even the base URL's check")
            let pid = holder.process.processIdentifier
            let journal = Self.journalPath(scratch)
            let said = second.stderr
            #expect(said.contains("tnx: error: another tnx (pid \(pid), started "), "\(said)")
            #expect(said.contains(") is using this journal (\(journal)); nothing was sent; wait for it to finish, or run with --wait-lock SECONDS"), "\(said)")
            // The start time is a UTC time of today, as the holder's record says.
            let record = try #require(scratch.read("state/tnx/journal.jsonl.lock"))
            #expect(record.hasPrefix("\(pid) "), "\(record)")
            let time = String(record.dropFirst("\(pid) ".count).dropLast())
            #expect(time.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/) != nil, "\(record)")
            #expect(said.contains("started \(time))"))
            #expect(Self.lines(said).last?.hasPrefix("tnx: exit 4: another tnx is using the journal (see above); nothing was sent") == true, "\(said)")
            #expect(!(scratch.read("state/tnx/journal.jsonl") ?? "").contains(other[0]), "the second run wrote nothing in the journal")
            // A download is a run that writes the journal too.
            let download = try await TnxProcess.run(["-c", "download \(other[1]) to \(scratch.path)/archive"], environment: env)
            #expect(download.status == 4, "\(download.stderr)")
            #expect(sandbox.requestCount(for: other[1]) == 0)
            #expect(holder.isRunning, "the first run goes on")
        }
    }

    @Test("with --wait-lock the second run waits for the first, saying so once, then runs after it: no interleaving")
    func waitLockQueues() async throws {
        try await Self.withHolder(count: 10) { sandbox, env, scratch, holder, other in
            let second = try await TnxProcess.run(["--wait-lock", "30", "-c", "delete \(other[0])"], environment: env, timeout: .seconds(60))
            #expect(second.status == 0, "\(second.stderr)")
            let waits = Self.lines(second.stderr).filter { $0.contains("waiting up to 30 s for another tnx (pid \(holder.process.processIdentifier), started ") }
            #expect(waits.count == 1, "\(second.stderr)")
            #expect(waits.first?.contains("which is using this journal (\(Self.journalPath(scratch)))") == true)
            let first = try await holder.finish(timeout: .seconds(30))
            #expect(first.status == 0, "\(first.stderr)")
            #expect(sandbox.deletedIDs.count == 11)
            #expect(sandbox.deletedIDs.last == other[0], "the waiting run sent its delete after the first run's last")
            // In the journal, each run's lines are one block.
            let runs = JSONLines.journal(scratch).compactMap { $0["run"] as? String }
            var blocks: [String] = []
            for run in runs where blocks.last != run { blocks.append(run) }
            #expect(blocks.count == 2 && Set(blocks).count == 2, "\(blocks)")
        }
    }

    @Test("--wait-lock gives up after SECONDS: exit 4, nothing sent")
    func waitLockTimesOut() async throws {
        try await Self.withHolder { sandbox, env, scratch, holder, other in
            let started = ContinuousClock.now
            let second = try await TnxProcess.run(["--wait-lock", "1", "-c", "delete \(other[0])"], environment: env)
            #expect(second.status == 4, "\(second.stderr)")
            #expect(ContinuousClock.now - started >= .seconds(1))
            #expect(second.stderr.contains("is still using this journal (\(Self.journalPath(scratch))) after 1 s of waiting; nothing was sent; wait longer with --wait-lock SECONDS"), "\(second.stderr)")
            #expect(sandbox.requestCount(for: other[0]) == 0)
        }
    }

    @Test("Ctrl-C while waiting for the journal exits 130, nothing sent")
    func interruptWhileWaiting() async throws {
        try await Self.withHolder { sandbox, env, scratch, holder, other in
            let waiting = TnxProcess.start(["--wait-lock", "60", "-c", "delete \(other[0])"], environment: env)
            try await waitUntil { waiting.stderrSoFar.contains("waiting up to 60 s") }
            waiting.signal(SIGINT)
            let result = try await waiting.finish(timeout: .seconds(10))
            #expect(result.status == 130, "\(result.stderr)")
            #expect(result.stderr.contains("interrupted while waiting for the journal (\(Self.journalPath(scratch))); nothing was sent"), "\(result.stderr)")
            #expect(sandbox.requestCount(for: other[0]) == 0)
        }
    }

    @Test("after kill -9 of the holder, the next run takes the journal at once: the record it left blocks nothing")
    func killNineFreesTheJournal() async throws {
        try await Self.withHolder { sandbox, env, scratch, holder, other in
            let pid = holder.process.processIdentifier
            holder.signal(SIGKILL)
            _ = try await holder.finish(timeout: .seconds(10))
            #expect(scratch.read("state/tnx/journal.jsonl.lock")?.hasPrefix("\(pid) ") == true, "the killed run's record is still there")
            let started = ContinuousClock.now
            let next = try await TnxProcess.run(["-c", "delete \(other[0])"], environment: env)
            #expect(next.status == 0, "\(next.stderr)")
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(sandbox.deletedIDs.last == other[0])
            #expect(!next.stderr.contains("another tnx"))
            #expect(scratch.read("state/tnx/journal.jsonl.lock")?.hasPrefix("\(pid) ") == false, "the record names the new holder")
        }
    }

    @Test("--dry-run, --check, --no-journal and a run that only reads never take the journal's lock")
    func whatTakesNoLock() async throws {
        try await Self.withHolder { sandbox, env, scratch, holder, other in
            let dryRun = try await TnxProcess.run(["--dry-run", "-c", "delete \(other[0])"], environment: env)
            #expect(dryRun.status == 0, "\(dryRun.stderr)")
            let count = try await TnxProcess.run(["-c", "count recordings"], environment: env)
            #expect(count.status == 0, "\(count.stderr)")
            let script = try scratch.write("one.tnx", "delete \(other[1])\n")
            let check = try await TnxProcess.run(["--check", script], environment: env)
            #expect(check.status == 0, "\(check.stderr)")
            let noJournal = try await TnxProcess.run(["--no-journal", "-c", "delete \(other[1])"], environment: env)
            #expect(noJournal.status == 0, "\(noJournal.stderr)")
            #expect(sandbox.deletedIDs.contains(other[1]))
            #expect(holder.isRunning)
        }
        // And a dry-run that is still running holds nothing: a real run goes on beside it.
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        faults.latency = .milliseconds(200)
        try await SandboxFixture.with(seed: 200, faults: faults, scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 41)
            let file = try scratch.write("ids.txt", ids.prefix(40).joined(separator: "\n"))
            let dryRun = TnxProcess.start(
                ["--dry-run", "--concurrency", "1", "-c", "foreach id in \(file) { download $id to \(scratch.path)/archive }"], environment: env)
            try await waitUntil { sandbox.requestCount(for: ids[1]) > 0 || !dryRun.isRunning }
            #expect(dryRun.isRunning)
            let real = try await TnxProcess.run(["-c", "delete \(ids[40])"], environment: env)
            #expect(real.status == 0, "\(real.stderr)")
            #expect(sandbox.deletedIDs == [ids[40]])
            dryRun.signal(SIGTERM)
            _ = try await dryRun.finish(timeout: .seconds(30))
        }
    }

    @Test("the shell takes the journal's lock at its first delete and holds it until it ends; a shell that finds it taken says so and goes on")
    func shellHoldsTheLock() async throws {
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path)
        let ids = Sandbox.seededIDs(count: 4)
        let pty = try await ShellSession.startAtPrompt(scratch: scratch)
        // Reading takes no lock: another run goes on beside the shell.
        _ = try await ShellSession.enter("count recordings", on: pty)
        let beside = try await TnxProcess.run(["--sandbox", "-c", "delete \(ids[0])"], environment: env)
        #expect(beside.status == 0, "\(beside.stderr)")
        // The first delete takes it, for the rest of the session.
        let deleted = ShellSession.printed(try await ShellSession.enter("delete \(ids[1])", on: pty))
        #expect(deleted.contains("deleted"), "\(deleted)")
        let refused = try await TnxProcess.run(["--sandbox", "-c", "delete \(ids[2])"], environment: env)
        #expect(refused.status == 4, "\(refused.stderr)")
        #expect(refused.stderr.contains("another tnx (pid \(pty.pid), started "), "\(refused.stderr)")
        let again = ShellSession.printed(try await ShellSession.enter("delete \(ids[2])", on: pty))
        #expect(again.contains("deleted"), "the shell itself goes on deleting: \(again)")
        try await ShellSession.leave(pty)
        let after = try await TnxProcess.run(["--sandbox", "-c", "delete \(ids[3])"], environment: env)
        #expect(after.status == 0, "free once the shell ended: \(after.stderr)")

        // A shell that finds the journal taken says who has it, and its prompt comes back.
        let holderFile = try scratch.write("ids.txt", Sandbox.seededIDs(count: 60).joined(separator: "\n"))
        let holder = TnxProcess.start(
            ["--sandbox", "--latency-ms", "200", "--yes", "--concurrency", "1", "-c", "foreach id in \(holderFile) delete $id"], environment: env)
        try await waitUntil { (scratch.read("state/tnx/sandbox-journal.jsonl.lock") ?? "").hasPrefix("\(holder.process.processIdentifier) ") }
        let second = try await ShellSession.startAtPrompt(scratch: scratch)
        let busy = ShellSession.printed(try await ShellSession.enter("delete \(ids[0])", on: second))
        #expect(busy.contains("another tnx (pid \(holder.process.processIdentifier), started "), "\(busy)")
        #expect(busy.contains("is using this journal"), "\(busy)")
        try await ShellSession.leave(second)
        holder.signal(SIGTERM)
        _ = try await holder.finish(timeout: .seconds(30))
    }

    @Test("exit status 4 is explained in the same words by help, --help, the man page's EXIT STATUS, the README and docs/language.md")
    func exitStatusFourDocumented() async throws {
        let meaning = "another tnx is using the journal, so nothing was sent (wait, or use --wait-lock SECONDS)"
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path)
        let help = try await TnxProcess.run(["--help"], environment: env)
        #expect(help.stdout.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: #" +"#, with: " ", options: .regularExpression)
            .contains("4 \(meaning);"), "\(help.stdout)")
        let manual = try await TnxProcess.run(["--manual-exit-status"], environment: env)
        #expect(manual.stdout.contains(".It 4\n\(meaning)\n"), "\(manual.stdout)")
        let topic = try await TnxProcess.run(["-c", "help exit-codes"], environment: env)
        #expect(topic.stdout.replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression).contains("4 \(meaning)"), "\(topic.stdout)")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("`4` \(meaning);"))
        let language = try String(contentsOf: root.appendingPathComponent("docs/language.md"), encoding: .utf8)
        #expect(language.contains("| 4 | \(meaning) |"))
        // The option is described in the same words by --help and the README.
        let option = "When another tnx is using the journal, wait up to SECONDS for it (0 to 86400) instead of stopping with exit status 4."
        #expect(help.stdout.replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression).contains(option), "\(help.stdout)")
        #expect(readme.contains("| `--wait-lock SECONDS` | \(option) |"))
    }
}
