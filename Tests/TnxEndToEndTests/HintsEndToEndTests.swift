import Foundation
import Testing
import TnxSandbox

/// What a refused key, a missing key, or a base URL that cannot be reached or is not the API
/// tells the user to check, through the built binary: the place the key or the URL really came
/// from (`--api-key`, `TELNYX_API_KEY`, a profile's `api-key-command` or `base-url`, `set
/// api-key`), never another, and never the key.
@Suite("Hints name the real source", .serialized)
struct HintsEndToEndTests {
    static let wrongKey = "KEYwrong-from-the-vault-0123456789"

    /// Everything a run left for a person to read: its output and its journal.
    static func everything(_ result: TnxProcess.Result, _ scratch: Scratch) -> String {
        result.stdout + result.stderr + (scratch.read("state/tnx/journal.jsonl") ?? "")
    }

    @Test("a profile's api-key-command that prints a wrong key: the 401 names the profile's api-key-command, not TELNYX_API_KEY")
    func profileKeyCommand() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.withoutConnection(scratch: scratch) { sandbox, env in
            let command = try ConfigFiles.keyCommand(scratch, key: Self.wrongKey)
            let profile = try ConfigFiles.write(scratch, "profiles/prod.tnx", "set base-url \"\(sandbox.baseURL)\"\nset api-key-command \"\(command)\"\n")
            let ids = Sandbox.seededIDs(count: 3)
            let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
            let check = "check the profile's api-key-command (profile prod, \(profile):2)"
            for script in ["count recordings", "delete \(ids[0])", "foreach id in \(file) delete $id"] {
                let result = try await TnxProcess.run(["--profile", "prod", "--yes", "-c", script], environment: env)
                #expect(result.status == 3, "\(script): \(result.stderr)")
                #expect(result.stderr.contains("the API key was refused; " + check), "\(script): \(result.stderr)")
                #expect(!result.stderr.contains("TELNYX_API_KEY"), "\(script): \(result.stderr)")
                #expect(!result.stderr.contains("--api-key"), "\(script): \(result.stderr)")
                // The closing line, what a cron mail ends with, says the same.
                let last = result.stderr.split(separator: "\n").last.map(String.init) ?? ""
                #expect(last.hasPrefix("tnx: exit 3: ") && last.contains(check), "\(script): \(last)")
                #expect(!Self.everything(result, scratch).contains(Self.wrongKey), "\(script): the key was shown")
            }
            #expect(sandbox.deletedIDs.isEmpty)
        }
    }

    @Test("--api-key wrong: the 401 names --api-key; TELNYX_API_KEY wrong: it names TELNYX_API_KEY")
    func optionAndVariable() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 20, scratch: scratch) { sandbox, env in
            var noKey = env
            noKey["TELNYX_API_KEY"] = nil
            let id = Sandbox.seededIDs(count: 1)[0]
            let option = try await TnxProcess.run(["--api-key", Self.wrongKey, "-c", "delete \(id)"], environment: noKey)
            #expect(option.status == 3)
            #expect(option.stderr.contains("the API key was refused; check --api-key"), "\(option.stderr)")
            #expect(!option.stderr.contains("TELNYX_API_KEY"), "\(option.stderr)")
            #expect(!Self.everything(option, scratch).contains(Self.wrongKey))

            var wrong = env
            wrong["TELNYX_API_KEY"] = Self.wrongKey
            let variable = try await TnxProcess.run(["-c", "count recordings"], environment: wrong)
            #expect(variable.status == 3)
            #expect(variable.stderr.contains("the API key was refused; check TELNYX_API_KEY"), "\(variable.stderr)")
            #expect(!variable.stderr.contains("--api-key"), "\(variable.stderr)")
            #expect(!Self.everything(variable, scratch).contains(Self.wrongKey))
            #expect(sandbox.deletedIDs.isEmpty)
        }
    }

    @Test("--base-url with nothing listening: the message names --base-url, not TELNYX_BASE_URL, and the run ends on it")
    func unreachableOption() async throws {
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path)
        let result = try await TnxProcess.run(
            ["--base-url", "http://127.0.0.1:1/v2", "--api-key", Self.wrongKey, "-c", "delete 3fa85f64-5717-4562-b3fc-2c963f66afa6"],
            environment: env)
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("could not reach 127.0.0.1:1 (connection refused): check --base-url (http://127.0.0.1:1/v2) and the network"),
            "\(result.stderr)")
        #expect(result.stderr.contains("nothing was deleted"))
        #expect(!result.stderr.contains("TELNYX_BASE_URL"), "\(result.stderr)")
        let last = result.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("tnx: exit 1: a statement failed (said above)"), "not the journal's fault: \(last)")
        #expect(!Self.everything(result, scratch).contains(Self.wrongKey))
    }

    @Test("a profile's base-url with nothing listening: the message names the profile's base-url")
    func unreachableProfile() async throws {
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path)
        let profile = try ConfigFiles.write(
            scratch, "profiles/down.tnx", "set base-url \"http://127.0.0.1:1/v2\"\nset api-key-command \"echo \(Self.wrongKey)\"\n")
        let result = try await TnxProcess.run(["--profile", "down", "-c", "count recordings"], environment: env)
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("check the profile's base-url (profile down, \(profile):1: http://127.0.0.1:1/v2) and the network"),
            "\(result.stderr)")
        #expect(!result.stderr.contains("TELNYX_BASE_URL") && !result.stderr.contains("--base-url"), "\(result.stderr)")
        #expect(!Self.everything(result, scratch).contains(Self.wrongKey))
    }

    @Test("a --base-url that answers but is not the API: named as --base-url, nothing deleted")
    func wrongEndpointOption() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 20, scratch: scratch) { sandbox, env in
            var bare = env
            bare["TELNYX_BASE_URL"] = nil
            let wrong = String(sandbox.baseURL.dropLast(3))
            let result = try await TnxProcess.run(["--base-url", wrong, "-c", "delete \(Sandbox.seededIDs(count: 1)[0])"], environment: bare)
            #expect(result.status == 2)
            #expect(result.stderr.contains("--base-url (\(wrong)) does not point at the Telnyx recordings API"), "\(result.stderr)")
            #expect(!result.stderr.contains("TELNYX_BASE_URL"), "\(result.stderr)")
            #expect(sandbox.deletedIDs.isEmpty)
        }
    }

    @Test("no key at all: the message names TELNYX_API_KEY, --api-key and profiles; show settings too")
    func noKey() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.withoutConnection(scratch: scratch) { sandbox, env in
            var withURL = env
            withURL["TELNYX_BASE_URL"] = sandbox.baseURL
            let result = try await TnxProcess.run(["-c", "delete \(Sandbox.seededIDs(count: 1)[0])"], environment: withURL)
            #expect(result.status == 3)
            for word in ["TELNYX_API_KEY", "--api-key", "api-key-command", "tnx --profile NAME"] {
                #expect(result.stderr.contains(word), "\(word): \(result.stderr)")
            }
            #expect(sandbox.totalRequests == 0)
            let settings = try await TnxProcess.run(["-c", "show settings"], environment: withURL)
            let row = settings.stdout.split(separator: "\n").first { $0.hasPrefix("api-key") }.map(String.init) ?? ""
            #expect(row.contains("not set") && row.contains("TELNYX_API_KEY") && row.contains("--api-key") && row.contains("--profile"), "\(row)")
        }
    }

    @Test("README.md and docs/language.md promise the same, word for word")
    func docsAgree() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        func flat(_ path: String) throws -> String {
            try String(contentsOfFile: root + "/" + path, encoding: .utf8).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        let promise = "So does every message about them: a key the API refuses (401) is said with what to check"
        let readme = try flat("README.md")
        let language = try flat("docs/language.md")
        let start = try #require(readme.range(of: promise))
        let end = try #require(readme[start.lowerBound...].range(of: "None of them ever shows the key."))
        #expect(language.contains(String(readme[start.lowerBound..<end.upperBound])))
    }

    @Test("in the shell: no key names set api-key and profiles; a wrong key typed there is said as entered")
    func shell() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.withoutConnection(scratch: scratch) { sandbox, _ in
            let pty = try ShellSession.start([], scratch: scratch, environment: ["TELNYX_BASE_URL": sandbox.baseURL])
            try await pty.waitFor(ShellSession.prompt)
            let none = ShellSession.printed(try await ShellSession.enter("count recordings", on: pty))
            #expect(none.contains("type 'set api-key'") && none.contains("tnx --profile NAME"), "\(none)")
            pty.sendLine("set api-key")
            try await pty.waitFor("API key", timeout: .seconds(10))
            pty.sendLine(Self.wrongKey)
            try await pty.waitFor(ShellSession.prompt, timeout: .seconds(10))
            let refused = ShellSession.printed(try await ShellSession.enter("count recordings", on: pty))
            #expect(refused.contains("the API key was refused; check the key entered with 'set api-key'"), "\(refused)")
            #expect(!refused.contains("TELNYX_API_KEY"), "\(refused)")
            #expect(!PseudoTerminal.stripANSI(pty.output).contains(Self.wrongKey), "the key was shown")
            try await ShellSession.leave(pty)
            #expect(sandbox.deletedIDs.isEmpty)
        }
    }
}
