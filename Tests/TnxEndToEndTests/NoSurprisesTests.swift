import Foundation
import Testing
import TnxSandbox

#if canImport(Glibc)
import Glibc
#endif

/// What a new user who lives in psql, sqlite3 and gh meets: output, errors and exit codes a
/// cron job can trust, and a shell that keeps what was typed.
@Suite("No surprises at the keyboard or in cron", .serialized)
struct NoSurprisesTests {
    static func withSandbox<T>(
        seed: Int = 50, faults: SandboxFaults = .none, scratch: Scratch, _ body: (Sandbox, [String: String]) async throws -> T
    ) async throws -> T {
        try await SandboxFixture.with(seed: seed, faults: faults, scratch: scratch, body)
    }

    // MARK: Output, errors and exit codes

    @Test("on-error stop says where the script stopped and how many statements were not run")
    func saysWhatDidNotRun() async throws {
        let scratch = try Scratch()
        try await Self.withSandbox(scratch: scratch) { sandbox, env in
            sandbox.script([.apiError(status: 422, code: "10015", title: "Bad request")], for: "bad-one")
            let script = try scratch.write("s.tnx", "delete bad-one\nshow settings\ndelete \(Sandbox.seededIDs(count: 1)[0])\n")
            let result = try await TnxProcess.run(["--yes", script], environment: env)
            #expect(result.status == 1)
            #expect(result.stderr.contains("stopped at \(script):1:1 (on-error stop"), "\(result.stderr)")
            #expect(result.stderr.contains("2 statements after it were not run"))
            #expect(sandbox.deletedIDs.isEmpty)
        }
    }

    @Test("no API key: one message before anything runs, exit 3, and no claim that a key was refused")
    func noKeyOneDiagnosis() async throws {
        let scratch = try Scratch()
        try await Self.withSandbox(scratch: scratch) { sandbox, env in
            var noKey = env
            noKey["TELNYX_API_KEY"] = nil
            let file = try scratch.write("ids.txt", Sandbox.seededIDs(count: 40).joined(separator: "\n"))
            let result = try await TnxProcess.run(["--yes", "--concurrency", "32", "-c", "foreach id in \(file) delete $id"], environment: noKey)
            #expect(result.status == 3)
            #expect(result.stderr.components(separatedBy: "no API key").count == 2, "\(result.stderr)")
            #expect(!result.stderr.contains("401"))
            #expect(result.stdout.isEmpty)
            #expect(sandbox.totalRequests == 0)
        }
    }

    @Test("relative id files in a script file are read from the script's directory; errors name the absolute path")
    func pathsRelativeToTheScript() async throws {
        let scratch = try Scratch()
        try await Self.withSandbox(scratch: scratch) { sandbox, env in
            let jobs = scratch.path + "/jobs"
            try FileManager.default.createDirectory(atPath: jobs, withIntermediateDirectories: true)
            try scratch.write("jobs/ids.txt", Sandbox.seededIDs(count: 3).joined(separator: "\n"))
            let script = try scratch.write("jobs/purge.tnx", "foreach id in ids.txt delete $id\n")
            // Run from elsewhere, as cron does from $HOME.
            let result = try await TnxProcess.run(["--yes", script], environment: env)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(sandbox.deletedIDs.count == 3)
            let missing = try scratch.write("jobs/missing.tnx", "foreach id in nope.txt delete $id\n")
            let failed = try await TnxProcess.run(["--yes", missing], environment: env)
            #expect(failed.status == 2)
            #expect(failed.stderr.contains("cannot read id file '\(jobs)/nope.txt'"), "\(failed.stderr)")
        }
    }

