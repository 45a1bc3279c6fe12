import CivilTime
import Foundation
import Glibc
import Synchronization
import TelnyxRecordings
import Testing
import TnxLanguage
import TnxSandbox
import TnxSystem

@testable import TnxInterpreter

/// An interpreter with the real client, against a sandbox on loopback: what `count`, `list`
/// and a purge by query do is judged by what the server saw and what it still holds.
struct SandboxHarness {
    let sandbox: Sandbox
    let out: MemoryOutput
    let err: MemoryOutput
    let interpreter: Interpreter
    let scratch: TemporaryFile
    var journalPath: String { scratch.directory + "/journal.jsonl" }

    /// Every JSON line printed on stdout.
    var jsonLines: [[String: Any]] {
        out.text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func run(_ text: String, origin: ScriptOrigin = .file) async -> RunStatus {
        await interpreter.run(SourceFile(name: "q.tnx", text: text), origin: origin).status
    }
}

/// What the sandbox's first `count` seeds are, read from the JSON it answers with.
struct SeedFacts {
    let id: String
    let created: Int64
    let from: String
    let connection: String

    static func all(_ count: Int) -> [SeedFacts] {
        (0..<count).map { i in
            let o = try! JSONSerialization.jsonObject(with: Data(Sandbox.recordingJSON(index: i).utf8)) as! [String: Any]
            return SeedFacts(
                id: o["id"] as! String, created: CivilTimeParse(o["created_at"] as! String), from: o["from"] as! String,
                connection: o["connection_id"] as! String)
        }
    }
}

/// `2025-01-31T12:00:00.000Z` in ms.
func CivilTimeParse(_ text: String) -> Int64 { CivilTime.parse(text)! }

func withSandboxInterpreter<T>(
    seed: Int = 200, faults: SandboxFaults = .none, settings: Settings = Settings(), apiKey: String? = Sandbox.defaultAPIKey,
    journal: Bool = true, snapshotDirectory: String? = nil, requestTimeout: Duration = .seconds(30),
    ask: (@Sendable (String) async -> Bool)? = nil, _ body: (SandboxHarness) async throws -> T
) async throws -> T {
    try await Sandbox.with(seed: seed, faults: faults) { sandbox in
        let configuration = try ClientConfiguration(
            apiKey: apiKey, baseURL: sandbox.baseURL, requestTimeout: requestTimeout,
            retryPolicy: RetryPolicy(
                maxAttempts: 3, maxRateLimitedAttempts: 5, baseDelay: .milliseconds(5), maxDelay: .milliseconds(20), jitter: 0,
                maxServerDelay: .seconds(1)))
        let client = RecordingsClient(configuration: configuration)
        let scratch = try TemporaryFile(text: "")
        let out = MemoryOutput()
        let err = MemoryOutput()
        var environment = InterpreterEnvironment(
            client: client, stdout: out, stderr: err,
            journal: journal ? Journal(path: scratch.directory + "/journal.jsonl", baseURL: client.baseURL) : nil,
            connection: { ConnectionInfo(baseURL: client.baseURL, hasAPIKey: client.hasAPIKey) })
        environment.askConfirmation = ask
        environment.snapshotDirectory = snapshotDirectory
        let harness = SandboxHarness(
            sandbox: sandbox, out: out, err: err, interpreter: Interpreter(settings: settings, environment: environment), scratch: scratch)
        do {
            let result = try await body(harness)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

extension Settings {
    static func with(dryRun: Bool = false, confirm: Bool = true, output: OutputFormat = .text) -> Settings {
        var s = Settings()
        s.dryRun = dryRun
        s.confirm = confirm
        s.output = output
        return s
    }
}

/// A date of the sandbox's data that splits it: `fraction` of the seeds were created before it.
func splitDate(_ seeds: [SeedFacts], fraction: Double) -> String {
    let sorted = seeds.map(\.created).sorted()
    let at = sorted[Int(Double(sorted.count) * fraction)]
    return QueryPlan.display(at - at % 1000 + 1000)  // a whole second just after that seed
}

@Suite("count, list and show recording against the sandbox")
struct LookingTests {
    @Test("count prints the number of matches from one request; json too")
    func count() async throws {
        let seeds = SeedFacts.all(300)
        let cut = splitDate(seeds, fraction: 0.4)
        let cutMillis = CivilTimeParse(cut)
        let expected = seeds.filter { $0.created < cutMillis }.count
        try await withSandboxInterpreter(seed: 300) { h in
            h.sandbox.resetCounters()
            #expect(await h.run("count recordings where created before \(cut)") == .success)
            #expect(h.out.text == "\(expected) recordings match: recordings created before \(cut)\n")
            #expect(h.sandbox.totalRequests == 1)
            #expect(await h.run("set output json\ncount recordings") == .success)
            let json = try #require(h.jsonLines.last)
            #expect(json["count"] as? Int == 300)
            #expect(json["query"] as? String == "every recording")
        }
    }

    @Test("list: one line per recording, newest first; a limit; the shell stops at 20 and says how many more")
    func list() async throws {
        try await withSandboxInterpreter(seed: 60) { h in
            #expect(await h.run("list recordings limit 5") == .success)
            let lines = h.out.text.split(separator: "\n")
            #expect(lines.count == 5)
            let created = lines.map { $0.split(separator: " ", omittingEmptySubsequences: true)[1] }
            #expect(created == created.sorted(by: >))
            #expect(lines[0].contains(" → "))
            #expect(h.err.text.isEmpty)

            #expect(await h.run("list recordings", origin: .repl) == .success)
            let shellLines = h.out.text.split(separator: "\n").dropFirst(5)
            #expect(shellLines.count == Language.shellListLimit)
            #expect(h.err.text.contains("40 more recordings match"))

            // A script lists every match.
            #expect(await h.run("set output json\nlist recordings") == .success)
            #expect(h.jsonLines.count == 60)
            #expect(h.jsonLines.allSatisfy { $0["id"] is String && $0["created_at"] is String })
        }
    }

    @Test("list with no match says so; a filter by a caller lists only that caller")
    func listFilters() async throws {
        let seeds = SeedFacts.all(200)
        let caller = seeds[3].from
        try await withSandboxInterpreter(seed: 200) { h in
            #expect(await h.run("set output json\nlist recordings where from \"\(caller)\"") == .success)
            let ids = Set(h.jsonLines.compactMap { $0["id"] as? String })
            #expect(ids == Set(seeds.filter { $0.from == caller }.map(\.id)))
            #expect(h.jsonLines.allSatisfy { $0["from"] as? String == caller })
            #expect(await h.run("list recordings where to nobody") == .success)
            #expect(h.out.text.hasSuffix("no recordings match: recordings to \"nobody\"\n"))
        }
    }

    @Test("show recording prints every field; an id that does not exist is an error with status 1")
    func showRecording() async throws {
        let id = Sandbox.seededIDs(count: 1)[0]
        try await withSandboxInterpreter(seed: 3) { h in
            #expect(await h.run("show recording \(id)") == .success)
            for field in ["id", "connection_id", "created_at", "download_urls.mp3", "duration_millis", "from", "to"] {
                #expect(h.out.text.contains("\n\(field) ") || h.out.text.hasPrefix("\(field) "), "\(field)")
            }
            #expect(await h.run("set output json\nshow recording \(id)") == .success)
            #expect(h.jsonLines.last?["id"] as? String == id)
            #expect(await h.run("show recording 3fa85f64-5717-4562-b3fc-2c963f66afa6") == .failures)
            #expect(h.err.text.contains("no recording with id 3fa85f64-5717-4562-b3fc-2c963f66afa6"))
        }
    }

    @Test("a query needs a key even in a dry-run: said before anything is sent, exit 3")
    func noKey() async throws {
        try await withSandboxInterpreter(seed: 3, settings: .with(dryRun: true), apiKey: nil) { h in
            for script in ["count recordings", "list recordings", "foreach id in recordings delete $id", "show recording abc"] {
                #expect(await h.run(script) == .unauthorized, "\(script)")
            }
            #expect(h.err.text.contains("needs an API key, also in a dry-run"))
            #expect(h.sandbox.totalRequests == 0)
        }
    }
}

@Suite("Purge by query: snapshot, gate, delete exactly the snapshot, count again")
struct PurgeTests {
    @Test("a dry-run reads every match, shows each with its metadata and the totals, and deletes nothing")
    func dryRun() async throws {
        let seeds = SeedFacts.all(700)
        let cut = splitDate(seeds, fraction: 0.6)
        let expected = Set(seeds.filter { $0.created < CivilTimeParse(cut) }.map(\.id))
        try await withSandboxInterpreter(seed: 700, settings: .with(dryRun: true, output: .json)) { h in
            #expect(await h.run("foreach id in recordings where created before \(cut) delete $id") == .success)
            let would = h.jsonLines.filter { $0["outcome"] as? String == "would_delete" }
            #expect(Set(would.compactMap { $0["id"] as? String }) == expected)
            #expect(would.count == expected.count)
            #expect(would.allSatisfy { ($0["recording"] as? [String: Any])?["created_at"] is String })
            let snapshot = try #require(h.jsonLines.compactMap { $0["snapshot"] as? [String: Any] }.first)
            #expect(snapshot["recordings"] as? Int == expected.count)
            #expect(snapshot["dry_run"] as? Bool == true)
            #expect(snapshot["oldest"] is String && snapshot["newest"] is String)
            // Nothing deleted, nothing asked of a single recording, no snapshot file written.
            #expect(h.sandbox.deletedIDs.isEmpty)
            #expect(h.sandbox.statistics.requestsByID.isEmpty)
            #expect(h.sandbox.recordingCount == 700)
            #expect(h.sandbox.seenPaths.allSatisfy { $0.hasPrefix("/v2/recordings?") })
            #expect(!FileManager.default.fileExists(atPath: h.scratch.directory + "/snapshots"))
        }
    }

    @Test("a purge deletes exactly the match set, after reading all of it, and counts again")
    func exactSetAfterSnapshot() async throws {
        let seeds = SeedFacts.all(900)
        let cut = splitDate(seeds, fraction: 0.7)
        let connection = seeds[0].connection
        let matching = seeds.filter { $0.created < CivilTimeParse(cut) && $0.connection == connection }
        let expected = Set(matching.map(\.id))
        try await withSandboxInterpreter(seed: 900, settings: .with(confirm: false, output: .json)) { h in
            h.sandbox.resetCounters()
            let status = await h.run("foreach id in recordings where created before \(cut) and connection \(connection) delete $id")
            #expect(status == .success)
            #expect(Set(h.sandbox.deletedIDs) == expected)
            #expect(h.sandbox.deletedIDs.count == expected.count)
            // What did not match is all still there.
            for seed in seeds where !expected.contains(seed.id) { #expect(h.sandbox.contains(id: seed.id)) }
            // Every list request came before the first delete; the count comes after the last.
            let paths = h.sandbox.seenPaths
            let firstDelete = try #require(paths.firstIndex { !$0.contains("?") && $0 != "/v2/recordings" })
            let lastDelete = try #require(paths.lastIndex { !$0.contains("?") && $0 != "/v2/recordings" })
            let lists = paths.indices.filter { paths[$0].contains("?") }
            #expect(lists.dropLast().allSatisfy { $0 < firstDelete })
            #expect(lists.last! > lastDelete)
            #expect(paths[lists.last!].contains("page%5Bsize%5D=1"))
            // The summary, and what still matches.
            let after = try #require(h.jsonLines.compactMap { $0["after_purge"] as? [String: Any] }.first)
            #expect(after["still_match"] as? Int == 0)
            let requests = try #require(after["requests"] as? [String: Int])
            #expect(requests["delete"] == expected.count)
            #expect(requests["count"] == 1)
            #expect(requests["list"] == (expected.count + 249) / 250)
            #expect(requests["total"] == h.sandbox.totalRequests - 1)  // the endpoint check before the first delete
            // Each deletion is journaled, with its line of the snapshot as its origin.
            let written = try String(contentsOfFile: h.journalPath, encoding: .utf8).split(separator: "\n")
            let journal = written.filter { !$0.contains("\"outcome\":\"sending\"") }
            #expect(written.count - journal.count == expected.count, "each journaled sending first")
            #expect(journal.count == expected.count)
            #expect(journal.allSatisfy { $0.contains("/snapshots/") && $0.contains("\"outcome\":\"deleted\"") })
            let snapshots = try FileManager.default.contentsOfDirectory(atPath: h.scratch.directory + "/snapshots")
            #expect(snapshots.count == 1)
            let lines = try String(contentsOfFile: h.scratch.directory + "/snapshots/" + snapshots[0], encoding: .utf8).split(separator: "\n")
            #expect(Set(lines.compactMap { SnapshotFile.id(inLine: String($0)) }) == expected)
        }
    }

    @Test("a purge that keeps a copy first asks 'Download and then delete N recordings'")
    func shellAsksToDownloadThenDelete() async throws {
        let asked = Mutex<[String]>([])
        try await withSandboxInterpreter(seed: 50, ask: { question in asked.withLock { $0.append(question) }; return false }) { h in
            let script = "foreach id in recordings where created before 600d { download $id to \(h.scratch.directory)/archive; delete $id }"
            #expect(await h.run(script, origin: .repl) == .success)
            let question = try #require(asked.withLock { $0.first })
            #expect(question.hasPrefix("Download and then delete "), "\(question)")
            #expect(h.sandbox.deletedIDs.isEmpty)
            #expect(h.sandbox.statistics.mediaRequests == 0, "no answer, no download")
        }
    }

    @Test("the shell asks once the snapshot is read, with the count and the totals; no leaves everything")
    func shellAsksWithTheCount() async throws {
        let asked = Mutex<[String]>([])
        let answer = Mutex(false)
        try await withSandboxInterpreter(
            seed: 400,
            ask: { question in
                asked.withLock { $0.append(question) }
                return answer.withLock { $0 }
            }
        ) { h in
            let script = "foreach id in recordings where created before 200d delete $id"
            #expect(await h.run(script, origin: .repl) == .success)
            let question = try #require(asked.withLock { $0.first })
            #expect(asked.withLock { $0.count } == 1)
            #expect(question.hasPrefix("Delete "))
            #expect(question.contains("recordings created before "))
            #expect(question.contains("(200d)"))
            #expect(question.contains("oldest ") && question.contains("of audio"))
            #expect(h.sandbox.deletedIDs.isEmpty)
            #expect(h.out.text.contains("nothing was deleted"))

            answer.withLock { $0 = true }
            #expect(await h.run(script, origin: .repl) == .success)
            let n = Int(question.dropFirst("Delete ".count).prefix { $0.isNumber || $0 == "," }.filter(\.isNumber))!
            #expect(h.sandbox.deletedIDs.count == n)
            #expect(h.out.text.contains("after the purge, no recordings match: recordings created before"))
        }
    }

    @Test("a yes to another question of the same entry does not cover a purge: each purge asks")
    func eachPurgeAsks() async throws {
        let asked = Mutex<[String]>([])
        let ids = Sandbox.seededIDs(count: 2)
        try await withSandboxInterpreter(
            seed: 300, ask: { question in
                asked.withLock { $0.append(question) }
                return true
            }
        ) { h in
            let entry = "delete \(ids[0]); delete \(ids[1]); foreach id in recordings where created before 400d delete $id; foreach id in recordings where created before 200d delete $id"
            #expect(await h.run(entry, origin: .repl) == .success)
            let questions = asked.withLock { $0 }
            #expect(questions.count == 3, "\(questions)")
            #expect(questions.first?.hasPrefix("Delete 2 recordings?") == true)
            #expect(questions.dropFirst().allSatisfy { $0.contains("recordings created before") })
        }
    }

    @Test("a snapshot directory others may write to: refused before anything is read or deleted")
    func privateSnapshotDirectory() async throws {
        let shared = try TemporaryFile(text: "")
        let directory = shared.directory + "/shared"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o777)
        try await withSandboxInterpreter(seed: 50, settings: .with(confirm: false), snapshotDirectory: directory) { h in
            #expect(await h.run("foreach id in recordings delete $id") == .usage)
            #expect(h.err.text.contains("is not private: others may write to it (mode 777)"))
            #expect(h.sandbox.deletedIDs.isEmpty)
        }
    }

    @Test("resume without a journal is refused before the matches are read")
    func resumeWithoutJournal() async throws {
        var settings = Settings.with(confirm: false)
        settings.resume = true
        try await withSandboxInterpreter(seed: 50, settings: settings, journal: false) { h in
            #expect(await h.run("foreach id in recordings delete $id") == .usage)
            #expect(h.sandbox.totalRequests == 0)
        }
    }

    @Test("a script cannot purge by query without --yes: refused before any request")
    func scriptNeedsYes() async throws {
        try await withSandboxInterpreter(seed: 50) { h in
            #expect(await h.run("foreach id in recordings where created before 30d delete $id") == .usage)
            #expect(h.err.text.contains("refusing to delete every recording matching the query at q.tnx:1:15"))
            #expect(h.sandbox.totalRequests == 0)
        }
    }

    @Test("a server that lists a recording the query does not match gets nothing deleted")
    func hostileListIsNotTrusted() async throws {
        try await withSandboxInterpreter(seed: 300, faults: SandboxFaults(hostility: [.listIgnoresFilters]), settings: .with(confirm: false)) { h in
            let status = await h.run("foreach id in recordings where created before 400d delete $id")
            #expect(status == .failures)
            #expect(h.sandbox.deletedIDs.isEmpty)
            #expect(h.err.text.contains("after the query's range: the server's list cannot be trusted, so nothing was deleted"))
            // No file claims a match set that was not read whole.
            let left = (try? FileManager.default.contentsOfDirectory(atPath: h.scratch.directory + "/snapshots")) ?? []
            #expect(left.isEmpty, "\(left)")
        }
    }

    @Test("pages that shift while being read: every match once, the spill past the last page too")
    func shiftingPages() async throws {
        try await withSandboxInterpreter(seed: 1000, faults: SandboxFaults(hostility: [.overlappingPages]), settings: .with(confirm: false)) { h in
            #expect(await h.run("foreach id in recordings delete $id") == .success)
            #expect(h.sandbox.recordingCount == 0)
            #expect(h.sandbox.deletedIDs.count == 1000)
            #expect(h.sandbox.statistics.requestsByID.values.allSatisfy { $0 == 1 })
        }
    }

    @Test("nothing matches: nothing to delete, nothing asked")
    func nothingMatches() async throws {
        try await withSandboxInterpreter(seed: 20, ask: { _ in Issue.record("asked"); return true }) { h in
            #expect(await h.run("foreach id in recordings where to nobody delete $id", origin: .repl) == .success)
            #expect(h.out.text.contains("no recordings match: recordings to \"nobody\"; nothing to delete"))
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: h.scratch.directory + "/snapshots")) ?? []).isEmpty)
            #expect(h.sandbox.deletedIDs.isEmpty)
        }
    }
}

