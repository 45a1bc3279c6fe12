import Foundation
import Testing
import TnxSandbox

/// The built `tnx` binary against the sandbox API over loopback, as a user runs it.
@Suite("tnx as a script runner", .serialized)
struct ScriptRunnerTests {
    /// A sandbox, and the environment that points tnx at it, for the length of `body`.
    static func withSandbox<T>(
        seed: Int = 200, faults: SandboxFaults = .none, scratch: Scratch, _ body: (Sandbox, [String: String]) async throws -> T
    ) async throws -> T {
        try await SandboxFixture.with(seed: seed, faults: faults, scratch: scratch, body)
    }

    @Test("delete one recording: exit 0, the recording is gone, the journal says so")
    func singleDelete() async throws {
        let scratch = try Scratch()
        try await Self.withSandbox(scratch: scratch) { sandbox, env in
            let id = Sandbox.seededIDs(count: 1)[0]
            let result = try await TnxProcess.run(["-c", "delete \(id)"], environment: env)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("deleted"))
            #expect(result.stdout.contains(id))
            #expect(sandbox.deletedIDs == [id])
            let journal = try #require(scratch.read("state/tnx/journal.jsonl"))
            #expect(journal.contains("\"id\":\"\(id)\""))
            #expect(journal.contains("\"outcome\":\"deleted\""))
            #expect(!journal.contains(Sandbox.defaultAPIKey))
        }
    }

    @Test("habits from other CLIs: a statement typed as arguments gets its -c form; -o, -n, -y, -q are the short options")
    func habits() async throws {
        let scratch = try Scratch()
        try await Self.withSandbox(scratch: scratch) { sandbox, env in
            let typed = try await TnxProcess.run(["list", "recordings", "where", "from", "+12125551200"], environment: env)
            #expect(typed.status == 2)
            #expect(typed.stderr.contains("cannot read script 'list'"), "\(typed.stderr)")
            #expect(typed.stderr.contains("did you mean: tnx -c 'list recordings where from +12125551200'"), "\(typed.stderr)")
            #expect(sandbox.totalRequests == 0, "nothing is sent")

            let ids = Sandbox.seededIDs(count: 2)
            let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
            let dry = try await TnxProcess.run(["-o", "json", "-n", "-q", "-c", "foreach id in \(file) delete $id"], environment: env)
            #expect(dry.status == 0, "\(dry.stderr)")
            #expect(dry.stdout.contains("\"would_delete\""), "-o json and -n: \(dry.stdout)")
            #expect(!dry.stderr.contains("give either"))
            #expect(sandbox.deletedIDs.isEmpty)
            let real = try await TnxProcess.run(["-y", "-c", "foreach id in \(file) delete $id"], environment: env)
            #expect(real.status == 0, "-y allows the bulk delete: \(real.stderr)")
            #expect(Set(sandbox.deletedIDs) == Set(ids))
        }
    }

    @Test("a recording that does not exist is not_found, exit 0")
    func notFound() async throws {
        let scratch = try Scratch()
        try await Self.withSandbox(scratch: scratch) { sandbox, env in
            let result = try await TnxProcess.run(["-c", "delete 00000000-0000-4000-8000-000000000000"], environment: env)
            #expect(result.status == 0)
            #expect(result.stdout.contains("not_found"))
        }
    }

    @Test("a wrong key is exit 3 with a message that says what to check, and never shows the key")
    func unauthorized() async throws {
        let scratch = try Scratch()
        try await Self.withSandbox(scratch: scratch) { sandbox, env in
            var wrong = env
            wrong["TELNYX_API_KEY"] = "KEYwrong-secret-value"
            let id = Sandbox.seededIDs(count: 1)[0]
            let result = try await TnxProcess.run(["-c", "delete \(id)"], environment: wrong)
            #expect(result.status == 3)
            #expect((result.stdout + result.stderr).contains("TELNYX_API_KEY"))
            #expect(!(result.stdout + result.stderr).contains("KEYwrong-secret-value"))
            #expect(sandbox.deletedIDs.isEmpty)
        }
    }

    @Test("a bulk run under latency, 5xx and 429: the journal and the server agree on what was deleted")
    func bulkUnderFaults() async throws {
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        faults.latency = .milliseconds(2)
        faults.serverErrorRate = 0.1
        // 429s without Retry-After (as Telnyx promises) once 1,500 requests were made in a second.
        faults.rateLimit = .init(requests: 1500, window: .seconds(1), hint: .none)
        try await Self.withSandbox(seed: 3000, faults: faults, scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 3000)
            // Some ids twice, some unknown, some invalid lines.
            var lines = ids
            lines.insert(ids[10], at: 500)
            lines.append("not a valid id!")
            lines.append("00000000-0000-4000-8000-000000000001")
            let file = try scratch.write("ids.txt", lines.joined(separator: "\n"))
            let result = try await TnxProcess.run(
                ["--yes", "--output", "json", "--concurrency", "32", "-c", "foreach id in \(file) delete $id"], environment: env)
            #expect(result.status == 0 || result.status == 1, "\(result.stderr)")
            let outcomes = result.stdout.split(separator: "\n").compactMap {
                try? JSONDecoder().decode(OutcomeLine.self, from: Data($0.utf8))
            }.filter { $0.outcome != nil }
            #expect(outcomes.count == lines.count, "every line with an id has exactly one outcome")
            let deletedByTnx = Set(outcomes.filter { $0.outcome == "deleted" }.map(\.id))
            let deletedOnServer = Set(sandbox.deletedIDs)
            #expect(deletedByTnx == deletedOnServer)
            #expect(outcomes.filter { $0.outcome == "duplicate" }.count == 1)
            #expect(outcomes.filter { $0.outcome == "invalid" }.count == 1)
            #expect(outcomes.filter { $0.outcome == "not_found" }.count == 1)
            // Retries absorb a 10 % 5xx rate: (almost) everything is deleted.
            #expect(deletedOnServer.count >= 2990)
            let journal = try #require(scratch.read("state/tnx/journal.jsonl"))
            let journaledDeleted = Set(
                journal.split(separator: "\n").compactMap { try? JSONDecoder().decode(OutcomeLine.self, from: Data($0.utf8)) }
                    .filter { $0.outcome == "deleted" }.map(\.id))
            #expect(journaledDeleted == deletedOnServer)
            let summary = try #require(
                result.stdout.split(separator: "\n").compactMap { try? JSONDecoder().decode(SummaryLine.self, from: Data($0.utf8)) }.last)
            #expect(summary.summary.read == lines.count)
            #expect(sandbox.statistics.serverErrors > 0, "faults were injected")
        }
    }

    @Test("--sandbox deletes from its own seeded sandbox, and says what is missing when tnx-sandbox is not beside tnx")
    func sandboxOption() async throws {
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path)
        let id = Sandbox.seededIDs(count: 1)[0]
        let result = try await TnxProcess.run(["--sandbox", "--yes", "--output", "json", "-c", "delete \(id)"], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains(#""outcome":"deleted""#), "\(result.stdout)")

        // tnx alone, without tnx-sandbox beside it: a clear error, exit 2, nothing sent.
        let alone = scratch.path + "/alone"
        try FileManager.default.createDirectory(atPath: alone, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TnxProcess.binary, toPath: alone + "/tnx")
        let missing = try await TnxProcess.run(
            ["--sandbox", "-c", "delete \(id)"], environment: env, executable: alone + "/tnx")
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--sandbox needs the tnx-sandbox program beside tnx, at \(alone)/tnx-sandbox"), "\(missing.stderr)")
        #expect(missing.stdout.isEmpty)
    }

    @Test("dry-run sends no request and shows each one")
    func dryRun() async throws {
        let scratch = try Scratch()
        try await Self.withSandbox(scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 50)
            let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
            let result = try await TnxProcess.run(["--dry-run", "-c", "foreach id in \(file) delete $id"], environment: env)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(sandbox.totalRequests == 0)
            #expect(result.stdout.contains("DELETE \(sandbox.baseURL)/recordings/\(ids[7])"))
            #expect(result.stdout.contains("would delete 50"))
            #expect(scratch.read("state/tnx/journal.jsonl") == nil)
        }
    }

    @Test("the safety gate: a bulk delete without --yes is refused with exit 2 and nothing sent")
    func safetyGate() async throws {
        let scratch = try Scratch()
        try await Self.withSandbox(scratch: scratch) { sandbox, env in
            let file = try scratch.write("ids.txt", Sandbox.seededIDs(count: 20).joined(separator: "\n"))
            let script = try scratch.write("cleanup.tnx", "foreach id in \(file) delete $id\n")
            let refused = try await TnxProcess.run([script], environment: env)
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("refusing to delete 20 recordings"))
            #expect(sandbox.totalRequests == 0)
            let allowed = try await TnxProcess.run(["--yes", script], environment: env)
            #expect(allowed.status == 0)
            #expect(sandbox.deletedIDs.count == 20)
        }
    }

    @Test("Ctrl-C stops a bulk run with exit 130; --resume finishes it without sending a done id again")
    func interruptAndResume() async throws {
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        faults.latency = .milliseconds(20)
        try await Self.withSandbox(seed: 2000, faults: faults, scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 2000)
            let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
            let running = TnxProcess.start(["--yes", "--concurrency", "4", "-c", "foreach id in \(file) delete $id"], environment: env)
            // Wait until some deletes are done, then interrupt.
            let deadline = ContinuousClock.now + .seconds(30)
            while sandbox.deletedIDs.count < 40, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            running.signal(SIGINT)
            let first = try await running.finish(timeout: .seconds(30))
            #expect(first.status == 130, "\(first.stderr)")
            #expect(first.stdout.contains("summary"))
            #expect(first.stderr.contains("interrupted: ids after the last one read were not touched; run again with --resume"))
            let deletedFirst = Set(sandbox.deletedIDs)
            #expect(deletedFirst.count < ids.count)
            let journal = try #require(scratch.read("state/tnx/journal.jsonl"))
            let journaled = journal.split(separator: "\n").filter { $0.contains("\"outcome\":\"deleted\"") }.count
            #expect(journaled == deletedFirst.count, "every deletion the server made is in the journal")

            sandbox.setFaults(.none)
            let second = try await TnxProcess.run(["--yes", "--resume", "--output", "json", "-c", "foreach id in \(file) delete $id"], environment: env)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(Set(sandbox.deletedIDs) == Set(ids))
            #expect(second.stdout.components(separatedBy: "\"outcome\":\"skipped\"").count - 1 == deletedFirst.count)
            #expect(second.stdout.components(separatedBy: "\"outcome\":\"not_found\"").count - 1 == 0)
        }
    }

    @Test("ids from stdin, with CRLF, a BOM, comments, blanks, invalid and duplicate lines")
    func stdinIDs() async throws {
        let scratch = try Scratch()
        try await Self.withSandbox(scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 3)
            let input = "\u{FEFF}\(ids[0])\r\n\r\n# comment\r\n  \(ids[1])  \r\n\(ids[0])\r\nbad/id\r\n\(ids[2])"
            let result = try await TnxProcess.run(["--yes", "-c", "foreach id in - delete $id"], environment: env, stdin: input)
            #expect(result.status == 1, "an invalid line makes the exit status 1: \(result.stderr)")
            #expect(result.stderr.contains("1 line of <stdin> is not a recording id"))
            #expect(Set(sandbox.deletedIDs) == Set(ids))
            #expect(result.stdout.contains("<stdin>:6: invalid recording id \"bad/id\""))
            #expect(result.stdout.contains("duplicate"))
        }
    }

    @Test("a script read from stdin runs; a syntax error anywhere means nothing is sent")
    func scriptFromStdin() async throws {
        let scratch = try Scratch()
        try await Self.withSandbox(scratch: scratch) { sandbox, env in
            let id = Sandbox.seededIDs(count: 1)[0]
            let bad = try await TnxProcess.run([], environment: env, stdin: "delete \(id)\nforeach id delete $id\n")
            #expect(bad.status == 2)
            #expect(bad.stderr.contains("<stdin>:2:12: error: expected 'in' after loop variable 'id'"))
            #expect(sandbox.totalRequests == 0)
            let good = try await TnxProcess.run([], environment: env, stdin: "delete \(id)\n")
            #expect(good.status == 0, "\(good.stderr)")
            #expect(sandbox.deletedIDs == [id])
        }
    }

    @Test("--check: 0 for a clean script, 2 with located diagnostics, and no network")
    func check() async throws {
        let scratch = try Scratch()
        let ids = try scratch.write("ids.txt", "x\n")
        let good = try scratch.write("good.tnx", "#!/usr/bin/env tnx\nset dry-run on\nforeach id in \(ids) {\n  delete $id\n}\nshow last\n")
        let bad = try scratch.write("bad.tnx", "set concurrency 0\nforeach id delete $id\n")
        let env = TnxProcess.environment(stateHome: scratch.path, extra: ["TELNYX_BASE_URL": "http://127.0.0.1:1/v2"])
        let ok = try await TnxProcess.run(["--check", good], environment: env)
        #expect(ok.status == 0, "\(ok.stderr)")
        let failed = try await TnxProcess.run(["--check", good, bad], environment: env)
        #expect(failed.status == 2)
        #expect(failed.stderr.contains("bad.tnx:1:17: error:"))
        #expect(failed.stderr.contains("bad.tnx:2:12: error: expected 'in' after loop variable 'id'"))
        #expect(failed.stderr.contains("^"))
    }

    @Test("--version and --help answer with exit 0; a bad option is exit 2")
    func usage() async throws {
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path)
        let version = try await TnxProcess.run(["--version"], environment: env)
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("tnx "))
        let help = try await TnxProcess.run(["--help"], environment: env)
        #expect(help.status == 0)
        #expect(help.stdout.contains("--dry-run"))
        let bad = try await TnxProcess.run(["--concurrency", "0", "-c", "help"], environment: env)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--concurrency must be a whole number from 1 to 256"))
        // The option takes exactly the numbers of `set concurrency`.
        let tooMany = try await TnxProcess.run(["--concurrency", "257", "-c", "help"], environment: env)
        #expect(tooMany.status == 2)
        #expect(tooMany.stderr.contains("--concurrency must be a whole number from 1 to 256, not 257"))
        let most = try await TnxProcess.run(["--concurrency", "256", "-c", "help"], environment: env)
        #expect(most.status == 0, "\(most.stderr)")
    }
}

struct OutcomeLine: Decodable {
    var id: String
    var outcome: String?
    var http_status: Int?
}

struct SummaryLine: Decodable {
    struct Counts: Decodable {
        var read: Int
        var deleted: Int
    }
    var summary: Counts
}
