import Foundation
import Synchronization
import Testing
import TelnyxRecordings
import TnxLanguage
import TnxSandbox
import TnxSystem

@testable import TnxInterpreter

/// `download` and loop bodies of several steps, against the sandbox and its media host (a port
/// of its own, presigned links). What counts is what the sandbox still holds, what it was sent
/// (never the key, to the media host) and what is on the disk.
@Suite("Keep a copy, then delete", .serialized)
struct DownloadTests {
    /// The ids file and the archive directory of a harness.
    static func setUp(_ h: SandboxHarness, ids count: Int) throws -> (ids: [String], file: String, archive: String) {
        let ids = Sandbox.seededIDs(count: count)
        let file = h.scratch.directory + "/ids.txt"
        try Data((ids.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: file))
        return (ids, file, h.scratch.directory + "/archive")
    }

    static func journal(_ h: SandboxHarness) -> [[String: Any]] {
        ((try? String(contentsOfFile: h.journalPath, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    static func files(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    static func keepThenDelete(_ file: String, _ archive: String) -> String {
        "set on-error continue\nforeach id in \(file) {\n  download $id to \(archive)\n  delete $id\n}"
    }

    @Test("every recording is deleted only after its copy: complete, hashed as journaled, metadata beside it")
    func keepThenDelete() async throws {
        try await withSandboxInterpreter(seed: 20, settings: .with(confirm: false)) { h in
            let (ids, file, archive) = try Self.setUp(h, ids: 12)
            #expect(await h.run(Self.keepThenDelete(file, archive)) == .success, "\(h.err.text)")
            #expect(Set(h.sandbox.deletedIDs) == Set(ids))
            let stats = h.sandbox.statistics
            #expect(stats.mediaRequests == 12)
            #expect(stats.mediaRequestsWithKey == 0, "the key never reaches the media host")
            let attributes = try FileManager.default.attributesOfItem(atPath: archive)
            #expect((attributes[.posixPermissions] as? Int) == 0o700)
            #expect(Self.files(in: archive).count == 24, "no .partial left: \(Self.files(in: archive))")

            let journal = Self.journal(h)
            for id in ids {
                let media = archive + "/" + id + ".mp3"
                let bytes = try Data(contentsOf: URL(fileURLWithPath: media))
                // A real MP3: an ID3v2 tag naming the recording, then MPEG frames.
                #expect(bytes.starts(with: Data("ID3".utf8)))
                #expect(bytes.range(of: Data("SANDBOX \(id)".utf8)) != nil)
                let hash = try MediaHash.file(media).get()
                let lines = journal.filter { $0["id"] as? String == id }
                #expect(lines.map { $0["outcome"] as? String } == ["downloaded", "sending", "deleted"], "the copy is journaled before the delete")
                let sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: archive + "/" + id + ".json"))) as? [String: Any]
                let duration = (sidecar?["recording"] as? [String: Any])?["duration_millis"] as? Int
                // What was checked, in the journal and beside the copy alike.
                let copies = lines.filter { $0["outcome"] as? String != "sending" }.map { $0["download"] as? [String: Any] }
                for download in copies + [sidecar?["download"] as? [String: Any]] {
                    #expect(download?["sha256"] as? String == hash.sha256)
                    #expect(download?["bytes"] as? Int == bytes.count)
                    #expect((download?["file"] as? String).map { media.hasSuffix($0) } == true)
                    #expect((download?["audio"] as? String)?.hasPrefix("MPEG-2.5 Layer III, 8000 Hz, mono") == true, "\(String(describing: download))")
                    #expect(download?["duration_millis"] as? Int == duration)
                    #expect(download?["duration_check"] as? String == "matched")
                    let playing = download?["playing_millis"] as? Int ?? 0
                    #expect(abs(playing - (duration ?? 0)) <= 36, "the sandbox's MP3 plays as long as the recording, to a frame")
                }
                #expect((sidecar?["recording"] as? [String: Any])?["id"] as? String == id)
            }
            #expect(h.out.text.contains("saved 12 files"))
            #expect(h.sandbox.statistics.mediaRequestsAllowingEncoding == 0, "every media request asks for the bytes as they are")
        }
    }

    static let failures: [(String, SandboxFaults.MediaFault)] = [
        ("truncated", .truncated), ("missing", .missing), ("expired", .expired), ("storage 500", .serverError),
        ("slow", .slow(.seconds(5))), ("no Content-Length", .noLength), ("empty", .empty), ("an HTML page", .html),
        // 200, an audio type and a Content-Length that all say "audio": the bytes say otherwise.
        ("an HTML login page as audio/mpeg", .htmlAsAudio), ("one byte", .oneByte), ("gzip", .gzip),
        ("half a file, its Content-Length cut to match", .shortened), ("half the playing time", .otherDuration),
        ("an HTML page after the last frame", .trailingJunk),
    ]

    @Test("no delete after a failed download", arguments: failures.indices)
    func noDeleteAfterAFailedDownload(_ index: Int) async throws {
        let (name, fault) = Self.failures[index]
        var faults = SandboxFaults.none
        faults.media = fault
        try await withSandboxInterpreter(seed: 10, faults: faults, settings: .with(confirm: false), requestTimeout: .milliseconds(400)) { h in
            let (ids, file, archive) = try Self.setUp(h, ids: 3)
            #expect(await h.run(Self.keepThenDelete(file, archive)) == .failures, "\(name)")
            #expect(h.sandbox.deletedIDs.isEmpty, "\(name): nothing is deleted")
            #expect(ids.allSatisfy(h.sandbox.contains(id:)))
            #expect(Self.files(in: archive).isEmpty, "\(name): no file that looks complete, no .partial: \(Self.files(in: archive))")
            let journal = Self.journal(h)
            #expect(journal.count == 3)
            #expect(journal.allSatisfy { $0["outcome"] as? String == "failed" && $0["step"] as? String == "download" }, "\(name): \(journal)")
            #expect(h.sandbox.statistics.mediaRequestsWithKey == 0)
            #expect(h.out.text.contains("[download]"))
            if let reason = Self.reasons[name] {
                #expect(journal.allSatisfy { ($0["error"] as? String ?? "").contains(reason) }, "\(name): the reason names what the bytes are: \(journal)")
            }
        }
    }

    /// What the failure of each bad body says (the bytes were checked, not the headers).
    static let reasons: [String: String] = [
        "an HTML login page as audio/mpeg": "(an HTML page)", "one byte": "1 byte", "gzip": "Content-Encoding: gzip",
        "half a file, its Content-Length cut to match": "not a whole MP3 recording", "half the playing time": "but the recording lasts",
        "an HTML page after the last frame": "(an HTML page)",
    ]

    @Test("one file served for every link is the copy of no recording: the first is kept, the others are not deleted")
    func oneFileForEveryLink() async throws {
        var faults = SandboxFaults.none
        faults.media = .sameForAll
        try await withSandboxInterpreter(seed: 10, faults: faults, settings: .with(confirm: false)) { h in
            let (ids, file, archive) = try Self.setUp(h, ids: 3)
            // Its playing time is 60 s, not the recordings': only the hash can tell.
            let script = "set verify-duration off\nset concurrency 1\n" + Self.keepThenDelete(file, archive)
            #expect(await h.run(script) == .failures, "\(h.err.text)")
            #expect(h.sandbox.deletedIDs == [ids[0]], "only the first copy is taken for one")
            let failed = Self.journal(h).filter { $0["outcome"] as? String == "failed" }
            #expect(failed.count == 2)
            #expect(failed.allSatisfy { ($0["error"] as? String ?? "").contains("byte for byte the copy already kept for \(ids[0])") }, "\(failed)")
            #expect(Self.files(in: archive).count == 2, "the copy of the first, and its metadata: \(Self.files(in: archive))")
        }
    }

    @Test("a recording without duration_millis is kept and deleted, and the outcome says its playing time was not checked")
    func noDuration() async throws {
        var faults = SandboxFaults.none
        faults.hostility = [.noDurations]
        try await withSandboxInterpreter(seed: 10, faults: faults, settings: .with(confirm: false)) { h in
            let (ids, file, archive) = try Self.setUp(h, ids: 2)
            #expect(await h.run(Self.keepThenDelete(file, archive)) == .success, "\(h.err.text)")
            #expect(Set(h.sandbox.deletedIDs) == Set(ids))
            #expect(h.out.text.contains("duration not checked"), "\(h.out.text)")
            let downloads = Self.journal(h).compactMap { $0["download"] as? [String: Any] }
            #expect(downloads.count == 4)
            #expect(downloads.allSatisfy { $0["duration_check"] as? String == "not checked: the API gave no duration_millis" && $0["duration_millis"] is NSNull })
        }
    }

    @Test("set verify-duration off keeps a copy whose playing time differs, and says it was not checked")
    func verifyDurationOff() async throws {
        var faults = SandboxFaults.none
        faults.media = .otherDuration
        try await withSandboxInterpreter(seed: 10, faults: faults, settings: .with(confirm: false)) { h in
            let (ids, file, archive) = try Self.setUp(h, ids: 2)
            #expect(await h.run("set verify-duration off\n" + Self.keepThenDelete(file, archive)) == .success, "\(h.err.text)")
            #expect(Set(h.sandbox.deletedIDs) == Set(ids))
            let downloads = Self.journal(h).compactMap { $0["download"] as? [String: Any] }
            #expect(downloads.allSatisfy { $0["duration_check"] as? String == "not checked: verify-duration off" }, "\(downloads)")
            #expect(await h.run("show settings") == .success)
            #expect(h.out.text.contains("verify-duration"), "show settings names it")
        }
    }

    @Test("a link that expired is fetched fresh once, then the copy and the delete go ahead")
    func expiredLinkIsRefreshed() async throws {
        try await withSandboxInterpreter(seed: 10, settings: .with(confirm: false)) { h in
            let (ids, file, archive) = try Self.setUp(h, ids: 2)
            h.sandbox.scriptMedia([.expired], for: ids[0])
            #expect(await h.run(Self.keepThenDelete(file, archive)) == .success, "\(h.err.text)")
            #expect(Set(h.sandbox.deletedIDs) == Set(ids))
            #expect(h.sandbox.requestCount(for: ids[0]) == 3, "read, read again for a fresh link, delete")
            #expect(h.sandbox.requestCount(for: ids[1]) == 2)
        }
    }

    @Test("a link holding the key, or plain http to another host, is never requested")
    func hostileLinks() async throws {
        try await withSandboxInterpreter(seed: 1) { h in
            let client = RecordingsClient(configuration: try ClientConfiguration(apiKey: Sandbox.defaultAPIKey, baseURL: h.sandbox.baseURL))
            defer { Task { try? await client.shutdown() } }
            let path = h.scratch.directory + "/x.partial"
            let withKey = h.sandbox.mediaBase + "/media/x.mp3?token=" + Sandbox.defaultAPIKey
            guard case .failure(.request(let e)) = await client.downloadMedia(from: withKey, to: path, format: .mp3) else {
                Issue.record("a link with the key was downloaded")
                return
            }
            #expect(e.description.contains("holds the API key"))
            #expect(!e.description.contains(Sandbox.defaultAPIKey))
            guard case .failure(.request(let clear)) = await client.downloadMedia(from: "http://198.51.100.7/x.mp3", to: path, format: .mp3) else {
                Issue.record("a plain http link to another host was requested")
                return
            }
            #expect(clear.description.contains("clear text"))
            #expect(h.sandbox.statistics.mediaRequests == 0)
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test("--resume neither downloads again a complete file nor deletes again; a changed file is downloaded again and never put over it")
    func resume() async throws {
        try await withSandboxInterpreter(seed: 10, settings: .with(confirm: false)) { h in
            let (ids, file, archive) = try Self.setUp(h, ids: 4)
            // The delete of the first id fails: its copy is on the disk and journaled.
            let error = SandboxResponse.apiError(status: 500, code: "10007", title: "Unexpected error")
            // (The first request of the id, the read before the download, goes through.)
            h.sandbox.script([.slow(.zero), error, error, error], for: ids[0])
            #expect(await h.run(Self.keepThenDelete(file, archive)) == .failures)
            #expect(Set(h.sandbox.deletedIDs) == Set(ids.dropFirst()))
            let failed = Self.journal(h).last { $0["id"] as? String == ids[0] }
            #expect(failed?["step"] as? String == "delete")
            let before = h.sandbox.statistics.mediaRequests

            #expect(await h.run("set resume on\n" + Self.keepThenDelete(file, archive)) == .success, "\(h.err.text)")
            #expect(h.sandbox.statistics.mediaRequests == before, "the complete copy is not downloaded again")
            #expect(Set(h.sandbox.deletedIDs) == Set(ids))
            #expect(h.sandbox.deletedIDs.count == 4, "nothing deleted twice")
            #expect(h.out.text.contains("1 already there"))

            // A body that only downloads, over ids not touched yet: run twice, then change one file.
            let others = Array(Sandbox.seededIDs(count: 8).suffix(4))
            let otherFile = h.scratch.directory + "/others.txt"
            try Data(others.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: otherFile))
            let keep = "foreach id in \(otherFile) download $id to \(archive)"
            #expect(await h.run(keep) == .success)
            let afterFirst = h.sandbox.statistics.mediaRequests
            #expect(await h.run("set resume on\n" + keep) == .success)
            #expect(h.sandbox.statistics.mediaRequests == afterFirst)
            #expect(h.out.text.contains("4 already there"))
            let changed = archive + "/" + others[2] + ".mp3"
            var bytes = try Data(contentsOf: URL(fileURLWithPath: changed))
            bytes[100] ^= 0xFF
            try bytes.write(to: URL(fileURLWithPath: changed))
            // Downloaded again, and not put over the changed file: a file that is not the copy
            // is never overwritten; the id fails and says so.
            #expect(await h.run("set resume on\n" + keep) == .failures)
            #expect(h.sandbox.statistics.mediaRequests == afterFirst + 1, "only the changed file again")
            #expect(try MediaHash.file(changed).get().sha256 == MediaHash.hex(Array(bytes)), "left as it was")
            #expect(h.err.text.contains("is there already and is not this recording's copy"), "\(h.err.text)")
        }
    }

    @Test("a dry-run reads the recordings and the sizes of their media; it downloads, writes and deletes nothing")
    func dryRun() async throws {
        try await withSandboxInterpreter(seed: 10, settings: .with(dryRun: true, confirm: false)) { h in
            let (ids, file, archive) = try Self.setUp(h, ids: 5)
            #expect(await h.run(Self.keepThenDelete(file, archive)) == .success, "\(h.err.text)")
            #expect(!FileManager.default.fileExists(atPath: archive))
            #expect(!FileManager.default.fileExists(atPath: h.journalPath))
            #expect(h.sandbox.deletedIDs.isEmpty)
            let stats = h.sandbox.statistics
            #expect(stats.mediaRequests == 5)
            #expect(stats.mediaBytesServed == 5, "one byte of each file, for its size (a link is signed for GET: no HEAD)")
            // Each size as the media host's Content-Range says it (a real MP3: it varies with
            // the recording's duration), and their sum.
            #expect(ids.allSatisfy { id in h.out.text.contains(try! Regex("would delete \(id)  [0-9,]+ bytes to ")) }, "\(h.out.text)")
            #expect(h.out.text.contains(" would be downloaded"))
            #expect(h.out.text.contains("dry-run: nothing was deleted or downloaded"))
        }
    }

    @Test("download ID to DIR on its own: the copy, its metadata and its journal line, mode 0600; set format wav saves the wav; a dry-run writes nothing")
    func singleDownload() async throws {
        try await withSandboxInterpreter(seed: 10, settings: .with(confirm: false)) { h in
            let (ids, _, archive) = try Self.setUp(h, ids: 2)
            #expect(await h.run("download \(ids[0]) to \(archive)\nset format wav\ndownload \(ids[1]) to \(archive)") == .success, "\(h.err.text)")
            #expect(Self.files(in: archive) == ["\(ids[0]).json", "\(ids[0]).mp3", "\(ids[1]).json", "\(ids[1]).wav"].sorted())
            for (id, format) in [(ids[0], "mp3"), (ids[1], "wav")] {
                let media = archive + "/\(id).\(format)"
                let bytes = try Data(contentsOf: URL(fileURLWithPath: media))
                #expect(bytes.starts(with: Data((format == "mp3" ? "ID3" : "RIFF").utf8)), "a real \(format)")
                #expect(bytes.range(of: Data("SANDBOX \(id)".utf8)) != nil)
                for file in [media, archive + "/\(id).json"] {
                    let attributes = try FileManager.default.attributesOfItem(atPath: file)
                    #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(file)")
                }
                let line = try #require(Self.journal(h).first { $0["id"] as? String == id })
                #expect(line["outcome"] as? String == "downloaded")
                let download = line["download"] as? [String: Any]
                #expect(download?["file"] as? String == media)
                #expect(download?["sha256"] as? String == (try MediaHash.file(media).get()).sha256)
            }
            #expect(h.sandbox.deletedIDs.isEmpty)
        }
        try await withSandboxInterpreter(seed: 10, settings: .with(dryRun: true, confirm: false)) { h in
            let (ids, _, archive) = try Self.setUp(h, ids: 1)
            #expect(await h.run("download \(ids[0]) to \(archive)") == .success, "\(h.err.text)")
            #expect(!FileManager.default.fileExists(atPath: archive))
            #expect(h.sandbox.statistics.mediaBytesServed == 1)
        }
    }

    @Test("a directory that cannot be made stops the run before anything is downloaded or deleted")
    func unusableDirectory() async throws {
        try await withSandboxInterpreter(seed: 5, settings: .with(confirm: false)) { h in
            let (_, file, _) = try Self.setUp(h, ids: 3)
            let blocker = h.scratch.directory + "/afile"
            try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
            #expect(await h.run("foreach id in \(file) { download $id to \(blocker)/archive; delete $id }") == .failures)
            #expect(h.err.text.contains("cannot create directory"))
            #expect(h.err.text.contains("nothing was downloaded or deleted"))
            #expect(h.sandbox.deletedIDs.isEmpty)
            #expect(h.sandbox.statistics.mediaRequests == 0)
        }
    }

    @Test("a query's copies: exactly its matches are saved, then deleted; a body that only downloads asks nothing")
    func query() async throws {
        let seeds = SeedFacts.all(40)
        let cut = splitDate(seeds, fraction: 0.5)
        let expected = Set(seeds.filter { $0.created < CivilTimeParse(cut) }.map(\.id))
        let asked = Mutex(0)
        try await withSandboxInterpreter(seed: 40, ask: { _ in asked.withLock { $0 += 1 }; return true }) { h in
            let archive = h.scratch.directory + "/archive"
            let dry = "set dry-run on\nforeach id in recordings where created before \(cut) { download $id to \(archive); delete $id }\nset dry-run off"
            #expect(await h.run(dry, origin: .repl) == .success, "\(h.err.text)")
            #expect(h.out.text.contains("dry-run: nothing was deleted or downloaded; \(expected.count) recordings would be deleted"))
            #expect(h.sandbox.statistics.mediaBytesServed == expected.count)
            #expect(!FileManager.default.fileExists(atPath: archive))
            #expect(!FileManager.default.fileExists(atPath: h.scratch.directory + "/snapshots"), "a dry-run leaves no snapshot")
            #expect(asked.withLock { $0 } == 0)
            #expect(await h.run("foreach id in recordings where created before \(cut) download $id to \(archive)", origin: .repl) == .success)
            #expect(asked.withLock { $0 } == 0, "nothing is deleted, so nothing is asked")
            #expect(h.sandbox.deletedIDs.isEmpty)
            #expect(Set(Self.files(in: archive).filter { $0.hasSuffix(".mp3") }.map { String($0.dropLast(4)) }) == expected)

            let script = "foreach id in recordings where created before \(cut) {\n  download $id to \(archive)\n  delete $id\n}"
            #expect(await h.run(script, origin: .repl) == .success, "\(h.err.text)")
            #expect(asked.withLock { $0 } == 1)
            #expect(Set(h.sandbox.deletedIDs) == expected)
            #expect(h.out.text.contains("after the purge, no recordings match"))
        }
    }

    @Test("two runs saving the same recording into one directory never write into each other's file")
    func overlappingRuns() async throws {
        var faults = SandboxFaults.none
        faults.media = .slow(.milliseconds(300))
        try await withSandboxInterpreter(seed: 3, faults: faults) { h in
            let id = try RecordingID(Sandbox.seededIDs(count: 1)[0])
            let archive = h.scratch.directory + "/archive"
            _ = Directories.create(archive)
            let client = RecordingsClient(configuration: try ClientConfiguration(apiKey: Sandbox.defaultAPIKey, baseURL: h.sandbox.baseURL))
            defer { Task { try? await client.shutdown() } }
            let runner = PipelineRunner(
                pipeline: Pipeline(steps: [.download(directory: archive)], format: .mp3), client: client, dryRun: false, earlier: [:],
                journal: { _ in true })
            async let first = runner.run(id, origin: nil)
            async let second = runner.run(id, origin: nil)
            let results = await [first, second]
            #expect(results.allSatisfy { $0.outcome.kind == .downloaded }, "\(results.map(\.outcome.message))")
            let media = archive + "/" + id.rawValue + ".mp3"
            let hash = try MediaHash.file(media).get()
            #expect(results.allSatisfy { $0.outcome.download?.bytes == hash.bytes })
            #expect(results.allSatisfy { $0.outcome.download?.sha256 == hash.sha256 })
            #expect(Self.files(in: archive).count == 2, "\(Self.files(in: archive))")
        }
    }

    @Test("the sweep removes only tnx's own .partial files that no live run holds")
    func sweepTakesOnlyDeadPartialsOfTnx() throws {
        let scratch = try TemporaryFile(text: "")
        let directory = scratch.directory + "/archive"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let dead = ".61815d5a-681e-4e20-9818-f83e01c82dbd.mp3.4242-0123456789abcdef.partial"
        let deadSidecar = ".61815d5a-681e-4e20-9818-f83e01c82dbd.mp3.4242-0123456789abcdef.json.partial"
        let live = ".853c0e56-a070-48b0-a2a3-0cb244328599.wav.1-fedcba9876543210.partial"
        let others = [".notes.partial", ".backup.mp3.partial", "x.mp3.1-ab.partial", ".a.mp3.1-xyz.partial"]
        for name in [dead, deadSidecar] + others { FileManager.default.createFile(atPath: directory + "/" + name, contents: Data("x".utf8)) }
        let held = try FileDescriptor.createNewLocked(directory + "/" + live).get()
        defer { FileDescriptor.close(held) }
        #expect(PipelineRunner.sweepPartials(in: directory) == 2)
        #expect(Self.files(in: directory) == ([live] + others).sorted(), "a locked file and other programs' files stay")
    }

    @Test("file names: one per id, also where names ignore case; never a path; never too long")
    func fileNames() throws {
        let lower = PipelineRunner.fileName(try RecordingID("3fa85f64-5717-4562-b3fc-2c963f66afa6"))
        #expect(lower == "3fa85f64-5717-4562-b3fc-2c963f66afa6")
        let upper = PipelineRunner.fileName(try RecordingID("3FA85F64-5717-4562-B3FC-2C963F66AFA6"))
        #expect(upper.lowercased() != lower.lowercased())
        let odd = PipelineRunner.fileName(try RecordingID("v3:abc.def~x"))
        #expect(odd == "v3%3Aabc%2Edef%7Ex")
        let long = PipelineRunner.fileName(try RecordingID(String(repeating: ".:", count: 64)))
        #expect(long.utf8.count <= 200 && long.hasPrefix("id-"))
        for name in [lower, upper, odd, long] {
            #expect(!name.contains("/") && !name.hasPrefix("."))
        }
    }

    @Test("show recording $id as a step prints each recording; json too")
    func showSteps() async throws {
        try await withSandboxInterpreter(seed: 5) { h in
            let (ids, file, _) = try Self.setUp(h, ids: 3)
            #expect(await h.run("foreach id in \(file) show recording $id") == .success)
            for id in ids { #expect(h.out.text.contains("id                    \(id)")) }
            #expect(h.out.text.contains("shown 3"))
            #expect(await h.run("set output json\nforeach id in \(file) show recording $id") == .success)
            let recordings = h.jsonLines.compactMap { $0["recording"] as? [String: Any] }.compactMap { $0["id"] as? String }
            #expect(Set(recordings) == Set(ids))
            #expect(h.sandbox.deletedIDs.isEmpty)
        }
    }
}