/// A server that lists whatever it is told to: for what a purge must refuse to trust.
final class ListingClient: RecordingsAPI {
    let pages: [Int: Swift.Result<RecordingPage, RecordingsError>]
    let deletes = Mutex<[String]>([])
    let listed = Mutex<[Int]>([])

    init(_ pages: [Int: Swift.Result<RecordingPage, RecordingsError>]) { self.pages = pages }

    func preparedRequest(for id: RecordingID) -> PreparedRequest { PreparedRequest(method: "DELETE", url: "x/\(id)", headers: []) }

    func deleteRecording(_ id: RecordingID, dryRun: Bool) async -> DeleteResult {
        if dryRun { return .wouldDelete(preparedRequest(for: id)) }
        deletes.withLock { $0.append(id.rawValue) }
        return .deleted(DeletedRecording(recording: Recording(id: id.rawValue), httpStatus: 200, attempts: 1))
    }

    func listRecordings(_ filter: RecordingFilter, page: Int, size: Int) async -> Swift.Result<RecordingPage, RecordingsError> {
        listed.withLock { $0.append(page) }
        return pages[page] ?? .success(RecordingPage(recordings: [], totalPages: nil, totalResults: nil))
    }

    func countRecordings(_ filter: RecordingFilter) async -> Swift.Result<Int, RecordingsError> { .success(0) }
}

