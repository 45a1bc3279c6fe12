import Foundation
import Synchronization
import TelnyxRecordings
import Testing
import TnxLanguage

@testable import TnxInterpreter

/// The promises a hostile script or a broken journal would test: a dry-run that nothing can
/// turn off, a gate that counts the whole invocation, and no delete without its audit line.
@Suite("Safety promises of the interpreter")
struct SafetyTests {
    static func lockedDryRun() -> Settings {
        var settings = Settings()
        settings.dryRunLocked = true
        return settings
    }

    @Test("--dry-run is final: 'set dry-run off' is an error before anything runs, in a script and in the shell")
    func dryRunLocked() async throws {
        let client = FakeClient()
        let h = try Harness(client: client, settings: Self.lockedDryRun())
        let path = try h.idFile([uuid(1), uuid(2)])
        let script = "set dry-run off\ndelete \(uuid(3))\nforeach id in \(path) delete $id"
        #expect(await h.run(script) == .usage)
        #expect(await h.run(script, origin: .repl) == .usage)
        #expect(client.sent.isEmpty)
        #expect(client.dryRuns.isEmpty, "nothing ran at all")
        #expect(h.err.text.contains("test.tnx:1:1: error: tnx was started with --dry-run, which nothing can turn off"))
        // Everything else about the script runs, dry.
        #expect(await h.run("set dry-run on\ndelete \(uuid(3))") == .success)
        #expect(client.dryRuns == [uuid(3)])
        #expect(client.sent.isEmpty)
    }

    @Test("the gate counts every script of an invocation: three files with one delete each are refused")
    func gateCountsTheInvocation() async throws {
        let client = FakeClient()
        let h = try Harness(client: client, confirm: true)
        let inputs = (1...3).map {
            Interpreter.Input(file: SourceFile(name: "s\($0).tnx", text: "delete \(uuid($0))"), origin: .file, directory: "/")
        }
        let result = await h.interpreter.run(inputs)
        #expect(result.status == .usage)
        #expect(client.sent.isEmpty)
        #expect(h.err.text.contains("refusing to delete 3 recordings"))
    }

    @Test("a 'set dry-run off' or 'set confirm' inside a loop over files cannot be counted: refused")
    func setInsideLoopBody() async throws {
        let client = FakeClient()
        let h = try Harness(client: client, confirm: true)
        let a = try h.idFile([uuid(1), uuid(2)], name: "a.txt")
        let b = try h.idFile([uuid(3), uuid(4)], name: "b.txt")
        let files = try h.idFile([a, b], name: "files.txt")
        let script = "set dry-run on\nforeach f in \(files) {\n  foreach id in $f delete $id\n  set dry-run off\n}"
        #expect(await h.run(script) == .usage)
        #expect(client.sent.isEmpty)
        #expect(h.err.text.contains("'set dry-run' inside a loop"), "\(h.err.text)")
    }

    @Test("run $f in the shell is refused before anything runs, saying why (not as a bug of tnx)")
    func runVariable() async throws {
        let client = FakeClient()
        let h = try Harness(client: client, confirm: true)
        let a = try h.idFile([uuid(1)], name: "a.txt")
        let files = try h.idFile([a], name: "files.txt")
        #expect(await h.run("foreach f in \(files) {\n  foreach id in $f delete $id\n  run $f\n}", origin: .repl) == .usage)
        #expect(client.sent.isEmpty)
        #expect(h.err.text.contains("'run' takes a script written out, not a variable"), "\(h.err.text)")
        #expect(!h.err.text.contains("a bug in tnx"))
    }

    @Test("without confirmation no run sends a second delete, whatever the count said")
    func allowanceIsEnforcedPerRequest() async throws {
        let client = FakeClient()
        let h = try Harness(client: client, confirm: true)
        let path = try h.idFile([uuid(1), uuid(2), uuid(3)])
        // Straight to the engine, past the gate, as a miscount would.
        let status = await BulkRun(h.interpreter.engineContext(), path: path).run().status
        #expect(status == .usage)
        #expect(client.sent.count == 1)
        #expect(h.out.text.contains("skipped"))
        #expect(h.out.text.contains("needs confirmation"))
        #expect(h.err.text.contains("the run stopped early"))
    }

