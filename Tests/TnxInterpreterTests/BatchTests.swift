import Foundation
import Synchronization
import Testing
import TelnyxRecordings
import TnxLanguage
import TnxSandbox

@testable import TnxInterpreter

/// `set method batch`: under every way the batch endpoint may behave, exactly the snapshot is
/// deleted, each recording has one `deleted` line with its metadata, and nothing else is
/// touched. What counts is what the sandbox still holds and what the journal says.
@Suite("Batch purges, verified per recording", .serialized)
struct BatchTests {
    static let query = "recordings where created after 2000-01-01"

    static func journal(_ h: SandboxHarness) -> [[String: Any]] {
        ((try? String(contentsOfFile: h.journalPath, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Runs a batch purge of every recording of a sandbox of `seed`, in the shell (whose
    /// question comes after the snapshot): `meanwhile` runs then, as another client would.
    static func purge(
        seed: Int, behaviour: SandboxFaults.BatchBehaviour, batchSize: Int = 100, settings: String = "",
        meanwhile: @escaping @Sendable (Sandbox) -> Void = { _ in },
        _ check: (SandboxHarness, RunStatus, Set<String>) async throws -> Void
    ) async throws {
        var faults = SandboxFaults.none
        faults.batch = behaviour
        let box = Mutex<Sandbox?>(nil)
        try await withSandboxInterpreter(seed: seed, faults: faults, ask: { _ in
            if let sandbox = box.withLock({ $0 }) { meanwhile(sandbox) }
            return true
        }) { h in
            box.withLock { $0 = h.sandbox }
            let snapshot = Set(Sandbox.seededIDs(count: seed))
            h.sandbox.resetCounters()
            let status = await h.run("set method batch\nset batch-size \(batchSize)\n\(settings)\nforeach id in \(query) delete $id", origin: .repl)
            try await check(h, status, snapshot)
        }
    }

    /// How many journal lines have a note that starts with `prefix`.
    static func noted(_ h: SandboxHarness, _ prefix: String) -> Int {
        journal(h).filter { ($0["note"] as? String)?.hasPrefix(prefix) == true }.count
    }

    /// Exactly `expected` deleted (by tnx or, `gone`, already by someone else), each with one
    /// `deleted` (or `not_found`) line, metadata included.
    static func expectExactly(_ h: SandboxHarness, deleted expected: Set<String>, gone: Set<String> = []) {
        #expect(Set(h.sandbox.deletedIDs).isSubset(of: expected), "nothing outside the snapshot is deleted")
        #expect(expected.allSatisfy { !h.sandbox.contains(id: $0) })
        let lines = journal(h)
        let outcomes = lines.filter { ($0["outcome"] as? String) != "batch_sent" }
        #expect(outcomes.count == expected.count, "one outcome line per recording: \(outcomes.count)")
        let deleted = outcomes.filter { $0["outcome"] as? String == "deleted" }
        #expect(Set(deleted.compactMap { $0["id"] as? String }) == expected.subtracting(gone))
        #expect(deleted.allSatisfy { (($0["recording"] as? [String: Any])?["created_at"] as? String) != nil }, "every deleted line has metadata")
        let notFound = outcomes.filter { $0["outcome"] as? String == "not_found" }
        #expect(Set(notFound.compactMap { $0["id"] as? String }) == gone)
        // Every id deleted by a batch was journaled (batch_sent) before the batch went.
        var sentAt: [String: Int] = [:]
        for (n, line) in lines.enumerated() where line["outcome"] as? String == "batch_sent" {
            if let id = line["id"] as? String, sentAt[id] == nil { sentAt[id] = n }
        }
        for (n, line) in lines.enumerated() where (line["note"] as? String)?.hasPrefix("batch; absent from the listing") == true {
            let id = line["id"] as? String ?? ""
            #expect((sentAt[id] ?? .max) < n, "\(id) was journaled as sent before its outcome")
        }
    }

    @Test("unknown ids ignored (the documented 200): 3 batches, and each of the 300 absent read back (fewer than the sample)")
    func ignoresUnknown() async throws {
        try await Self.purge(seed: 300, behaviour: .ignoresUnknown) { h, status, snapshot in
            #expect(status == .success, "\(h.err.text)")
            Self.expectExactly(h, deleted: snapshot)
            let stats = h.sandbox.statistics
            #expect(stats.batchRequests == 3)
            #expect(stats.batchIDsReceived == 300)
            #expect(stats.totalRequests == 1 + 2 + 3 + 1 + 300 + 1, "the base URL's check, 2 pages, 3 batches, 1 verifying page, 300 absent ids read back, 1 count: \(stats.totalRequests)")
            #expect(stats.requestsByID.count == 300 && stats.requestsByID.values.allSatisfy { $0 == 1 }, "each read back once")
            let note = "batch; absent from the listing; 300 of 300 read back, none present"
            #expect(Self.journal(h).filter { $0["note"] as? String == note }.count == 300)
            #expect(h.out.text.contains("(1.023 per recording deleted)"), "\(h.out.text.suffix(300))")
            #expect(h.out.text.contains("verified: 300 recordings absent from the listing, every one read back, none present"), "\(h.out.text.suffix(300))")
        }
    }

    @Test("the listing's absences are believed on a uniform random sample of 300 read back, and the note says so")
    func sampleOfAbsent() async throws {
        try await Self.purge(seed: 1_000, behaviour: .ignoresUnknown) { h, status, snapshot in
            #expect(status == .success, "\(h.err.text)")
            Self.expectExactly(h, deleted: snapshot)
            let stats = h.sandbox.statistics
            let readBack = Set(stats.requestsByID.keys)
            #expect(readBack.count == 300 && stats.requestsByID.values.allSatisfy { $0 == 1 }, "300 read back, once each: \(readBack.count)")
            // Spread over the whole run, not the first few: each of the 10 batches has some.
            let lines = Self.journal(h)
            var chunkOf: [String: String] = [:]
            for line in lines where line["outcome"] as? String == "batch_sent" {
                if let id = line["id"] as? String { chunkOf[id] = line["note"] as? String }
            }
            #expect(Set(readBack.compactMap { chunkOf[$0] }).count == 10, "the sample covers every batch")
            let note = "batch; absent from the listing; 300 of 1,000 read back, none present"
            #expect(lines.filter { $0["note"] as? String == note }.count == 1_000)
            #expect(h.out.text.contains("verified: 1,000 recordings absent from the listing; 300 of them read back at random, none present: at most 1 % of them kept, at 95 % confidence"), "\(h.out.text.suffix(400))")
        }
    }

    @Test("set verify-sample: a smaller sample, said in each note")
    func smallerSample() async throws {
        try await Self.purge(seed: 300, behaviour: .ignoresUnknown, settings: "set verify-sample 40") { h, status, snapshot in
            #expect(status == .success, "\(h.err.text)")
            Self.expectExactly(h, deleted: snapshot)
            #expect(h.sandbox.statistics.requestsByID.count == 40)
            #expect(Self.journal(h).filter { $0["note"] as? String == "batch; absent from the listing; 40 of 300 read back, none present" }.count == 300)
            #expect(await h.run("set verify all\nset verify-sample 40\nshow settings") == .success)
            let rows = h.out.text.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
            #expect(rows.contains("verify all") && rows.contains("verify-sample 40"), "show settings shows both: \(rows.suffix(20))")
        }
    }

    @Test("a 200 that kept some while the listing no longer shows them: the sample finds them, every id is settled on its own")
    func keepsSomeUnlisted() async throws {
        // 1,000 in batches of 100, each keeping every 10th: 100 kept, none of them listed.
        try await Self.purge(seed: 1_000, behaviour: .keepsSomeUnlisted(every: 10)) { h, status, snapshot in
            #expect(status == .success, "\(h.err.text)")
            Self.expectExactly(h, deleted: snapshot)
            #expect(h.sandbox.recordingCount == 0, "the kept recordings are gone too")
            #expect(h.err.text.contains("the listing that verifies the batches cannot be believed ("), "\(h.err.text)")
            #expect(Self.noted(h, "batch; absent from the listing") == 0)
            let byOwnRequest = Self.journal(h).filter { $0["outcome"] as? String == "deleted" && $0["note"] as? String == nil }
            #expect(byOwnRequest.count == 100, "the kept ones, deleted by a request of their own: \(byOwnRequest.count)")
        }
    }

    @Test("set verify all: every id absent from the listing is read back; the ones kept are deleted on their own, the rest say read back: 404")
    func verifyAll() async throws {
        try await Self.purge(seed: 300, behaviour: .keepsSomeUnlisted(every: 7), settings: "set verify all") { h, status, snapshot in
            #expect(status == .success, "\(h.err.text)")
            Self.expectExactly(h, deleted: snapshot)
            let lines = Self.journal(h)
            let read = lines.filter { $0["note"] as? String == "batch; absent from the listing; read back: 404" }
            #expect(read.count == 300 - 3 * 14, "\(read.count)")
            let byOwnRequest = lines.filter { $0["outcome"] as? String == "deleted" && $0["note"] as? String == nil }
            #expect(byOwnRequest.count == 3 * 14)
            // One GET for each, one DELETE more for each kept.
            let stats = h.sandbox.statistics
            #expect(stats.requestsByID.count == 300)
            let requests: Int = stats.requestsByID.values.reduce(0, +)
            #expect(requests == 342, "300 reads, 42 deletes: \(requests)")
            #expect(h.out.text.contains("verified: 300 recordings absent from the listing, each read back (404)"), "\(h.out.text.suffix(300))")
        }
    }

    @Test("a batch carried out and answered 500: sent once, never again; the listing and the reads back settle it")
    func failsAfterDeleting() async throws {
        try await Self.purge(seed: 40, behaviour: .failsAfterDeleting, batchSize: 10) { h, status, snapshot in
            #expect(status == .success, "\(h.err.text)")
            Self.expectExactly(h, deleted: snapshot)
            #expect(h.sandbox.statistics.batchRequests == 4, "4 chunks, each sent once: \(h.sandbox.statistics.batchRequests)")
            #expect(Self.journal(h).filter { $0["note"] as? String == "batch; absent from the listing; 40 of 40 read back, none present" }.count == 40)
        }
    }

    @Test("a 200 that silently kept some: caught by the verification, deleted one by one")
    func keepsSome() async throws {
        try await Self.purge(seed: 300, behaviour: .keepsSome(every: 7)) { h, status, snapshot in
            #expect(status == .success, "\(h.err.text)")
            Self.expectExactly(h, deleted: snapshot)
            let single = Self.journal(h).filter { $0["outcome"] as? String == "deleted" && $0["note"] as? String == nil }
            #expect(single.count == 3 * 14, "every 7th of each batch of 100 was kept, then deleted on its own")
        }
    }

    @Test("any unknown id fails the whole batch: halves down to single deletes; ids gone meanwhile are not_found")
    func unknownFails() async throws {
        let gone = Set(Sandbox.seededIDs(count: 200).enumerated().filter { $0.offset % 50 == 7 }.map(\.element))
        try await Self.purge(seed: 200, behaviour: .unknownFails, meanwhile: { $0.remove(ids: gone) }) { h, status, snapshot in
            #expect(status == .success, "\(h.err.text)")
            Self.expectExactly(h, deleted: snapshot, gone: gone)
        }
    }

    @Test("a size cap (400): the chunk size goes down for the rest of the run")
    func sizeCap() async throws {
        try await Self.purge(seed: 300, behaviour: .sizeCap(30)) { h, status, snapshot in
            #expect(status == .success, "\(h.err.text)")
            Self.expectExactly(h, deleted: snapshot)
            #expect(h.err.text.contains("the API refused 100 ids in one request (HTTP 400): 50 a request from now on"))
            #expect(h.err.text.contains("the API refused 50 ids in one request (HTTP 400): 25 a request from now on"))
            // 3 of 100 refused, 6 of 50 refused, 12 of 25 taken.
            #expect(h.sandbox.statistics.batchRequests == 21, "\(h.sandbox.statistics.batchRequests)")
        }
    }

    @Test("a batch endpoint that always fails (5xx): not sent again, the listing decides, every recording deleted on its own")
    func fails() async throws {
        try await Self.purge(seed: 40, behaviour: .fails, batchSize: 10) { h, status, snapshot in
            #expect(status == .success, "\(h.err.text)")
            Self.expectExactly(h, deleted: snapshot)
            #expect(h.sandbox.statistics.batchRequests == 4, "4 chunks, each sent once, none split: its fate was unknown")
            #expect(Self.journal(h).filter { $0["outcome"] as? String == "deleted" && $0["note"] as? String == nil }.count == 40)
        }
    }

    @Test("a listing that cannot prove what is gone (it leaves rows out): nothing is taken for absent, each is deleted on its own")
    func untrustedListing() async throws {
        try await Self.purge(seed: 300, behaviour: .keepsSome(every: 7), meanwhile: { sandbox in
            var faults = sandbox.faults
            faults.hostility = [.listOmitsOne]
            sandbox.setFaults(faults)
        }) { h, status, snapshot in
            #expect(status == .success, "\(h.err.text)")
            Self.expectExactly(h, deleted: snapshot)
            #expect(h.err.text.contains("the listing that verifies the batches cannot be believed"))
            // The ids the batches kept were deleted by a request of their own, not taken for absent.
            let byOwnRequest = Self.journal(h).filter { $0["outcome"] as? String == "deleted" && $0["note"] as? String == nil }
            #expect(byOwnRequest.count == 3 * 14, "\(byOwnRequest.count)")
            #expect(Self.noted(h, "batch; absent") == 0)
            // The others, gone by their batch, answer 404 when deleted alone: deleted, and said so.
            let confirmedAlone = Self.journal(h).filter { ($0["note"] as? String) == "batch; verified absent (404 when deleted alone)" }
            #expect(confirmedAlone.count == snapshot.count - 3 * 14, "\(confirmedAlone.count) of \(snapshot.count)")
        }
    }

    @Test("only a 404 confirms an absence: a recording the listing leaves out but that still reads back makes the listing untrusted")
    func spotCheckNeeds404() async throws {
        try await Self.purge(seed: 300, behaviour: .ignoresUnknown, meanwhile: { sandbox in
            // Every id reads back once as still there, whatever the batches did.
            for id in Sandbox.seededIDs(count: 300) {
                sandbox.script([.fixed(status: 200, headers: ["content-type": "application/json"], body: #"{"data":{"id":"\#(id)","record_type":"recording"}}"#)], for: id)
            }
        }) { h, status, snapshot in
            #expect(status == .success, "\(h.err.text)")
            #expect(h.err.text.contains("the listing that verifies the batches cannot be believed ("), "\(h.err.text)")
            #expect(h.err.text.contains("is missing from the listing but still exists"), "\(h.err.text)")
            // Nothing was taken for absent on the listing's word; each was deleted on its own.
            #expect(Self.noted(h, "batch; absent") == 0)
            #expect(snapshot.allSatisfy { !h.sandbox.contains(id: $0) })
        }
    }

    @Test("recordings that appear after the snapshot are left alone, and said")
    func newcomers() async throws {
        let later = (0..<7).map { "00000000-0000-4000-8000-00000000000\($0)" }
        try await Self.purge(seed: 150, behaviour: .ignoresUnknown, meanwhile: { $0.add(ids: later) }) { h, status, snapshot in
            #expect(status == .success, "\(h.err.text)")
            Self.expectExactly(h, deleted: snapshot)
            #expect(later.allSatisfy(h.sandbox.contains(id:)))
            #expect(h.err.text.contains("7 recordings that appeared after the snapshot were left alone"))
            #expect(h.out.text.contains("after the purge: 7 still match"))
        }
    }

    @Test("401 on a batch stops the run: nothing more is sent, nothing is deleted, each id sent says it is unverified")
    func unauthorized() async throws {
        try await Self.purge(seed: 50, behaviour: .refusesKey) { h, status, snapshot in
            #expect(status == .unauthorized, "\(h.err.text)")
            #expect(h.sandbox.deletedIDs.isEmpty)
            #expect(h.sandbox.statistics.requestsByID.isEmpty, "no single delete after the 401")
            let outcomes = Self.journal(h).filter { $0["outcome"] as? String != "batch_sent" }
            #expect(outcomes.count == 50)
            #expect(outcomes.allSatisfy { $0["outcome"] as? String == "failed" && ($0["error"] as? String)?.contains("not verified") == true })
            #expect(Self.journal(h).filter { $0["outcome"] as? String == "batch_sent" }.count == 50, "journaled before it went")
        }
    }

    @Test("a batch refused with 429 after every pause: its ids fail, it is not split into more requests")
    func rateLimitedForGood() async throws {
        try await Self.purge(seed: 50, behaviour: .rateLimited) { h, status, snapshot in
            #expect(status == .failures, "\(h.err.text)")
            #expect(h.sandbox.deletedIDs.isEmpty)
            #expect(h.sandbox.statistics.requestsByID.isEmpty, "no single deletes")
            #expect(h.sandbox.statistics.batchRequests == 5, "one chunk, the 5 attempts the policy allows")
            let failed = Self.journal(h).filter { $0["outcome"] as? String == "failed" }
            #expect(Set(failed.compactMap { $0["id"] as? String }) == snapshot)
        }
    }

    @Test("--resume skips, in a batch purge too, what the journal says is done")
    func resume() async throws {
        var faults = SandboxFaults.none
        faults.batch = .ignoresUnknown
        try await withSandboxInterpreter(seed: 50, faults: faults, settings: .with(confirm: false)) { h in
            let done = Array(Sandbox.seededIDs(count: 50).prefix(5))
            let lines = done.map { "{\"time\":\"2026-11-30T00:00:00.000Z\",\"run\":\"0\",\"base_url\":\"\(h.sandbox.baseURL)\",\"id\":\"\($0)\",\"outcome\":\"deleted\"}" }
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: h.journalPath))
            #expect(await h.run("set method batch\nset resume on\nforeach id in \(Self.query) delete $id") == .success, "\(h.err.text)")
            #expect(done.allSatisfy(h.sandbox.contains(id:)), "skipped, not sent")
            #expect(h.sandbox.statistics.batchIDsReceived == 45)
            #expect(h.out.text.contains("skipped 5"))
        }
    }

    /// A journal as a batch purge stopped by Ctrl-C or killed leaves it: the first 20 ids sent
    /// (`batch_sent`), 10 of them then `failed` ("not verified", with metadata), 10 with no
    /// outcome at all; 15 of the 20 are gone from the sandbox (their batch was carried out).
    static func stoppedBatchJournal(_ h: SandboxHarness) throws -> (sent: [String], gone: [String]) {
        let sent = Array(Sandbox.seededIDs(count: 50).prefix(20))
        let gone = Array(sent.prefix(15))
        h.sandbox.remove(ids: gone)
        let start = "{\"time\":\"2026-11-30T00:00:00.000Z\",\"run\":\"0\",\"base_url\":\"\(h.sandbox.baseURL)\""
        var lines = sent.map { "\(start),\"id\":\"\($0)\",\"outcome\":\"batch_sent\",\"note\":\"in batch request 1 of 20 ids\"}" }
        lines += sent.prefix(10).map {
            "\(start),\"id\":\"\($0)\",\"outcome\":\"failed\",\"error\":\"sent in a batch, not verified (interrupted): it may be gone\",\"recording\":{\"id\":\"\($0)\",\"created_at\":\"2025-01-01T00:00:00Z\"}}"
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: h.journalPath))
        return (sent, gone)
    }

    /// The last outcome journaled for each id (`batch_sent` lines aside).
    static func lastWord(_ h: SandboxHarness) -> [String: [String: Any]] {
        var last: [String: [String: Any]] = [:]
        for line in journal(h) where line["outcome"] as? String != "batch_sent" {
            if let id = line["id"] as? String { last[id] = line }
        }
        return last
    }

    static func expectSettled(_ h: SandboxHarness, sent: [String], gone: [String]) {
        let last = lastWord(h)
        for id in gone {
            #expect(last[id]?["outcome"] as? String == "deleted", "\(id): \(last[id] ?? [:])")
            #expect(last[id]?["note"] as? String == "batch in an earlier run; read back: 404")
        }
        for id in gone.prefix(10) {
            #expect((last[id]?["recording"] as? [String: Any])?["created_at"] as? String == "2025-01-01T00:00:00Z", "the metadata of its failed line is kept")
        }
        #expect(h.sandbox.recordingCount == 0)
        #expect(
            h.err.text.contains("20 recordings an earlier purge sent and never verified, read back: 15 gone (journaled deleted), 5 still there (left to this purge)"),
            "\(h.err.text)")
        // Each of the 20 read back once; the 5 still there deleted by the purge.
        for id in sent { #expect((h.sandbox.statistics.requestsByID[id] ?? 0) >= 1) }
    }

    @Test("a batch purge stopped before it verified: the next batch purge reads each id sent back, and a 404 is journaled deleted")
    func settlesEarlierBatches() async throws {
        var faults = SandboxFaults.none
        faults.batch = .ignoresUnknown
        try await withSandboxInterpreter(seed: 50, faults: faults, settings: .with(confirm: false)) { h in
            let (sent, gone) = try Self.stoppedBatchJournal(h)
            h.sandbox.resetCounters()
            #expect(await h.run("set method batch\nforeach id in \(Self.query) delete $id") == .success, "\(h.err.text)")
            Self.expectSettled(h, sent: sent, gone: gone)
            // Settled once: a purge after that reads nothing back, and journals only that it ran.
            h.sandbox.resetCounters()
            let before = Self.journal(h).count
            #expect(await h.run("set method batch\nforeach id in \(Self.query) delete $id") == .success, "\(h.err.text)")
            #expect(h.sandbox.statistics.requestsByID.isEmpty)
            #expect(Self.journal(h).count == before + 1)
            #expect((Self.journal(h).last?["purge"] as? [String: Any])?["matched"] as? Int == 0)
        }
    }

    @Test("a batch purge stopped before it verified, then nothing matches any more: the next purge still settles what it sent")
    func settlesWhenNothingMatches() async throws {
        var faults = SandboxFaults.none
        faults.batch = .ignoresUnknown
        try await withSandboxInterpreter(seed: 50, faults: faults, settings: .with(confirm: false)) { h in
            let (_, gone) = try Self.stoppedBatchJournal(h)
            h.sandbox.remove(ids: Sandbox.seededIDs(count: 50).filter { !gone.contains($0) })
            #expect(await h.run("set method batch\nforeach id in \(Self.query) delete $id") == .success, "\(h.err.text)")
            let last = Self.lastWord(h)
            #expect(gone.allSatisfy { last[$0]?["outcome"] as? String == "deleted" })
        }
    }

    @Test("--resume settles them too, whatever the method")
    func resumeSettlesEarlierBatches() async throws {
        try await withSandboxInterpreter(seed: 50, settings: .with(confirm: false)) { h in
            let (sent, gone) = try Self.stoppedBatchJournal(h)
            h.sandbox.resetCounters()
            #expect(await h.run("set resume on\nforeach id in \(Self.query) delete $id") == .success, "\(h.err.text)")
            Self.expectSettled(h, sent: sent, gone: gone)
        }
    }

    @Test("a dry-run shows the chunks and sends no batch; an id file keeps single deletes")
    func dryRunAndIDFiles() async throws {
        try await withSandboxInterpreter(seed: 250, settings: .with(confirm: false)) { h in
            #expect(await h.run("set method batch\nset batch-size 100\nset dry-run on\nforeach id in \(Self.query) delete $id") == .success)
            #expect(h.out.text.contains("method batch: would send 3 batch requests of 100 ids (the last of 50)"))
            #expect(h.sandbox.statistics.batchRequests == 0)
            #expect(h.sandbox.deletedIDs.isEmpty)

            let file = h.scratch.directory + "/ids.txt"
            try Data(Sandbox.seededIDs(count: 5).joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: file))
            #expect(await h.run("set method batch\nforeach id in \(file) delete $id") == .success)
            #expect(h.err.text.contains("method batch applies to purges by query; the ids of \(file) are deleted one by one"))
            #expect(h.sandbox.statistics.batchRequests == 0)
            #expect(h.sandbox.deletedIDs.count == 5)
        }
    }
}