func recording(_ n: Int, created: String = "2024-06-01T00:00:00.000Z", from: String = "+15550001111") -> Recording {
    var r = Recording(id: uuid(n))
    r.createdAt = created
    r.from = from
    r.durationMillis = 60_000
    return r
}

@Suite("A purge trusts nothing the server lists without checking it")
struct UntrustedListTests {
    static func purge(_ client: ListingClient, _ query: String) async throws -> (RunStatus, String) {
        let scratch = try TemporaryFile(text: "")
        let err = MemoryOutput()
        let environment = InterpreterEnvironment(
            client: client, stdout: MemoryOutput(), stderr: err, journal: Journal(path: scratch.directory + "/j.jsonl", baseURL: "x"),
            connection: { ConnectionInfo(baseURL: "x", hasAPIKey: true) })
        let interpreter = Interpreter(settings: .with(confirm: false), environment: environment)
        let status = await interpreter.run(SourceFile(name: "p.tnx", text: "foreach id in recordings where \(query) delete $id"), origin: .file).status
        return (status, err.text)
    }

    static func page(_ recordings: [Recording], pages: Int? = 1, results: Int? = nil) -> Swift.Result<RecordingPage, RecordingsError> {
        .success(RecordingPage(recordings: recordings, totalPages: pages, totalResults: results ?? recordings.count))
    }

