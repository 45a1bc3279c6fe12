import Foundation
import Synchronization
import TelnyxRecordings
import Testing
import TnxLanguage

@testable import TnxInterpreter

/// Builds an interpreter around a fake client and captured output.
struct Harness {
    let client: FakeClient
    let out = MemoryOutput()
    let err = MemoryOutput()
    let interpreter: Interpreter
    let journalPath: String?
    /// The journal this harness's interpreter writes (and locks: a second interpreter on the
    /// same file in this process shares it, as a second run would wait for the first).
    let journal: Journal?
    let scratch: TemporaryFile

    init(client: FakeClient = FakeClient(), settings: Settings = Settings(), journal: Bool = true, resume: Bool = false, confirm: Bool = false,
         ask: (@Sendable (String) async -> Bool)? = nil) throws {
        self.client = client
        scratch = try TemporaryFile(text: "")
        journalPath = journal ? scratch.directory + "/journal.jsonl" : nil
        self.journal = journalPath.map { Journal(path: $0, baseURL: "https://api.example/v2", runID: "test") }
        var environment = InterpreterEnvironment(
            client: client, stdout: out, stderr: err, journal: self.journal,
            connection: { ConnectionInfo(baseURL: "https://api.example/v2", hasAPIKey: true, keySource: "TELNYX_API_KEY") })
        environment.askConfirmation = ask
        var settings = settings
        settings.confirm = confirm
        settings.resume = resume
        interpreter = Interpreter(settings: settings, environment: environment)
    }

    func run(_ text: String, origin: ScriptOrigin = .file) async -> RunStatus {
        await interpreter.run(SourceFile(name: "test.tnx", text: text), origin: origin).status
    }

