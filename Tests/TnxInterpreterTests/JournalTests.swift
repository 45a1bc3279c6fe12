import Foundation
import TelnyxRecordings
import Testing

@testable import TnxInterpreter

let base = "https://api.example/v2"

@Suite("The journal")
struct JournalTests {
    @Test("each outcome is one JSON line with time, run, id, outcome, status and the recording")
    func lines() throws {
        let dir = try TemporaryFile(text: "")
        let path = dir.directory + "/state/tnx/journal.jsonl"
        let journal = Journal(path: path, baseURL: base, runID: "run1")
        var recording = Recording(id: "3fa85f64-5717-4562-b3fc-2c963f66afa6")
        recording.from = "+15551234567"
        recording.durationMillis = 60000
        try journal.record(Outcome(kind: .deleted, id: "3fa85f64-5717-4562-b3fc-2c963f66afa6", httpStatus: 200, recording: recording, attempts: 1))
        try journal.record(
            Outcome(kind: .failed, id: "x", origin: "ids.txt:2", httpStatus: 503, message: "HTTP 503 \"quoted\"\nline", attempts: 3))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        #expect(first["id"] as? String == "3fa85f64-5717-4562-b3fc-2c963f66afa6")
        #expect(first["outcome"] as? String == "deleted")
        #expect(first["run"] as? String == "run1")
        #expect(first["http_status"] as? Int == 200)
        #expect((first["time"] as? String)?.hasSuffix("Z") == true)
        let rec = first["recording"] as! [String: Any]
        #expect(rec["from"] as? String == "+15551234567")
        #expect(rec["duration_millis"] as? Int == 60000)
        let second = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as! [String: Any]
        #expect(second["error"] as? String == "HTTP 503 \"quoted\"\nline")
        #expect(second["origin"] as? String == "ids.txt:2")
        #expect(second["attempts"] as? Int == 3)
    }

    @Test("the journal file is private: mode 0600 in a 0700 directory")
    func permissions() throws {
        let dir = try TemporaryFile(text: "")
        let path = dir.directory + "/state/tnx/journal.jsonl"
        try Journal(path: path, baseURL: base).record(Outcome(kind: .notFound, id: "a", httpStatus: 404))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let dirAttributes = try FileManager.default.attributesOfItem(atPath: dir.directory + "/state/tnx")
        #expect((dirAttributes[.posixPermissions] as? Int) == 0o700)
    }

    @Test("resume takes an id's latest outcome: deleted and not_found are done, a later failure is not")
    func completed() throws {
        let dir = try TemporaryFile(text: "")
        let path = dir.directory + "/journal.jsonl"
        let journal = Journal(path: path, baseURL: base)
        try journal.record(Outcome(kind: .deleted, id: "a", httpStatus: 200))
        try journal.record(Outcome(kind: .notFound, id: "b", httpStatus: 404))
        try journal.record(Outcome(kind: .failed, id: "c", httpStatus: 503))
        try journal.record(Outcome(kind: .deleted, id: "d", httpStatus: 200))
        try journal.record(Outcome(kind: .failed, id: "d", httpStatus: 500))
        try journal.record(Outcome(kind: .failed, id: "e", httpStatus: 500))
        try journal.record(Outcome(kind: .deleted, id: "e", httpStatus: 200))
        let done = try Journal.completedIDs(at: path, baseURL: base).done
        #expect(done.contains("a") && done.contains("b") && done.contains("e"))
        #expect(!done.contains("c") && !done.contains("d"))
        #expect(try Journal.completedIDs(at: dir.directory + "/missing.jsonl", baseURL: base).done.count == 0)
    }

    @Test("resume reads back an id whose delete was sent without an answer: sending with no outcome after it")
    func unsettled() throws {
        let dir = try TemporaryFile(text: "")
        let path = dir.directory + "/journal.jsonl"
        let journal = Journal(path: path, baseURL: base)
        try journal.recordSending(["a", "b", "c", "d", "e"])
        try journal.record(Outcome(kind: .deleted, id: "a", httpStatus: 200))
        try journal.record(Outcome(kind: .failed, id: "b", httpStatus: 503))
        try journal.record(Outcome(kind: .notFound, id: "c", httpStatus: 404))
        // A later run that skipped it sent nothing: the earlier send is still unsettled.
        try journal.record(Outcome(kind: .skipped, id: "d", message: "not sent: interrupted"))
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 9)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        #expect(Set(first.keys) == ["time", "run", "base_url", "id", "outcome", "note"])
        #expect(first["outcome"] as? String == "sending")
        let set = try Journal.completedIDs(at: path, baseURL: base)
        #expect(set.unsettled.count == 2)
        #expect(set.unsettled.contains("d") && set.unsettled.contains("e"))
        #expect(set.done.contains("a") && set.done.contains("c") && !set.done.contains("e"))
    }

    @Test("a purge that matched nothing is one line with no id and no outcome: --resume and a batch purge pass it by, without a warning")
    func purgeLine() throws {
        let dir = try TemporaryFile(text: "")
        let path = dir.directory + "/journal.jsonl"
        let journal = Journal(path: path, baseURL: base, runID: "run1")
        try journal.recordSending(["a"])
        try journal.recordPurge(query: "recordings created before 2026-01-01T00:00:00Z", matched: 0)
        try journal.record(Outcome(kind: .deleted, id: "b", httpStatus: 200))
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let purge = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as! [String: Any]
        #expect(Set(purge.keys) == ["time", "run", "base_url", "purge"])
        #expect((purge["purge"] as? [String: Any])?["matched"] as? Int == 0)
        #expect((purge["purge"] as? [String: Any])?["query"] as? String == "recordings created before 2026-01-01T00:00:00Z")
        let set = try Journal.completedIDs(at: path, baseURL: base)
        #expect(set.unreadableLines == 0 && set.otherBaseURLLines == 0)
        #expect(set.warning(path: path, baseURL: base) == nil)
        #expect(set.done.count == 1 && set.done.contains("b"))
        #expect(set.unsettled.count == 1 && set.unsettled.contains("a"))
        #expect(try Journal.unsettledBatchIDs(at: path, baseURL: base).ids == ["a"])
    }

    @Test("an unwritable journal is an error that says where and what to do")
    func unwritable() throws {
        let journal = Journal(path: "/proc/forbidden/journal.jsonl", baseURL: base)
        #expect(throws: JournalError.self) { try journal.record(Outcome(kind: .deleted, id: "a")) }
        do throws(JournalError) {
            try journal.record(Outcome(kind: .deleted, id: "a"))
        } catch {
            #expect(error.description.contains("--journal PATH"))
        }
    }
}