    @Test("an id that is not a recording id: nothing deleted")
    func badID() async throws {
        var bad = recording(2)
        bad.id = "../../accounts"
        let client = ListingClient([1: Self.page([recording(1), bad])])
        let (status, err) = try await Self.purge(client, "created before 2025-01-01")
        #expect(status == .failures)
        #expect(client.deletes.withLock { $0 }.isEmpty)
        #expect(err.contains("the server listed a recording whose id is not a recording id"))
    }

    @Test("a field that differs from the query's value: nothing deleted")
    func otherCaller() async throws {
        let client = ListingClient([1: Self.page([recording(1), recording(2, from: "+15559999999")])])
        let (status, err) = try await Self.purge(client, "from \"+15550001111\"")
        #expect(status == .failures)
        #expect(client.deletes.withLock { $0 }.isEmpty)
        #expect(err.contains("its from is \"+15559999999\", not \"+15550001111\""))
    }

    @Test("a missing or unreadable created_at under a time condition: nothing deleted")
    func noTime() async throws {
        var undated = recording(2)
        undated.createdAt = "last tuesday"
        let client = ListingClient([1: Self.page([recording(1), undated])])
        let (status, err) = try await Self.purge(client, "created after 2020-01-01")
        #expect(status == .failures)
        #expect(client.deletes.withLock { $0 }.isEmpty)
        #expect(err.contains("is not a time"))
    }