    /// Writes an id file in the scratch directory and returns its path.
    func idFile(_ lines: [String], name: String = "ids.txt") throws -> String {
        let path = scratch.directory + "/" + name
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    var journalLines: [[String: Any]] {
        guard let journalPath, let text = try? String(contentsOfFile: journalPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    /// Every JSON line printed on stdout.
    var jsonLines: [[String: Any]] {
        out.text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}

func uuid(_ n: Int) -> String { String(format: "%08x-5717-4562-b3fc-2c963f66afa6", n) }

@Suite("The interpreter")
struct InterpreterTests {
    @Test("every id read ends with exactly one outcome, and the summary adds up")
    func outcomesAddUp() async throws {
        let client = FakeClient(answers: [uuid(2): .notFound, uuid(3): .fail(.serverError, 503)])
        let h = try Harness(client: client)
        let path = try h.idFile([uuid(1), uuid(2), "", "# comment", uuid(3), "../calls", uuid(1), uuid(4) + "\r"])
        let status = await h.run("set output json\nforeach id in \"\(path)\" delete $id")
        #expect(status == .failures)
        let lines = h.jsonLines
        let outcomes = lines.compactMap { $0["outcome"] as? String }
        #expect(outcomes.count == 6)
        #expect(outcomes.filter { $0 == "deleted" }.count == 2)
        let summary = try #require(lines.last?["summary"] as? [String: Any])
        #expect(summary["read"] as? Int == 6)
        #expect(summary["deleted"] as? Int == 2)
        #expect(summary["not_found"] as? Int == 1)
        #expect(summary["failed"] as? Int == 1)
        #expect(summary["invalid"] as? Int == 1)
        #expect(summary["duplicate"] as? Int == 1)
        let invalid = try #require(lines.first { $0["outcome"] as? String == "invalid" })
        #expect(invalid["origin"] as? String == "\(path):6")
        #expect((invalid["error"] as? String)?.contains("path separator") == true)
        // Sent once each, never the invalid one, never the duplicate twice.
        #expect(client.sent.sorted() == [uuid(1), uuid(2), uuid(3), uuid(4)])
        // The journal holds every outcome, the invalid line included (with its place), and
        // each id sent was journaled `sending` first.
        let journal = h.journalLines.filter { $0["outcome"] as? String != "sending" }
        #expect(h.journalLines.filter { $0["outcome"] as? String == "sending" }.compactMap { $0["id"] as? String }.sorted() == client.sent.sorted())
        #expect(journal.count == 6)
        #expect(Set(journal.compactMap { $0["outcome"] as? String }) == ["deleted", "not_found", "failed", "duplicate", "invalid"])
        #expect(journal.first { $0["outcome"] as? String == "invalid" }?["origin"] as? String == "\(path):6")
    }

    @Test("not_found is shown and counted but is not a failure")
    func notFoundIsNotFailure() async throws {
        let h = try Harness(client: FakeClient(defaultAnswer: .notFound))
        #expect(await h.run("delete \(uuid(1))") == .success)
        #expect(h.out.text.contains("not_found"))
    }

    @Test("dry-run sends nothing, shows each request, and counts what would be deleted")
    func dryRun() async throws {
        let client = FakeClient()
        let h = try Harness(client: client)
        let path = try h.idFile((1...5).map(uuid) + ["bad id"])
        let status = await h.run("set dry-run on\nforeach id in \(path) delete $id")
        #expect(status == .failures, "the invalid line makes it exit 1")
        #expect(client.sent.isEmpty)
        #expect(client.dryRuns.count == 5)
        #expect(h.out.text.contains("DELETE https://api.example/v2/recordings/\(uuid(3))"))
        #expect(h.out.text.contains("would delete 5"))
        #expect(h.journalLines.isEmpty, "a dry-run writes nothing to the journal")
    }

    /// The outcomes a dry-run of the id file at `path`, holding `ids`, gives through the general
    /// path (the FakeClient's request; "bad id" is the only invalid line).
    static func dryRunOutcomes(_ ids: [String], path: String) -> [Outcome] {
        var outcomes: [Outcome] = []
        var seen = Set<String>()
        for (index, raw) in ids.enumerated() where !raw.isEmpty {
            let origin = "\(path):\(index + 1)"
            guard let id = try? RecordingID(raw) else {
                let why = InvalidRecordingID(raw: raw, reason: "it contains a space").description
                outcomes.append(Outcome(kind: .invalid, id: raw, origin: origin, message: why))
                continue
            }
            guard seen.insert(raw).inserted else {
                outcomes.append(Outcome(kind: .duplicate, id: raw, origin: origin, message: "already read earlier in this run"))
                continue
            }
            let request = PreparedRequest(
                method: "DELETE", url: "https://api.example/v2/recordings/\(id.pathSegment)", headers: [("Authorization", "Bearer ***")])
            outcomes.append(Outcome(kind: .wouldDelete, id: raw, origin: origin, request: request))
        }
        return outcomes
    }

    @Test("a json dry-run prints for each id exactly the line of the general formatter")
    func jsonDryRunLines() async throws {
        let h = try Harness(client: FakeClient())
        // A file name that needs escaping, ids with and without `:`, a duplicate, a bad line.
        let ids = [uuid(1), "rec:2", "", uuid(3), "bad id", uuid(1), "A-b_c.d~e"] + (4...12).map(uuid)
        let path = try h.idFile(ids, name: "odd \"name\"\twith\\escapes.txt")
        let status = await h.run("set dry-run on\nset output json\nforeach id in \"\(path.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\t", with: "\\t"))\" delete $id")
        #expect(status == .failures, "the invalid line: exit 1 \(h.err.text)")
        let printed = h.out.text.split(separator: "\n").map(String.init)
        let expected = Self.dryRunOutcomes(ids, path: path).map(Reporter.json)
        #expect(Array(printed.dropLast()) == expected)
        #expect(printed.last?.hasPrefix(#"{"summary":"#) == true)
        #expect(h.jsonLines.count == printed.count, "every line is JSON")
        #expect(h.jsonLines.first?["origin"] as? String == "\(path):1")
    }

    @Test("a text dry-run prints for each id exactly the line of the general formatter")
    func textDryRunLines() async throws {
        let h = try Harness(client: FakeClient())
        let ids = [uuid(1), "rec:2", "", "bad id", uuid(1)] + (3...9).map(uuid)
        let path = try h.idFile(ids)
        // The invalid line makes the status a failure (exit 1): the input was not what was meant.
        #expect(await h.run("set dry-run on\nforeach id in \(path) delete $id") == .failures, "\(h.err.text)")
        let reporter = Reporter(stdout: MemoryOutput(), stderr: MemoryOutput(), colourOut: false, colourErr: false)
        let expected = Self.dryRunOutcomes(ids, path: path).map(reporter.text)
        let printed = h.out.text.split(separator: "\n").map(String.init)
        #expect(Array(printed.prefix(expected.count)) == expected)
        #expect(printed.count == expected.count + 2, "then the summary and the dry-run line:\n\(h.out.text)")
        #expect(printed.contains("would delete rec:2  (DELETE https://api.example/v2/recordings/rec%3A2)"))
        #expect(h.err.text.contains("1 line of \(path) is not a recording id"))
    }

    @Test("the safety gate refuses a bulk delete in a script without confirmation, before anything is sent")
    func gateRefuses() async throws {
        let client = FakeClient()
        let h = try Harness(client: client, confirm: true)
        let path = try h.idFile([uuid(1), uuid(2), uuid(3), uuid(3)])
        let status = await h.run("delete \(uuid(9))\nforeach id in \(path) delete $id")
        #expect(status == .usage)
        #expect(client.sent.isEmpty)
        #expect(h.err.text.contains("refusing to delete 4 recordings"))
        #expect(h.err.text.contains("--yes"))
        #expect(h.err.text.contains("--dry-run"))
    }

    @Test("one recording needs no confirmation; a dry-run never asks")
    func gateAllows() async throws {
        let client = FakeClient()
        let h = try Harness(client: client, confirm: true)
        #expect(await h.run("delete \(uuid(1))") == .success)
        let path = try h.idFile([uuid(1), uuid(2)])
        #expect(await h.run("set dry-run on\nforeach id in \(path) delete $id") == .success)
        #expect(client.sent == [uuid(1)])
    }

    @Test("the REPL asks, and a no sends nothing")
    func gateAsks() async throws {
        let asked = Mutex<[String]>([])
        let client = FakeClient()
        let h = try Harness(client: client, confirm: true, ask: { question in
            asked.withLock { $0.append(question) }
            return false
        })
        let path = try h.idFile([uuid(1), uuid(2)])
        #expect(await h.run("foreach id in \(path) delete $id", origin: .repl) == .success)
        #expect(asked.withLock { $0 } == ["Delete 2 recordings? This cannot be undone. [y/N] "])
        #expect(client.sent.isEmpty)
    }

    @Test("a 401 stops the run at once with the authentication status")
    func unauthorizedStops() async throws {
        let client = FakeClient(defaultAnswer: .fail(.unauthorized, 401))
        let h = try Harness(client: client, settings: { var s = Settings(); s.concurrency = 4; return s }())
        let path = try h.idFile((1...500).map(uuid))
        let status = await h.run("foreach id in \(path) delete $id\ndelete \(uuid(999))")
        #expect(status == .unauthorized)
        #expect(client.sent.count <= 5)
        #expect(!client.sent.contains(uuid(999)))
        #expect(h.err.text.contains("401"))
    }

    @Test("a run stopped by a 401 says what to check about the key it sent, from where the key came from")
    func unauthorizedSaysWhatToCheck() async throws {
        let origin = KeyOrigin.command(profile: "prod", place: "/home/u/.config/tnx/profiles/prod.tnx:2")
        let client = FakeClient(defaultAnswer: .fail(.unauthorized, 401), keyOrigin: origin)
        let h = try Harness(client: client)
        let path = try h.idFile((1...20).map(uuid))
        #expect(await h.run("foreach id in \(path) delete $id", origin: .repl) == .unauthorized)
        #expect(await h.run("show last", origin: .repl) == .success)
        #expect(
            h.out.text.contains(
                "stopped early: the API refused the key (401); check the profile's api-key-command (profile prod, /home/u/.config/tnx/profiles/prod.tnx:2)"),
            "\(h.out.text)")
        #expect(!h.out.text.contains("TELNYX_API_KEY"))
    }

    @Test("the closing line of an exit 1 blames the journal only when the journal failed")
    func closingLineOfExitOne() {
        let tally = FailureTally()
        #expect(tally.closingLine(status: 1, journal: "/j") == "exit 1: a statement failed (said above); journal /j")
        tally.journalFailed()
        #expect(tally.closingLine(status: 1, journal: "/j") == "exit 1: the journal could not be written (see above); journal /j")
        #expect(tally.closingLine(status: 3, journal: nil, keyCheck: "check --api-key") == "exit 3: the API refused the key, or there was none (see above); check --api-key")
    }

    @Test("requests in flight never exceed the concurrency setting")
    func boundedConcurrency() async throws {
        let client = FakeClient(delay: .milliseconds(5))
        let h = try Harness(client: client)
        let path = try h.idFile((1...200).map(uuid))
        #expect(await h.run("set concurrency 8\nforeach id in \(path) delete $id") == .success)
        #expect(client.sent.count == 200)
        #expect(client.maxInFlight <= 8)
        #expect(client.maxInFlight >= 2)
    }

    @Test("on-error stop ends a script at the first failed statement; continue goes on")
    func onError() async throws {
        let client = FakeClient(answers: [uuid(1): .fail(.serverError, 500)])
        let h = try Harness(client: client)
        #expect(await h.run("delete \(uuid(1))\ndelete \(uuid(2))") == .failures)
        #expect(client.sent == [uuid(1)])
        #expect(await h.run("set on-error continue\ndelete \(uuid(1))\ndelete \(uuid(2))") == .failures)
        #expect(client.sent == [uuid(1), uuid(1), uuid(2)])
    }

    @Test("--resume skips ids the journal says are done")
    func resume() async throws {
        let client = FakeClient(answers: [uuid(2): .fail(.serverError, 503)])
        let first = try Harness(client: client)
        let path = try first.idFile((1...3).map(uuid))
        #expect(await first.run("foreach id in \(path) delete $id") == .failures)
        // A second run over the same journal with --resume.
        let second = FakeClient()
        var environment = InterpreterEnvironment(
            client: second, stdout: MemoryOutput(), stderr: MemoryOutput(), journal: first.journal,
            connection: { ConnectionInfo(baseURL: "x", hasAPIKey: true) })
        let out = MemoryOutput()
        environment.stdout = out
        var settings = Settings()
        settings.confirm = false
        settings.resume = true
        settings.output = .json
        let interpreter = Interpreter(settings: settings, environment: environment)
        let status = await interpreter.run(SourceFile(name: "t", text: "foreach id in \(path) delete $id"), origin: .file)
        #expect(status.status == .success)
        #expect(second.sent == [uuid(2)])
        #expect(out.text.components(separatedBy: "\"outcome\":\"skipped\"").count - 1 == 2)
    }

    @Test("Ctrl-C stops reading ids; requests in flight finish and are recorded")
    func interrupted() async throws {
        let client = FakeClient(delay: .milliseconds(20))
        let h = try Harness(client: client)
        let path = try h.idFile((1...10_000).map(uuid))
        let interpreter = h.interpreter
        let source = SourceFile(name: "test.tnx", text: "set concurrency 4\nforeach id in \(path) delete $id\ndelete \(uuid(99_999))")
        let task = Task { await interpreter.run(source, origin: .file).status }
        let deadline = ContinuousClock.now + .seconds(10)
        while client.sent.count < 8, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        task.cancel()
        let status = await task.value
        #expect(status == .interrupted)
        let sent = client.sent.count
        #expect(sent > 0 && sent < 10_000)
        // Every request that was sent has its outcome in the journal.
        let journaled = h.journalLines.filter { ($0["outcome"] as? String) == "deleted" }.count
        #expect(journaled == sent)
        #expect(h.err.text.contains("interrupted: ids after the last one read were not touched"))
        // The statement after the loop never ran, and the user is told so, with its place.
        #expect(!client.sent.contains(uuid(99_999)))
        #expect(h.err.text.contains("interrupted: 'delete' at test.tnx:3:1 and what follows were not run"))
    }

    @Test("show last prints the previous bulk run's summary and its failures")
    func showLast() async throws {
        let client = FakeClient(answers: [uuid(2): .fail(.serverError, 503)])
        let h = try Harness(client: client)
        let path = try h.idFile([uuid(1), uuid(2)])
        _ = await h.run("set on-error continue\nforeach id in \(path) delete $id\nshow last")
        let text = h.out.text
        #expect(text.components(separatedBy: "summary").count - 1 == 2)
        #expect(text.components(separatedBy: "HTTP 503").count - 1 == 2)
    }

    @Test("checks before running: invalid literal ids, missing files, loop bodies")
    func planning() async throws {
        let client = FakeClient()
        let h = try Harness(client: client)
        let status = await h.run(
            "delete \(uuid(1))\ndelete ../calls\nforeach id in /nonexistent/ids.txt delete $id\nforeach id in - { delete $id; show last }")
        #expect(status == .usage)
        #expect(client.sent.isEmpty, "nothing runs when any check fails")
        let err = h.err.text
        #expect(err.contains("test.tnx:2:8: error: invalid recording id \"../calls\": it contains a path separator"))
        #expect(err.contains("test.tnx:3:15: error: cannot read id file '/nonexistent/ids.txt': No such file or directory"))
        #expect(err.contains("test.tnx:4:"))
        #expect(err.contains("is steps on $id"))
    }

    @Test("show settings never shows the key")
    func settings() async throws {
        let h = try Harness()
        _ = await h.run("set concurrency 32\nshow settings")
        #expect(h.out.text.contains("concurrency"))
        #expect(h.out.text.contains("32"))
        #expect(h.out.text.contains("api-key"))
        #expect(h.out.text.contains("set (TELNYX_API_KEY)"))
    }
}