    @Test("no API key and a real delete ahead: one message before anything runs, status 3")
    func noKeyUpFront() async throws {
        let client = FakeClient()
        let out = MemoryOutput()
        let err = MemoryOutput()
        let environment = InterpreterEnvironment(
            client: client, stdout: out, stderr: err, journal: nil, connection: { ConnectionInfo(baseURL: "x", hasAPIKey: false) })
        var settings = Settings()
        settings.confirm = false
        let interpreter = Interpreter(settings: settings, environment: environment)
        let result = await interpreter.run(SourceFile(name: "t", text: "show settings\ndelete \(uuid(1))\ndelete \(uuid(2))"), origin: .file)
        #expect(result.status == .unauthorized)
        #expect(out.text.isEmpty, "not even show settings ran")
        #expect(err.text.components(separatedBy: "no API key").count == 2, "one message: \(err.text)")
        // A dry-run needs no key.
        #expect(await interpreter.run(SourceFile(name: "t", text: "set dry-run on\ndelete \(uuid(1))"), origin: .file).status == .success)
    }

    @Test("an unwritable journal is found before the first request: nothing is sent")
    func unwritableJournalSendsNothing() async throws {
        let client = FakeClient()
        let out = MemoryOutput()
        let err = MemoryOutput()
        let environment = InterpreterEnvironment(
            client: client, stdout: out, stderr: err, journal: Journal(path: "/proc/forbidden/tnx/journal.jsonl", baseURL: "b"),
            connection: { ConnectionInfo(baseURL: "b", hasAPIKey: true) })
        var settings = Settings()
        settings.confirm = false
        let interpreter = Interpreter(settings: settings, environment: environment)
        let file = try TemporaryFile(text: (1...64).map(uuid).joined(separator: "\n"))
        let result = await interpreter.run(SourceFile(name: "t", text: "foreach id in \(file.path) delete $id"), origin: .file)
        #expect(result.status == .usage)
        #expect(client.sent.isEmpty)
        #expect(err.text.contains("cannot write the journal"))
        #expect(err.text.contains("nothing was sent"))
    }

    @Test("a journal whose last line was torn by a crash gets its new lines whole")
    func tornLastLine() async throws {
        let h = try Harness()
        let journal = try #require(h.journalPath)
        try Data(#"{"id":"\#(uuid(7))","outc"#.utf8).write(to: URL(fileURLWithPath: journal))
        #expect(await h.run("delete \(uuid(1))") == .success)
        let lines = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4, "\(lines)")
        #expect(lines[0] == #"{"id":"\#(uuid(7))","outc"#)
        #expect(lines[1].hasPrefix("{") && lines[1].contains(uuid(1)) && lines[1].contains(#""outcome":"sending""#))
        #expect(lines[2].hasPrefix("{") && lines[2].contains(uuid(1)) && lines[2].contains(#""outcome":"deleted""#))
        #expect(lines[3].isEmpty)
    }