    @Test("a page that fails after the retries: nothing deleted, the reason said")
    func failedPage() async throws {
        let full = (0..<250).map { recording($0) }
        let client = ListingClient([
            1: Self.page(full, pages: 3, results: 750), 2: Self.page((250..<500).map { recording($0) }, pages: 3, results: 750),
            3: .failure(RecordingsError(kind: .serverError, status: 503, attempts: 5, description: "HTTP 503 after 5 attempts")),
        ])
        let (status, err) = try await Self.purge(client, "created before 2025-01-01")
        #expect(status == .failures)
        #expect(client.deletes.withLock { $0 }.isEmpty)
        #expect(err.contains("HTTP 503 after 5 attempts; nothing was deleted"))
    }

    @Test("a full page without meta.total_pages: nothing deleted (the match set is unknown)")
    func noMeta() async throws {
        let client = ListingClient([1: .success(RecordingPage(recordings: (0..<250).map { recording($0) }, totalPages: nil, totalResults: nil))])
        let (status, err) = try await Self.purge(client, "created before 2025-01-01")
        #expect(status == .failures)
        #expect(client.deletes.withLock { $0 }.isEmpty)
        #expect(err.contains("did not say how many pages match"))
    }

    @Test("a server that ignores the page number: the reading ends at the repeats; list stops too")
    func repeatedPages() async throws {
        let same = Self.page((0..<250).map { recording($0) }, pages: 1000, results: 250_000)
        let client = ListingClient(Dictionary(uniqueKeysWithValues: (1...1000).map { ($0, same) }))
        let (status, _) = try await Self.purge(client, "created before 2025-01-01")
        #expect(status == .success)
        #expect(client.deletes.withLock { $0.count } == 250)
        #expect(client.listed.withLock { $0.count } <= 1 + 2 * MatchReader.maximumPagesInFlight)

        let lister = ListingClient(Dictionary(uniqueKeysWithValues: (1...1000).map { ($0, same) }))
        let err = MemoryOutput()
        let out = MemoryOutput()
        let environment = InterpreterEnvironment(
            client: lister, stdout: out, stderr: err, journal: nil, connection: { ConnectionInfo(baseURL: "x", hasAPIKey: true) })
        let interpreter = Interpreter(settings: Settings(), environment: environment)
        _ = await interpreter.run(SourceFile(name: "l.tnx", text: "list recordings"), origin: .file)
        #expect(lister.listed.withLock { $0 } == [1, 2])
        #expect(err.text.contains("page 2 of the list repeats page 1"))
        #expect(out.text.split(separator: "\n").count == 250)
    }

