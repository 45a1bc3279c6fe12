import Foundation
import Testing
import TnxSandbox

#if canImport(Glibc)
import Glibc
#endif

/// The safety promises of the README, tried on the built binary the way a hostile script, a
/// broken server, a supervisor's SIGTERM or a `kill -9` would.
@Suite("Safety promises, end to end", .serialized)
struct SafetyEndToEndTests {
    // MARK: Scripts and the command line

    @Test("--dry-run is final: 'set dry-run off' in the script is refused at check time, nothing is sent")
    func dryRunIsFinal() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 3)
            let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
            let script = try scratch.write("sneaky.tnx", "set dry-run off\nset confirm off\nforeach id in \(file) delete $id\n")
            let result = try await TnxProcess.run(["--dry-run", "--yes", script], environment: env)
            #expect(result.status == 2)
            #expect(result.stderr.contains("sneaky.tnx:1:1: error: tnx was started with --dry-run, which nothing can turn off"))
            #expect(sandbox.totalRequests == 0)
        }
    }

    @Test("the gate counts the whole invocation: three scripts with one delete each are refused without --yes")
    func gateCountsAllScripts() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 3)
            let scripts = try (0..<3).map { try scratch.write("s\($0).tnx", "delete \(ids[$0])\n") }
            let refused = try await TnxProcess.run(scripts, environment: env)
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("refusing to delete 3 recordings"))
            #expect(sandbox.totalRequests == 0)
            let allowed = try await TnxProcess.run(["--yes"] + scripts, environment: env)
            #expect(allowed.status == 0, "\(allowed.stderr)")
            #expect(Set(sandbox.deletedIDs) == Set(ids))
        }
    }

    @Test("each script file starts from the command line's settings: a dry first file does not make the second dry")
    func scriptsStartFresh() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(scratch: scratch) { sandbox, env in
            let id = Sandbox.seededIDs(count: 1)[0]
            let dry = try scratch.write("dry.tnx", "set dry-run on\ndelete \(id)\n")
            let real = try scratch.write("real.tnx", "delete \(id)\n")
            let result = try await TnxProcess.run(["--yes", dry, real], environment: env)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(sandbox.deletedIDs == [id])
        }
    }

    // MARK: The journal

    @Test("an unwritable journal is found before the first request: nothing deleted, a clear message")
    func unwritableJournal() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(scratch: scratch) { sandbox, env in
            let file = try scratch.write("ids.txt", Sandbox.seededIDs(count: 64).joined(separator: "\n"))
            let result = try await TnxProcess.run(
                ["--yes", "--journal", "/proc/nowhere/journal.jsonl", "--concurrency", "32", "-c", "foreach id in \(file) delete $id"],
                environment: env)
            #expect(result.status == 2)
            #expect(result.stderr.contains("cannot write the journal '/proc/nowhere/journal.jsonl'"))
            #expect(sandbox.deletedIDs.isEmpty)
            #expect(sandbox.totalRequests == 0)
        }
    }

    @Test("a journal that fails mid-run stops the sending: every outcome is still printed, exit 1")
    func journalFailsMidRun() async throws {
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        faults.latency = .milliseconds(5)
        try await SandboxFixture.with(seed: 400, faults: faults, scratch: scratch) { sandbox, env in
            let file = try scratch.write("ids.txt", Sandbox.seededIDs(count: 400).joined(separator: "\n"))
            let journal = scratch.path + "/j.jsonl"
            // A file-size limit of 4 KiB (dash counts 512-byte blocks): a handful of lines fit.
            let running = TnxProcess.start(
                ["--yes", "--output", "json", "--journal", journal, "--concurrency", "8", "-c", "foreach id in \(file) delete $id"],
                environment: env, launcher: ["/bin/sh", "-c", "ulimit -f 8; exec \"$0\" \"$@\""])
            let result = try await running.finish(timeout: .seconds(60))
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.components(separatedBy: "cannot write the journal").count == 2, "said once: \(result.stderr)")
            let printed = Set(JSONLines.outcomes(result.stdout).filter { $0["outcome"] as? String == "deleted" }.compactMap { $0["id"] as? String })
            let onServer = Set(sandbox.deletedIDs)
            #expect(printed == onServer, "every delete that happened is printed")
            let journaled = JSONLines.journaledDeleted(scratch, "j.jsonl")
            #expect(journaled.isSubset(of: onServer))
            #expect(onServer.count - journaled.count <= 8, "sending stopped: at most the requests in flight are unjournaled")
            #expect(onServer.count < 400)
        }
    }

    @Test("kill -9 in the middle of a bulk run: the outcome lines lag the server by at most the requests in flight, and --resume settles them")
    func killNine() async throws {
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        faults.latency = .milliseconds(10)
        try await SandboxFixture.with(seed: 1500, faults: faults, scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 1500)
            let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
            let running = TnxProcess.start(["--yes", "--concurrency", "16", "-c", "foreach id in \(file) delete $id"], environment: env)
            try await waitUntil { sandbox.deletedIDs.count >= 200 }
            running.signal(SIGKILL)
            _ = try await running.finish(timeout: .seconds(30))
            let onServer = Set(sandbox.deletedIDs)
            let journaled = JSONLines.journaledDeleted(scratch)
            #expect(journaled.isSubset(of: onServer))
            #expect(onServer.count - journaled.count <= 16, "lag \(onServer.count - journaled.count)")
            #expect(onServer.count < ids.count)

            let resumed = try await TnxProcess.run(
                ["--yes", "--resume", "--output", "json", "-c", "foreach id in \(file) delete $id"], environment: env)
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(Set(sandbox.deletedIDs) == Set(ids))
            let outcomes = JSONLines.outcomes(resumed.stdout)
            #expect(outcomes.count == ids.count)
            #expect(outcomes.filter { $0["outcome"] as? String == "skipped" }.count == journaled.count)
            // The deletes that happened without their outcome line were journaled `sending`: read
            // back, they are `deleted` (never a misleading not_found), nothing is deleted twice,
            // and the journal now has every id.
            #expect(outcomes.filter { ($0["note"] as? String)?.contains("verified absent by a read") == true }.count == onServer.count - journaled.count)
            #expect(!outcomes.contains { $0["outcome"] as? String == "not_found" })
            #expect(JSONLines.journaledDeleted(scratch) == Set(ids))
        }
    }

    // MARK: Signals and slow input

    @Test("SIGTERM and SIGHUP stop a run like Ctrl-C: in-flight requests journaled, the summary printed, exit 143 and 129")
    func terminateAndHangUp() async throws {
        for (signal, status) in [(SIGTERM, Int32(143)), (SIGHUP, Int32(129))] {
            let scratch = try Scratch()
            var faults = SandboxFaults.none
            faults.latency = .milliseconds(20)
            try await SandboxFixture.with(seed: 2000, faults: faults, scratch: scratch) { sandbox, env in
                let file = try scratch.write("ids.txt", Sandbox.seededIDs(count: 2000).joined(separator: "\n"))
                let running = TnxProcess.start(["--yes", "--concurrency", "8", "-c", "foreach id in \(file) delete $id"], environment: env)
                try await waitUntil { sandbox.deletedIDs.count >= 50 }
                running.signal(signal)
                let result = try await running.finish(timeout: .seconds(30))
                #expect(result.status == status, "\(result.stderr)")
                #expect(result.stdout.contains("summary"))
                #expect(result.stderr.contains("interrupted"))
                #expect(JSONLines.journaledDeleted(scratch) == Set(sandbox.deletedIDs), "every delete the server made is journaled")
            }
        }
    }

    @Test("ids from a slow pipe: each outcome is journaled when its answer arrives, and Ctrl-C stops the wait at once")
    func slowPipe() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 10, scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 3)
            let running = TnxProcess.start(
                ["--yes", "--output", "json", "-c", "foreach id in - delete $id"], environment: env, stdin: ids[0] + "\n", keepStdinOpen: true)
            try await waitUntil { sandbox.deletedIDs.count == 1 }
            // No more input and no end of it: the deleted recording already has its line, on
            // the disk and on stdout.
            try await waitUntil { JSONLines.journaledDeleted(scratch).count == 1 && running.stdoutSoFar.contains("\"deleted\"") }
            #expect(JSONLines.journaledDeleted(scratch) == [ids[0]])
            #expect(running.stdoutSoFar.contains(ids[0]))
            running.writeStdin(ids[1] + "\n")
            try await waitUntil { sandbox.deletedIDs.count == 2 }
            try await Task.sleep(for: .milliseconds(100))
            let stopped = ContinuousClock.now
            running.signal(SIGINT)
            let result = try await running.finish(timeout: .seconds(10))
            #expect(ContinuousClock.now - stopped < .seconds(5), "Ctrl-C is not stuck behind the read")
            #expect(result.status == 130)
            #expect(result.stdout.contains("\"summary\""))
            #expect(JSONLines.journaledDeleted(scratch) == Set(ids.prefix(2)))
            running.closeStdin()
        }
    }

    @Test("an id source that is not a regular file is read once, even with a terminal on stderr")
    func fifoReadOnce() async throws {
        let scratch = try Scratch()
        let ids = Sandbox.seededIDs(count: 50)
        let fifo = scratch.path + "/ids.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let writer = Task.detached {
            let fd = open(fifo, O_WRONLY)
            let text = ids.joined(separator: "\n") + "\n"
            _ = text.withCString { write(fd, $0, strlen($0)) }
            close(fd)
        }
        var env = TnxProcess.environment(stateHome: scratch.path)
        env["TERM"] = "xterm"
        let pty = try PseudoTerminal(
            executable: TnxProcess.binary, arguments: ["--sandbox", "--yes", "--seed", "50", "-c", "foreach id in \(fifo) delete $id"],
            environment: env, workingDirectory: scratch.path)
        let transcript = try await pty.waitFor("summary", timeout: .seconds(30))
        #expect(try await pty.waitForExit(timeout: .seconds(30)) == 0)
        _ = await writer.value
        let all = PseudoTerminal.stripANSI(transcript + pty.output)
        #expect(all.contains("read 50"), "\(all)")
        #expect(all.contains("deleted 50"))
    }

    @Test("a FIFO that no one writes to yet: Ctrl-C still stops tnx at once")
    func fifoWithoutWriter() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(scratch: scratch) { sandbox, env in
            let fifo = scratch.path + "/silent.fifo"
            #expect(mkfifo(fifo, 0o600) == 0)
            let running = TnxProcess.start(["--yes", "-c", "foreach id in \(fifo) delete $id"], environment: env)
            try await Task.sleep(for: .milliseconds(500))
            let stopped = ContinuousClock.now
            running.signal(SIGINT)
            let result = try await running.finish(timeout: .seconds(10))
            #expect(ContinuousClock.now - stopped < .seconds(5))
            #expect(result.status == 130, "\(result.stderr)")
            #expect(sandbox.deletedIDs.isEmpty)
        }
    }

    @Test("without --yes, a stream of ids cannot be counted: refused before anything is read")
    func streamNeedsConfirmation() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(scratch: scratch) { sandbox, env in
            let id = Sandbox.seededIDs(count: 1)[0]
            let result = try await TnxProcess.run(["-c", "foreach id in - delete $id"], environment: env, stdin: id + "\n")
            #expect(result.status == 2)
            #expect(result.stderr.contains("every recording listed in stdin"))
            #expect(sandbox.totalRequests == 0)
        }
    }

    @Test("stdout redirected: each outcome line is written as it happens, not when the run ends")
    func linesAppearLive() async throws {
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        faults.latency = .milliseconds(30)
        try await SandboxFixture.with(seed: 100, faults: faults, scratch: scratch) { sandbox, env in
            let file = try scratch.write("ids.txt", Sandbox.seededIDs(count: 100).joined(separator: "\n"))
            let running = TnxProcess.start(["--yes", "--concurrency", "1", "-c", "foreach id in \(file) delete $id"], environment: env)
            try await waitUntil { sandbox.deletedIDs.count >= 10 }
            try await waitUntil(.seconds(5)) { running.stdoutSoFar.components(separatedBy: "deleted ").count > 5 }
            #expect(running.isRunning, "still running")
            #expect(running.stdoutSoFar.components(separatedBy: "deleted ").count > 5, "\(running.stdoutSoFar)")
            running.signal(SIGINT)
            _ = try await running.finish(timeout: .seconds(30))
        }
    }

    @Test("stdout's reader goes away (tnx … | head -1): the run goes on and every delete is journaled")
    func closedPipe() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 300, scratch: scratch) { sandbox, env in
            let file = try scratch.write("ids.txt", Sandbox.seededIDs(count: 300).joined(separator: "\n"))
            let running = TnxProcess.start(
                ["--yes", "-c", "foreach id in \(file) delete $id"], environment: env,
                launcher: ["/bin/sh", "-c", "\"$0\" \"$@\" | head -n 1"])
            let result = try await running.finish(timeout: .seconds(60))
            #expect(result.stdout.split(separator: "\n").count == 1)
            #expect(sandbox.deletedIDs.count == 300)
            #expect(JSONLines.journaledDeleted(scratch) == Set(sandbox.deletedIDs))
        }
    }

    @Test("a script path or an option value with escape sequences is quoted safely in the error")
    func hostileCommandLine() async throws {
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path)
        for arguments in [["/no/such/\u{1B}[2Jscript.tnx"], ["--concurrency", "\u{1B}]0;x\u{07}", "-c", "help"], ["--base-url", "https://a\u{1B}[31m/v2", "-c", "help"]] {
            let result = try await TnxProcess.run(arguments, environment: env)
            #expect(result.status == 2)
            #expect(!result.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "\(result.stderr.debugDescription)")
        }
    }

    // MARK: Servers and addresses

    @Test("a base URL without /v2: refused up front, nothing deleted, and no journal line")
    func wrongBaseURL() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(scratch: scratch) { sandbox, env in
            var wrong = env
            wrong["TELNYX_BASE_URL"] = String(sandbox.baseURL.dropLast(3))
            let file = try scratch.write("ids.txt", Sandbox.seededIDs(count: 20).joined(separator: "\n"))
            let result = try await TnxProcess.run(["--yes", "-c", "foreach id in \(file) delete $id"], environment: wrong)
            #expect(result.status == 2)
            #expect(result.stderr.contains("does not point at the Telnyx recordings API"), "\(result.stderr)")
            #expect(result.stderr.contains("nothing was deleted"))
            #expect(!result.stdout.contains("not_found"))
            #expect(sandbox.deletedIDs.isEmpty)
            #expect(JSONLines.journal(scratch).isEmpty)
        }
    }

    @Test("--resume honours only journal lines of the same base URL; --sandbox keeps its own journal")
    func journalPerBaseURL() async throws {
        let scratch = try Scratch()
        let ids = Sandbox.seededIDs(count: 5)
        let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
        // Trying the ids in the sandbox writes the sandbox's journal, never the real one.
        let tried = try await TnxProcess.run(
            ["--sandbox", "--yes", "--seed", "5", "-c", "foreach id in \(file) delete $id"], environment: TnxProcess.environment(stateHome: scratch.path))
        #expect(tried.status == 0, "\(tried.stderr)")
        #expect(JSONLines.journaledDeleted(scratch, "state/tnx/sandbox-journal.jsonl") == Set(ids))
        #expect(scratch.read("state/tnx/journal.jsonl") == nil)
        // A journal of one API does not make --resume skip ids at another.
        try await SandboxFixture.with(seed: 5, scratch: scratch) { first, env in
            let run1 = try await TnxProcess.run(["--yes", "-c", "foreach id in \(file) delete $id"], environment: env)
            #expect(run1.status == 0)
            try await SandboxFixture.with(seed: 5, scratch: scratch) { second, env2 in
                let run2 = try await TnxProcess.run(["--yes", "--resume", "-c", "foreach id in \(file) delete $id"], environment: env2)
                #expect(run2.status == 0, "\(run2.stderr)")
                #expect(Set(second.deletedIDs) == Set(ids), "none skipped: the journal's lines are of another base URL")
                #expect(run2.stderr.contains("10 lines of another base URL"), "5 sending, 5 deleted")
            }
            _ = first
        }
    }

    @Test("a key with a control character: refused before any request, exit 2, never echoed")
    func controlCharacterKey() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(scratch: scratch) { sandbox, env in
            var bad = env
            bad["TELNYX_API_KEY"] = "KEYsecretpart\u{1B}[31mrest"
            let result = try await TnxProcess.run(["-c", "delete \(Sandbox.seededIDs(count: 1)[0])"], environment: bad)
            #expect(result.status == 2)
            #expect(result.stderr.contains("printable ASCII"))
            #expect(!(result.stdout + result.stderr).contains("secretpart"))
            #expect(sandbox.totalRequests == 0)
            #expect(scratch.read("state/tnx/journal.jsonl") == nil)
        }
    }

    @Test("a wait of two seconds or more is said on stderr as it starts, with its reason and length")
    func longWaitsAreSaid() async throws {
        let scratch = try Scratch()
        let limit = SandboxFaults.RateLimit(requests: 2, window: .seconds(3), hint: .retryAfterSeconds, sendsHeaders: false)
        try await SandboxFixture.with(seed: 4, faults: SandboxFaults(rateLimit: limit), scratch: scratch) { sandbox, env in
            let file = try scratch.write("ids.txt", Sandbox.seededIDs(count: 4).joined(separator: "\n"))
            let result = try await TnxProcess.run(["--yes", "--concurrency", "1", "-c", "foreach id in \(file) delete $id"], environment: env)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("tnx: waiting "), "\(result.stderr)")
            #expect(result.stderr.contains("rate limited (HTTP 429; the server's Retry-After)"))
            #expect(sandbox.deletedIDs.count == 4)
        }
    }

    @Test("every hostile server: no crash, no hang, one outcome per id, journal == server, the key never shown")
    func hostileServers() async throws {
        for hostility in SandboxFaults.Hostility.allCases {
            let scratch = try Scratch()
            var faults = SandboxFaults(hostility: [hostility])
            if hostility == .absurdRetryHints || hostility == .bogusResetWindow || hostility == .resetAfterRateLimit {
                faults.rateLimit = .init(requests: 20, window: .milliseconds(300), hint: .none)
            }
            try await SandboxFixture.with(seed: 60, faults: faults, scratch: scratch) { sandbox, env in
                let ids = Sandbox.seededIDs(count: 60) + ["00000000-0000-4000-8000-00000000beef"]
                let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
                let started = ContinuousClock.now
                let result = try await TnxProcess.run(
                    ["--yes", "--max-server-wait-ms", "400", "--concurrency", "8", "-c", "foreach id in \(file) delete $id"],
                    environment: env, timeout: .seconds(120))
                let elapsed = ContinuousClock.now - started
                #expect(result.status == 0 || result.status == 1, "\(hostility): \(result.status) \(result.stderr)")
                #expect(elapsed < .seconds(90), "\(hostility): \(elapsed)")
                let lines = result.stdout.split(separator: "\n").filter { line in
                    ["deleted ", "not_found ", "failed ", "skipped "].contains { line.hasPrefix($0) }
                }
                #expect(lines.count == ids.count, "\(hostility): one outcome per id\n\(result.stdout)")
                #expect(JSONLines.journaledDeleted(scratch) == Set(sandbox.deletedIDs), "\(hostility)")
                let everything = result.stdout + result.stderr + (scratch.read("state/tnx/journal.jsonl") ?? "")
                #expect(!everything.contains(Sandbox.defaultAPIKey), "\(hostility)")
                let raw = (result.stdout + result.stderr).unicodeScalars.contains {
                    $0.value == 0x1B || $0.value == 0x9B || $0.value == 0x07 || $0.value == 0x202E
                }
                #expect(!raw, "\(hostility): raw control characters reached the terminal")
            }
        }
    }
}
