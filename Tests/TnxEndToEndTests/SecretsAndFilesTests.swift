import Foundation
import Testing
import TnxSandbox

#if canImport(Glibc)
import Glibc
#endif

/// Issue 21, "Secrets and files", against the built binary: a base URL that holds the key, the
/// presigned links' signatures kept out of the journal and `DIR/ID.json`, a killed dry-run
/// leaving nothing behind, a list page longer than asked for, Unicode line separators from a
/// server, and a startup file under a directory others may write to.
@Suite("Secrets and files end to end", .serialized)
struct SecretsAndFilesTests {
    /// A key with characters that percent-encoding changes, so that both forms can be looked for.
    static let key = "KEYsecret+Abc/Def=Ghi0123456789"
    static let encodedKey = "KEYsecret%2BAbc%2FDef%3DGhi0123456789"

    /// Whether `text` holds the key in any form: raw, percent-encoded, or any 8 characters of
    /// either in a row.
    static func leaks(_ text: String) -> String? {
        for form in [key, encodedKey] {
            for start in 0...(form.count - 8) {
                let piece = String(form.dropFirst(start).prefix(8))
                if text.contains(piece) { return piece }
            }
        }
        return nil
    }

    @Test(
        "a base URL that holds the key is refused with exit 2, and no message quotes the key or the URL's userinfo",
        arguments: [
            "https://\(key)@api.telnyx.com/v2",
            "https://user:\(key)@api.telnyx.com/v2",
            "https://\(encodedKey)@api.telnyx.com/v2",
            "https://user:\(encodedKey)@api.telnyx.com/v2",
            "https://api.telnyx.com/v2?key=\(key)",
            "https://api.telnyx.com/v2?key=\(encodedKey)",
            "https://api.telnyx.com/v2#\(encodedKey)",
            "https://api.telnyx.com/\(encodedKey)/v2",
            "https://api.telnyx.com/v2/\(key)",
        ])
    func baseURLWithKey(_ url: String) async throws {
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path, extra: ["TELNYX_API_KEY": Self.key])
        // Each place a base URL comes from: the environment, --base-url, a profile.
        var fromEnvironment = env
        fromEnvironment["TELNYX_BASE_URL"] = url
        let viaEnvironment = try await TnxProcess.run(["-c", "help"], environment: fromEnvironment)
        let viaOption = try await TnxProcess.run(["--base-url", url, "-c", "help"], environment: env)
        try ConfigFiles.write(scratch, "profiles/p.tnx", "set base-url \"\(url)\"\n")
        let viaProfile = try await TnxProcess.run(["--profile", "p", "-c", "help"], environment: env)
        for result in [viaEnvironment, viaOption, viaProfile] {
            #expect(result.status == 2, "\(result.stderr)")
            #expect(result.stderr.contains("base URL"), "\(result.stderr)")
            #expect(Self.leaks(result.stderr + result.stdout) == nil, "\(result.stderr)")
            #expect(!result.stderr.contains("user:"), "\(result.stderr)")
        }
    }

    @Test("a key from api-key-command that the base URL holds is refused once the command gives it: nothing is sent, the key never quoted")
    func baseURLWithCommandKey() async throws {
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path)
        // Loopback, port 1: were the URL not refused, the delete would fail to connect instead.
        try ConfigFiles.write(
            scratch, "profiles/p.tnx", "set base-url \"http://127.0.0.1:1/v2/\(Self.encodedKey)\"\nset api-key-command \"echo \(Self.key)\"\n")
        let result = try await TnxProcess.run(["--profile", "p", "-c", "delete \(Sandbox.seededIDs(count: 1)[0])"], environment: env)
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("holds an API key"), "\(result.stderr)")
        #expect(Self.leaks(result.stderr + result.stdout) == nil, "\(result.stderr)")
        #expect(!result.stderr.contains("connect"), "\(result.stderr)")
    }

    @Test("presigned links keep their signature out of the journal, DIR/ID.json and the outcome lines; show recording prints the link as sent")
    func signaturesStayOut() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 10, scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 3)
            let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
            let archive = scratch.path + "/archive"
            let result = try await TnxProcess.run(
                ["--yes", "--output", "json", "-c", "foreach id in \(file) { download $id to \(archive); delete $id }"], environment: env)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(Set(sandbox.deletedIDs) == Set(ids))
            let journal = try #require(scratch.read("state/tnx/journal.jsonl"))
            #expect(journal.contains("\"download_urls\""), "the links are kept, without their query")
            #expect(journal.contains("/media/\(ids[0]).mp3\""), "\(journal)")
            #expect(!journal.contains("X-Amz-Signature"), "\(journal)")
            #expect(!journal.contains("X-Amz-Expires"))
            #expect(!result.stdout.contains("X-Amz-Signature"), "\(result.stdout)")
            for id in ids {
                let sidecar = try #require(scratch.read("archive/\(id).json"))
                #expect(sidecar.contains("/media/\(id).mp3\""), "\(sidecar)")
                #expect(!sidecar.contains("X-Amz-Signature"), "\(sidecar)")
            }
            // Asked for, a recording is shown with the link as the API sent it (valid for minutes).
            let shown = try await TnxProcess.run(
                ["--output", "json", "-c", "show recording \(Sandbox.seededIDs(count: 4)[3])"], environment: env)
            #expect(shown.status == 0, "\(shown.stderr)")
            #expect(shown.stdout.contains("X-Amz-Signature"), "\(shown.stdout)")
        }
    }

    /// Every regular file under `directory`, however deep.
    static func filesBelow(_ directory: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var found: [String] = []
        while let name = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue {
                found.append(name)
            }
        }
        return found
    }

    @Test("a dry-run killed with kill -9 leaves no snapshot with phone numbers behind, in TMPDIR or tnx's state")
    func killedDryRunLeavesNothing() async throws {
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        // Slow enough that the dry-run is still reading recordings and sizes when it is killed.
        faults.media = .slow(.seconds(30))
        faults.latency = .milliseconds(500)
        try await SandboxFixture.with(seed: 40, faults: faults, scratch: scratch) { sandbox, env in
            let temporary = scratch.path + "/tmp"
            try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
            var env = env
            env["TMPDIR"] = temporary
            let script = "foreach id in recordings where created after 2000-01-01 { download $id to \(scratch.path)/archive; delete $id }"
            let running = TnxProcess.start(["--dry-run", "-c", script], environment: env)
            try await waitUntil { sandbox.statistics.mediaRequests >= 1 }
            #expect(sandbox.statistics.mediaRequests >= 1, "the dry-run reached its media requests")
            try await Task.sleep(for: .milliseconds(200))
            #expect(running.isRunning, "killed in the middle, not after the end")
            running.signal(SIGKILL)
            _ = try await running.finish(timeout: .seconds(30))
            #expect(sandbox.deletedIDs.isEmpty)
            #expect(Self.filesBelow(temporary).isEmpty, "\(Self.filesBelow(temporary))")
            #expect(Self.filesBelow(scratch.path + "/state").isEmpty, "\(Self.filesBelow(scratch.path + "/state"))")
            #expect(!FileManager.default.fileExists(atPath: scratch.path + "/archive"))
        }
    }

    @Test("a list page longer than the page size asked for is a server that lies: the purge deletes nothing and says why")
    func oversizedPage() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 600, faults: SandboxFaults(hostility: [.oversizedPage]), scratch: scratch) { sandbox, env in
            for method in ["single", "batch"] {
                let result = try await TnxProcess.run(
                    ["--yes", "--method", method, "-c", "foreach id in recordings where created after 2000-01-01 delete $id"], environment: env)
                #expect(result.status == 1, "\(result.stderr)")
                #expect(result.stderr.contains("251 recordings for a page of 250"), "\(result.stderr)")
                #expect(result.stderr.contains("nothing was deleted"), "\(result.stderr)")
                #expect(sandbox.deletedIDs.isEmpty)
            }
            // A count or a list says the same, rather than show a page the server padded.
            let listed = try await TnxProcess.run(["-c", "list recordings where created after 2000-01-01 limit 300"], environment: env)
            #expect(listed.status == 1, "\(listed.stderr)")
            #expect(listed.stderr.contains("for a page of"), "\(listed.stderr)")
        }
    }

    @Test("U+2028, U+2029 and NEL from a server are escaped like other line breaks, in text and in JSON", arguments: ["text", "json"])
    func lineSeparators(_ output: String) async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 5, faults: SandboxFaults(hostility: [.escapesInText]), scratch: scratch) { sandbox, env in
            let id = Sandbox.seededIDs(count: 1)[0]
            let result = try await TnxProcess.run(
                ["--output", output, "-c", "list recordings where created after 2000-01-01; show recording \(id)"], environment: env)
            #expect(result.status == 0, "\(result.stderr)")
            for separator in ["\u{2028}", "\u{2029}", "\u{85}"] {
                #expect(!result.stdout.unicodeScalars.contains(separator.unicodeScalars.first!), "\(result.stdout.debugDescription)")
                #expect(!result.stderr.unicodeScalars.contains(separator.unicodeScalars.first!))
            }
            if output == "json" {
                #expect(result.stdout.contains("\\u2028\\u2029\\u0085"), "\(result.stdout)")
                for line in result.stdout.split(separator: "\n") {
                    #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "\(line)")
                }
            } else {
                #expect(result.stdout.contains("\\u{2028}\\u{2029}\\u{0085}"), "\(result.stdout)")
            }
        }
    }

    @Test(
        "a startup file under a directory others may write to, anywhere up to HOME, is not run",
        arguments: [".config", ".config/tnx", "", ".config/tnx/profiles"])
    func writableParent(_ directory: String) async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 5, scratch: scratch) { sandbox, env in
            let initFile = try ConfigFiles.write(scratch, "init.tnx", "set output json\n")
            let profile = try ConfigFiles.write(scratch, "profiles/p.tnx", "set concurrency 2\n")
            let id = Sandbox.seededIDs(count: 1)[0]
            let place = directory.isEmpty ? scratch.path : scratch.path + "/" + directory
            // Group-writable only: anyone but the owner may change it.
            chmod(place, 0o775)
            defer { chmod(place, 0o755) }
            let arguments = directory.hasSuffix("profiles") ? ["--no-init", "--profile", "p", "-c", "delete \(id)"] : ["-c", "delete \(id)"]
            let result = try await TnxProcess.run(arguments, environment: env)
            #expect(result.status == 2, "\(result.stderr)")
            #expect(result.stderr.contains("refusing to run the"), "\(result.stderr)")
            #expect(result.stderr.contains("\(place): others may write to it (mode 775)"), "\(result.stderr)")
            #expect(sandbox.totalRequests == 0)
            chmod(place, 0o755)
            let trusted = try await TnxProcess.run(arguments, environment: env)
            #expect(trusted.status == 0, "\(trusted.stderr) \(initFile) \(profile)")
            #expect(sandbox.deletedIDs == [id])
        }
    }
}