    @Test("one full page announced that repeats a recording: the one pushed past it is read too")
    func repeatOnTheOnlyPage() async throws {
        // 250 rows, one of them twice: the page shifted while it was made, and the 250th match
        // went to page 2, which the server did not announce.
        let first = (0..<249).map { recording($0) } + [recording(7)]
        let client = ListingClient([
            1: Self.page(first, pages: 1, results: 250),
            2: Self.page([recording(249)], pages: 1, results: 250),
        ])
        let (status, _) = try await Self.purge(client, "created before 2025-01-01")
        #expect(status == .success)
        #expect(client.listed.withLock { $0 } == [1, 2])
        #expect(client.deletes.withLock { $0.count } == 250)
    }

    @Test("an absurd page count ends at the first empty pages, and deletes what was listed")
    func absurdPageCount() async throws {
        // Every page after the first is empty: the run ends after the pages already asked for.
        let absurd = ListingClient([1: .success(RecordingPage(recordings: [recording(1), recording(2)], totalPages: 1_000_000_000_000, totalResults: nil))])
        let (status, _) = try await Self.purge(absurd, "created before 2025-01-01")
        #expect(status == .success)
        #expect(Set(absurd.deletes.withLock { $0 }) == [uuid(1), uuid(2)])
        #expect(absurd.listed.withLock { $0.count } <= 1 + MatchReader.maximumPagesInFlight)
        // A page count its own total contradicts: the total wins.
        let contradicted = ListingClient([1: .success(RecordingPage(recordings: [recording(1)], totalPages: 1_000_000, totalResults: 1))])
        _ = try await Self.purge(contradicted, "created before 2025-01-01")
        #expect(contradicted.listed.withLock { $0 } == [1])
    }
}