    @Test("--resume trusts a journal line only if it parses whole, at this base URL; it warns once about the rest")
    func resumeReadsWholeLines() async throws {
        let scratch = try TemporaryFile(text: "")
        let path = scratch.directory + "/journal.jsonl"
        let base = "https://api.example/v2"
        let lines = [
            #"{"time":"t","run":"r","base_url":"\#(base)","id":"\#(uuid(1))","outcome":"deleted"}"#,
            // An id from this line and an outcome from the next must never combine.
            #"{"time":"t","run":"r","base_url":"\#(base)","id":"\#(uuid(2))","#,
            #""outcome":"deleted"}"#,
            // Another base URL (the sandbox), and an older line without one.
            #"{"base_url":"http://127.0.0.1:9/v2","id":"\#(uuid(3))","outcome":"deleted"}"#,
            #"{"id":"\#(uuid(4))","outcome":"deleted"}"#,
            #"not json at all"#,
            #"{"base_url":"\#(base)","id":"\#(uuid(5))","outcome":"not_found"}"#,
        ]
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let set = try Journal.completedIDs(at: path, baseURL: base)
        #expect(set.done.contains(uuid(1)) && set.done.contains(uuid(5)))
        for n in 2...4 { #expect(!set.done.contains(uuid(n))) }
        #expect(set.unreadableLines == 3)
        #expect(set.otherBaseURLLines == 2)
        let warning = try #require(set.warning(path: path, baseURL: base))
        #expect(warning.contains("3 unreadable lines") && warning.contains("2 lines of another base URL"))
    }

    @Test("the journal reader is total: any truncation of a journal parses, and only whole lines count")
    func journalReaderFuzz() throws {
        let scratch = try TemporaryFile(text: "")
        let path = scratch.directory + "/journal.jsonl"
        let base = "https://api.example/v2"
        var text = ""
        for n in 0..<40 {
            text += #"{"time":"2026-01-01T00:00:00.000Z","run":"r","base_url":"\#(base)","id":"\#(uuid(n))","outcome":"\#(n % 3 == 0 ? "failed" : "deleted")","recording":{"from":"+1555\#(n)"}}"# + "\n"
        }
        let bytes = Array(text.utf8)
        var rng = SystemRandomNumberGenerator()
        for round in 0..<300 {
            var cut = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            let damaged = round % 2 == 1 && !cut.isEmpty
            if damaged { cut[Int.random(in: 0..<cut.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            try Data(cut).write(to: URL(fileURLWithPath: path))
            let set = try Journal.completedIDs(at: path, baseURL: base)
            let lines = String(decoding: cut, as: UTF8.self).split(separator: "\n")
            if !damaged {
                // Exactly the ids whose whole line survived and says deleted.
                let expected = (0..<40).filter { n in n % 3 != 0 && lines.contains { $0.contains(uuid(n)) && $0.hasSuffix("}}") } }
                #expect((0..<40).filter { set.done.contains(uuid($0)) } == expected)
            } else {
                // A damaged journal still parses; whatever counts came from one line that
                // holds the id and the outcome together. (UUIDs compare without case: a damaged
                // `a` may have become `A`.)
                for n in 0..<40 where set.done.contains(uuid(n)) {
                    #expect(lines.contains { $0.lowercased().contains(uuid(n)) && $0.contains("\"deleted\"") })
                }
            }
        }
    }

    @Test("lines reach the disk within about a second, and at the end of every run")
    func journalIsSynced() async throws {
        let scratch = try TemporaryFile(text: "")
        let journal = Journal(path: scratch.directory + "/j.jsonl", baseURL: "b")
        try journal.record(Outcome(kind: .deleted, id: uuid(1)))
        let deadline = ContinuousClock.now + .seconds(3)
        while journal.syncCount == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(journal.syncCount == 1)
        try journal.record(Outcome(kind: .deleted, id: uuid(2)))
        let started = ContinuousClock.now
        #expect(await journal.sync() == nil)
        #expect(journal.syncCount >= 2)
        #expect(ContinuousClock.now - started < .milliseconds(900), "an explicit sync does not wait out the second")
    }

    @Test("--dry-run --resume shows what the real --resume would skip")
    func dryRunResume() async throws {
        let client = FakeClient()
        let first = try Harness(client: client)
        let path = try first.idFile((1...4).map(uuid))
        #expect(await first.run("delete \(uuid(2))\ndelete \(uuid(3))") == .success)
        var environment = InterpreterEnvironment(
            client: client, stdout: MemoryOutput(), stderr: MemoryOutput(),
            journal: Journal(path: first.journalPath!, baseURL: "https://api.example/v2"),
            connection: { ConnectionInfo(baseURL: "x", hasAPIKey: true) })
        let out = MemoryOutput()
        environment.stdout = out
        var settings = Self.lockedDryRun()
        settings.output = .json
        settings.resume = true
        let interpreter = Interpreter(settings: settings, environment: environment)
        let result = await interpreter.run(SourceFile(name: "t", text: "foreach id in \(path) delete $id"), origin: .file)
        #expect(result.status == .success)
        #expect(out.text.components(separatedBy: "\"outcome\":\"skipped\"").count - 1 == 2)
        #expect(out.text.components(separatedBy: "\"outcome\":\"would_delete\"").count - 1 == 2)
        #expect(client.sent == [uuid(2), uuid(3)], "the dry-run sent nothing")
    }

    @Test("an id whose delete was stopped before it was sent is skipped, not failed")
    func interruptedBeforeSendIsSkipped() {
        let error = RecordingsError(kind: .interrupted, status: nil, attempts: 0, description: "interrupted before the request was sent")
        let outcome = Outcome(.failed(error), id: try! RecordingID(uuid(1)), origin: "ids.txt:1")
        #expect(outcome.kind == .skipped)
        #expect(outcome.message == "not sent: interrupted")
    }

    @Test("text from the API never reaches the terminal raw: outcomes, show last, errors")
    func sanitisedText() async throws {
        let hostile = "\u{1B}]0;pwned\u{07}\u{1B}[2J\u{9B}31m\u{202E}"
        final class EscapingClient: RecordingsAPI {
            let hostile: String
            init(_ hostile: String) { self.hostile = hostile }
            func preparedRequest(for id: RecordingID) -> PreparedRequest { PreparedRequest(method: "DELETE", url: "x", headers: []) }
            func deleteRecording(_ id: RecordingID, dryRun: Bool) async -> DeleteResult {
                if id.rawValue.hasSuffix("1") {
                    var recording = Recording(id: id.rawValue)
                    recording.from = "+1555" + hostile
                    recording.to = hostile
                    return .deleted(DeletedRecording(recording: recording, httpStatus: 200, attempts: 1, note: hostile))
                }
                return .failed(RecordingsError(
                    kind: .clientError, status: 400, apiErrors: [.init(code: hostile, title: hostile, detail: hostile)], attempts: 1,
                    description: "HTTP 400 " + hostile))
            }
        }
        let out = MemoryOutput(isTerminal: true)
        let err = MemoryOutput(isTerminal: true)
        var settings = Settings()
        settings.confirm = false
        settings.onError = .continue
        var environment = InterpreterEnvironment(
            client: EscapingClient(hostile), stdout: out, stderr: err, journal: nil,
            connection: { ConnectionInfo(baseURL: "x", hasAPIKey: true) })
        environment.colourAllowed = false  // tnx's own colours are escapes too
        let interpreter = Interpreter(settings: settings, environment: environment)
        _ = await interpreter.run(SourceFile(name: "t", text: "delete \(uuid(1))\nshow last\ndelete \(uuid(2))\nshow last"), origin: .file)
        for text in [out.text, err.text] {
            let unsafe = text.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\n") || (0x80...0x9F).contains($0.value) || $0.value == 0x202E }
            #expect(unsafe.isEmpty, "\(text.debugDescription)")
        }
        #expect(out.text.contains("\\u{001B}"))
        // JSON keeps the text, escaped: nothing a terminal acts on either.
        let json = Reporter.json(Outcome(kind: .failed, id: "x", message: hostile))
        #expect(!json.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x9B || $0.value == 0x202E })
        let decoded = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(decoded?["error"] as? String == hostile)
    }
}

@Suite("What a careful review found")
struct ReviewFindingsTests {
    @Test("a run that stops early still gives every id it read an outcome (skipped)")
    func stoppedRunLeavesNoIDWithoutOutcome() async throws {
        let client = FakeClient(defaultAnswer: .fail(.unauthorized, 401))
        var settings = Settings()
        settings.concurrency = 4
        settings.output = .json
        let h = try Harness(client: client, settings: settings)
        let path = try h.idFile((1...1000).map(uuid))
        #expect(await h.run("foreach id in \(path) delete $id") == .unauthorized)
        let lines = h.jsonLines
        let outcomes = lines.compactMap { $0["outcome"] as? String }
        let summary = try #require(lines.last?["summary"] as? [String: Any])
        #expect(outcomes.count == summary["read"] as? Int, "every id read has its line")
        #expect(outcomes.filter { $0 == "skipped" }.count == outcomes.count - client.sent.count)
        #expect(lines.contains { ($0["note"] as? String) == "not sent: the run stopped" })
        #expect(client.sent.count <= 5)
    }

    @Test("`run` files in one shell entry share its allowance: a second unconfirmed delete is asked for")
    func nestedRunSharesTheAllowance() async throws {
        let asked = Mutex<[String]>([])
        let client = FakeClient()
        let h = try Harness(client: client, confirm: true, ask: { question in
            asked.withLock { $0.append(question) }
            return false
        })
        let a = h.scratch.directory + "/a.tnx"
        let b = h.scratch.directory + "/b.tnx"
        try "delete \(uuid(1))\n".write(toFile: a, atomically: true, encoding: .utf8)
        try "delete \(uuid(2))\n".write(toFile: b, atomically: true, encoding: .utf8)
        _ = await h.run("run \(a); run \(b)", origin: .repl)
        #expect(client.sent == [uuid(1)], "the second run asked, and was told no")
        #expect(asked.withLock { $0 }.count == 1)
        // The same for a delete followed by a run.
        _ = await h.run("delete \(uuid(3)); run \(b)", origin: .repl)
        #expect(client.sent == [uuid(1), uuid(3)])
    }

    @Test("in one session, resume knows what an earlier entry deleted")
    func resumeSetStaysCurrent() async throws {
        let client = FakeClient()
        let h = try Harness(client: client, resume: true)
        let path = try h.idFile((1...3).map(uuid))
        #expect(await h.run("foreach id in \(path) delete $id", origin: .repl) == .success)
        #expect(await h.run("foreach id in \(path) delete $id", origin: .repl) == .success)
        #expect(client.sent.count == 3, "the second run skipped all three")
    }

    @Test("a server hint of zero is no reason to retry at once: the backoff applies")
    func zeroHint() {
        let policy = RetryPolicy.default
        #expect(policy.delay(retry: 2, hint: .zero, random: 0) == policy.backoff(retry: 2, random: 0))
        #expect(policy.delay(retry: 2, hint: .seconds(3), random: 0) == .seconds(3))
    }
}