    @Test("all of a script's errors at once: syntax errors and the checks of what parsed")
    func allErrorsAtOnce() async throws {
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path)
        let script = try scratch.write("s.tnx", "set concurrency 0\nforeach id delete $id\ndelete not/an/id\nforeach id in missing.txt delete $id\n")
        let result = try await TnxProcess.run(["--check", script], environment: env)
        #expect(result.status == 2)
        #expect(result.stderr.contains("s.tnx:1:17: error:"))
        #expect(result.stderr.contains("s.tnx:2:12: error:"))
        #expect(result.stderr.contains("s.tnx:3:8: error: invalid recording id"), "\(result.stderr)")
        #expect(result.stderr.contains("s.tnx:4:15: error: cannot read id file"))
        #expect(result.stderr.contains("4 errors in"))
    }

    @Test("the caret of an unknown help topic is under the topic")
    func helpTopicCaret() async throws {
        let scratch = try Scratch()
        let result = try await TnxProcess.run(["-c", "help bogus"], environment: TnxProcess.environment(stateHome: scratch.path))
        #expect(result.status == 2)
        #expect(result.stderr.contains("<command line>:1:6: error: unknown help topic 'bogus'"), "\(result.stderr)")
        #expect(result.stderr.contains("help bogus\n     ^~~~~"), "\(result.stderr)")
    }

    @Test("--check says what it found")
    func checkReport() async throws {
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path)
        try scratch.write("ids.txt", Sandbox.seededIDs(count: 1234).joined(separator: "\n"))
        let retention = try scratch.write("retention.tnx", "foreach id in ids.txt delete $id\n")
        let dry = try scratch.write("dry.tnx", "set dry-run on\nforeach id in ids.txt delete $id\n")
        let result = try await TnxProcess.run(["--check", retention, dry], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("retention.tnx: ok (1 bulk delete of 1,234 recordings; needs --yes to run)"), "\(result.stdout)")
        #expect(result.stdout.contains("dry.tnx: ok (deletes nothing)"))
    }

    @Test("--check says what each loop does when they differ: one downloads first, the other only deletes")
    func checkDescribesEachLoop() async throws {
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path)
        try scratch.write("a.txt", Sandbox.seededIDs(count: 3).joined(separator: "\n"))
        try scratch.write("b.txt", Sandbox.seededIDs(count: 5).joined(separator: "\n"))
        let mixed = try scratch.write("mixed.tnx", "foreach id in a.txt {\n  download $id to archive\n  delete $id\n}\nforeach id in b.txt delete $id\n")
        let result = try await TnxProcess.run(["--check", mixed], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.contains(
                "2 bulk deletes of 8 recordings (the loop at \(mixed):1:1 over an id file downloads each recording, then deletes it once its copy is verified; "
                    + "the loop at \(mixed):5:1 over an id file deletes each recording); needs --yes to run"), "\(result.stdout)")
        #expect(!result.stdout.contains("each only once its downloaded copy is verified"), "not said of both loops: \(result.stdout)")
    }

    @Test("show last after a purge shows the purge: its snapshot, its run and what still matches, with the requests")
    func showLastAfterPurge() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 30, scratch: scratch) { sandbox, env in
            let result = try await TnxProcess.run(
                ["--yes", "-c", "foreach id in recordings where created after 2000-01-01 delete $id\nshow last"], environment: env)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(sandbox.recordingCount == 0)
            // Once as it ran, once again for show last.
            #expect(result.stdout.components(separatedBy: "snapshot 30 recordings").count - 1 == 2, "\(result.stdout)")
            #expect(result.stdout.components(separatedBy: "after the purge, no recordings match").count - 1 == 2, "\(result.stdout)")
            #expect(result.stdout.components(separatedBy: "\nrequests: ").count - 1 == 2, "\(result.stdout)")
        }
    }

    @Test("an id file given as a script: a few errors, then the foreach that was meant")
    func idFileAsScript() async throws {
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path)
        let file = try scratch.write("ids.txt", Sandbox.seededIDs(count: 60).joined(separator: "\n"))
        let result = try await TnxProcess.run([file], environment: env)
        #expect(result.status == 2)
        #expect(result.stderr.components(separatedBy: "unknown statement").count - 1 <= 3, "\(result.stderr)")
        #expect(result.stderr.contains("looks like a file of recording ids, not a script"))
        #expect(result.stderr.contains("foreach id in \(file) delete $id"))
    }

    @Test("a command-line usage error is one 'tnx: error:' line and one hint")
    func usageErrors() async throws {
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path)
        for arguments in [["--bogus"], ["--concurrency", "0", "-c", "help"], ["--output", "yaml", "-c", "help"], ["-c"]] {
            let result = try await TnxProcess.run(arguments, environment: env)
            #expect(result.status == 2)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 2, "\(arguments): \(result.stderr)")
            #expect(lines.first?.hasPrefix("tnx: error: ") == true)
            #expect(lines.last == "Run 'tnx --help' for the options.")
        }
    }

    @Test("words: plurals, no rate for a dry-run, the id before the request, settings as typed JSON")
    func words() async throws {
        let scratch = try Scratch()
        try await Self.withSandbox(scratch: scratch) { sandbox, env in
            let id = Sandbox.seededIDs(count: 1)[0]
            let one = try scratch.write("one.txt", id + "\n")
            let dry = try await TnxProcess.run(["--dry-run", "-c", "foreach id in \(one) delete $id"], environment: env)
            #expect(dry.stdout.contains("1 recording would be deleted"), "\(dry.stdout)")
            #expect(!dry.stdout.contains("/s"))
            #expect(dry.stdout.contains("would delete \(id)  (DELETE \(sandbox.baseURL)/recordings/\(id))"))
            #expect(!dry.stdout.contains("  ·") && !dry.stdout.contains("·  "))
            let settings = try await TnxProcess.run(["--output", "json", "-c", "show settings"], environment: env)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(settings.stdout.utf8)) as? [String: Any])
            let values = try #require(json["settings"] as? [String: Any])
            #expect(values["concurrency"] as? Int == 16)
            #expect(values["dry-run"] as? Bool == false)
            #expect(values["resume"] as? Bool == false)
            #expect(values["base-url"] as? String == sandbox.baseURL)
        }
    }

    @Test("docs/language.md names every field of the real JSON lines")
    func jsonFieldsDocumented() async throws {
        let scratch = try Scratch()
        try await Self.withSandbox(scratch: scratch) { sandbox, env in
            sandbox.script([.apiError(status: 422, code: "10015", title: "Bad request", detail: "no")], for: "bad-one")
            let id = Sandbox.seededIDs(count: 1)[0]
            let result = try await TnxProcess.run(
                ["--yes", "--output", "json", "-c", "set on-error continue; delete \(id); delete bad-one; delete \(id)"], environment: env)
            let docs = DocsPath.languageDocs
            var keys = Set<String>()
            for line in result.stdout.split(separator: "\n") {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                keys.formUnion(object.keys)
            }
            let journal = JSONLines.journal(scratch)
            for line in journal { keys.formUnion(line.keys) }
            #expect(keys.isSuperset(of: ["id", "outcome", "http_status", "error", "error_code", "note", "recording", "time", "run", "base_url"]))
            for key in keys { #expect(docs.contains("`\(key)`"), "docs/language.md does not name \(key)") }
        }
    }
}

enum DocsPath {
    static let languageDocs: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("docs/language.md"), encoding: .utf8)) ?? ""
    }()
}