@Suite("Snapshot files")
struct SnapshotFileTests {
    @Test("a new file each time, never over an existing file or through a link; 0600; the id of each line read back")
    func createsNew() async throws {
        let scratch = try TemporaryFile(text: "")
        let directory = scratch.directory + "/snapshots"
        let target = scratch.directory + "/precious.txt"
        try "keep me".write(toFile: target, atomically: true, encoding: .utf8)
        let stamp = String(WallClock.iso8601Now().prefix(19)).replacingOccurrences(of: ":", with: "-")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // A link where the first name would be (the second of the clock may have turned: both).
        for s in [stamp, String(WallClock.iso8601Now().prefix(19)).replacingOccurrences(of: ":", with: "-")] {
            try? FileManager.default.createSymbolicLink(atPath: directory + "/\(s)Z-run.jsonl", withDestinationPath: target)
        }
        let first = try SnapshotFile.create(in: directory, runID: "run").get()
        let second = try SnapshotFile.create(in: directory, runID: "run").get()
        #expect(first.path != second.path)
        for path in [first.path, second.path] { #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) == nil) }
        var r = Recording(id: uuid(7))
        r.from = "+1\u{1B}[2J"
        first.append(try RecordingID(uuid(7)), r)
        let written = try first.finishWriting().get()
        #expect(await written.syncAndClose() == nil)
        _ = second.finishWriting()
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep me")
        let line = try String(contentsOfFile: first.path, encoding: .utf8)
        #expect(SnapshotFile.id(inLine: String(line.dropLast())) == uuid(7))
        #expect(!line.contains("\u{1B}"))
        let mode = try FileManager.default.attributesOfItem(atPath: first.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(SnapshotFile.id(inLine: "not a snapshot line") == nil)
        #expect(SnapshotFile.id(inLine: "{\"id\":\"unterminated") == nil)
    }
}

@Suite("Snapshots older than keep-snapshots")
struct SnapshotPruningTests {
    @Test("the name a snapshot is created with is the one pruning knows, with its time")
    func namesAgree() throws {
        let scratch = try TemporaryFile(text: "")
        let before = WallClock.millis / 1000 * 1000
        let files = try (1...3).map { _ in try SnapshotFile.create(in: scratch.directory + "/snapshots", runID: Journal.makeRunID()).get() }
        let again = try SnapshotFile.create(in: scratch.directory + "/snapshots", runID: "00000000000000ab").get()
        let twice = try SnapshotFile.create(in: scratch.directory + "/snapshots", runID: "00000000000000ab").get()
        for file in files + [again, twice] {
            let name = String(file.path.split(separator: "/").last!)
            let taken = try #require(SnapshotPruning.takenMillis(name), "\(name)")
            #expect(taken >= before - 1000 && taken <= WallClock.millis, "\(name)")
        }
        #expect(twice.path.hasSuffix("-00000000000000ab-2.jsonl"), "\(twice.path)")
    }

    @Test("only the exact naming is a snapshot")
    func exactNaming() {
        let good = "2026-11-29T23-11-16Z-0123456789abcdef"
        #expect(SnapshotPruning.takenMillis(good + ".jsonl") == CivilTime.parse("2026-11-29T23:11:16Z"))
        #expect(SnapshotPruning.takenMillis(good + "-2.jsonl") != nil)
        #expect(SnapshotPruning.takenMillis(good + "-1000.jsonl") != nil)
        for bad in [
            good + "-1.jsonl", good + "-1001.jsonl", good + "-02.jsonl", good + "-.jsonl", good + ".json", good + ".jsonl.bak",
            "x" + good + ".jsonl", "2026-11-29T23-11-16Z-0123456789ABCDEF.jsonl", "2026-11-29T23-11-16Z-0123456789abcde.jsonl",
            "2026-11-29T23-11-16Z-0123456789abcdef0.jsonl", "2026-13-29T23-11-16Z-0123456789abcdef.jsonl",
            "2026-11-29T23:11:16Z-0123456789abcdef.jsonl", "notes.txt", ".jsonl", "",
        ] {
            #expect(SnapshotPruning.takenMillis(bad) == nil, "\(bad)")
        }
    }

    @Test("prune removes regular files of that naming older than the age, nothing else; off removes nothing")
    func prune() throws {
        let scratch = try TemporaryFile(text: "")
        let directory = scratch.directory + "/snapshots"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let now = try #require(CivilTime.parse("2026-12-05T12:00:00Z"))
        let old = ["2026-11-01T00-00-00Z-0123456789abcdef.jsonl", "2025-01-01T00-00-00Z-0123456789abcdef-7.jsonl"]
        let young = ["2026-11-20T00-00-00Z-0123456789abcdef.jsonl"]
        let other = ["2026-11-01T00-00-00Z-0123456789abcdef.txt", "readme.jsonl"]
        for name in old + young + other { FileManager.default.createFile(atPath: directory + "/" + name, contents: Data("x\n".utf8)) }
        try FileManager.default.createDirectory(atPath: directory + "/2026-10-01T00-00-00Z-0123456789abcdef.jsonl", withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: directory + "/2026-10-02T00-00-00Z-0123456789abcdef.jsonl", withDestinationPath: directory + "/readme.jsonl")
        let thirty = SnapshotRetention.age(seconds: 30 * 86_400, text: "30d")
        #expect(SnapshotPruning.prune(directory, retention: .off, nowMillis: now) == SnapshotPruning.Result())
        #expect(SnapshotPruning.prune(directory, retention: thirty, nowMillis: now) == SnapshotPruning.Result(removed: 2))
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: directory))
        #expect(left == Set(young + other + ["2026-10-01T00-00-00Z-0123456789abcdef.jsonl", "2026-10-02T00-00-00Z-0123456789abcdef.jsonl"]))
        #expect(SnapshotPruning.prune(directory, retention: thirty, nowMillis: now) == SnapshotPruning.Result())
    }
}

@Suite("Fingerprints of a purge's match set")
struct FingerprintTests {
    @Test("a million distinct UUIDs stay distinct; a repeat, in any case, is one; other ids too")
    func distinct() {
        var set = IDFingerprints(expected: 1_000_000)
        var fresh = 0
        for n in 0..<1_000_000 where set.insert(uuid(n)) { fresh += 1 }
        #expect(fresh == 1_000_000)
        let repeated = set.insert(uuid(5))
        let upper = set.insert(uuid(5).uppercased())
        let other = set.insert("v3:abc")
        let otherAgain = set.insert("v3:abc")
        let near = set.insert("v3:abd")
        #expect(!repeated && !upper)
        #expect(other && !otherAgain && near)
    }
}
