import Foundation
import Testing
import TnxSandbox

#if canImport(Glibc)
import Glibc
#endif

/// init.tnx and profiles, `api-key-command` and `--verbose`, against the built binary and the
/// sandbox: the key never printed anywhere, the command run once and only when a request
/// needs it, a broken startup file stopping everything before anything is sent.
@Suite("Startup files, profiles, api-key-command, --verbose", .serialized)
struct StartupAndProfileTests {
    @Test("a profile with api-key-command deletes in the sandbox; the key appears nowhere, not even under --verbose")
    func profileDeletes() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.withoutConnection(scratch: scratch) { sandbox, env in
            let command = try ConfigFiles.keyCommand(scratch, key: Sandbox.defaultAPIKey)
            try ConfigFiles.write(scratch, "init.tnx", "# defaults for every run\nset concurrency 4\n")
            try ConfigFiles.write(
                scratch, "profiles/sandbox.tnx",
                "set base-url \"\(sandbox.baseURL)\"\nset api-key-command \"\(command)\"\nset output json\n")
            let ids = Sandbox.seededIDs(count: 5)
            let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
            let result = try await TnxProcess.run(
                ["--profile", "sandbox", "--verbose", "--yes", "-c", "show settings; foreach id in \(file) delete $id"], environment: env)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(Set(sandbox.deletedIDs) == Set(ids))
            // One run of the command for six requests (the endpoint check, five deletes).
            #expect(ConfigFiles.keyCommandRuns(scratch) == 1)
            let journal = scratch.read("state/tnx/journal.jsonl") ?? ""
            #expect(journal.contains(ids[0]))
            for text in [result.stdout, result.stderr, journal] {
                #expect(!text.contains(Sandbox.defaultAPIKey))
                #expect(!text.contains("sandboxsecret"))
            }
            // --verbose: a line per exchange, the key as Bearer ***, the API's request id.
            let exchanges = result.stderr.split(separator: "\n").filter { $0.hasPrefix("tnx: DELETE ") }
            #expect(exchanges.count == 5, "\(result.stderr)")
            let first = try #require(exchanges.first)
            #expect(first.contains(" → 200 in "), "\(first)")
            #expect(first.contains("· attempt 1 · Authorization: Bearer *** · request id sandbox-req-"), "\(first)")
            #expect(result.stderr.contains("unlocking the vault"))
            // The settings name the profile, where the key and the URL came from, and what
            // init.tnx and the profile set.
            let settings = try #require(result.stdout.split(separator: "\n").first)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(settings.utf8)) as? [String: Any])
            let values = try #require(json["settings"] as? [String: Any])
            #expect(values["profile"] as? String == "sandbox")
            #expect(values["concurrency"] as? Int == 4)
            #expect(values["base-url"] as? String == sandbox.baseURL)
            #expect((values["api-key"] as? String)?.hasPrefix("set (api-key-command of profile sandbox (") == true, "\(values)")
        }
    }

    @Test("api-key-command runs only when a request needs the key: never for --check, help or a dry-run by id")
    func keyCommandIsLazy() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.withoutConnection(scratch: scratch) { sandbox, env in
            let command = try ConfigFiles.keyCommand(scratch, key: Sandbox.defaultAPIKey)
            try ConfigFiles.write(scratch, "profiles/p.tnx", "set base-url \"\(sandbox.baseURL)\"\nset api-key-command \"\(command)\"\n")
            var withProfile = env
            withProfile["TNX_PROFILE"] = "p"
            let id = Sandbox.seededIDs(count: 1)[0]
            let script = try scratch.write("one.tnx", "delete \(id)\n")
            for arguments in [["--check", script], ["-c", "help"], ["--dry-run", script]] {
                let result = try await TnxProcess.run(arguments, environment: withProfile)
                #expect(result.status == 0, "\(arguments): \(result.stderr)")
            }
            #expect(ConfigFiles.keyCommandRuns(scratch) == 0)
            #expect(sandbox.deletedIDs.isEmpty)
            let real = try await TnxProcess.run([script], environment: withProfile)
            #expect(real.status == 0, "\(real.stderr)")
            #expect(ConfigFiles.keyCommandRuns(scratch) == 1)
            #expect(sandbox.deletedIDs == [id])
        }
    }

    @Test(
        "a failing api-key-command is a clear error with exit 3, and nothing is sent",
        arguments: [
            (body: "exit 7", said: "exited with status 7"),
            (body: "true", said: "printed no key on its first line"),
            (body: "echo 'key with spaces'", said: "printed a first line with a space at position 4"),
        ])
    func keyCommandFails(_ failing: (body: String, said: String)) async throws {
        let scratch = try Scratch()
        try await SandboxFixture.withoutConnection(scratch: scratch) { sandbox, env in
            try ConfigFiles.write(scratch, "profiles/broken.tnx", "set base-url \"\(sandbox.baseURL)\"\nset api-key-command \"\(failing.body)\"\n")
            let ids = Sandbox.seededIDs(count: 3)
            let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
            let result = try await TnxProcess.run(["--profile", "broken", "--yes", "-c", "foreach id in \(file) delete $id"], environment: env)
            #expect(result.status == 3, "\(result.stderr)")
            #expect(result.stderr.contains("api-key-command of profile broken ("), "\(result.stderr)")
            #expect(result.stderr.contains(failing.said), "\(result.stderr)")
            #expect(result.stderr.contains("nothing was sent"))
            #expect(!result.stderr.contains("key with"))
            #expect(sandbox.totalRequests == 0)
            #expect(sandbox.deletedIDs.isEmpty)
        }
    }

    @Test("the key that wins: --api-key, then the profile, then TELNYX_API_KEY, then init.tnx")
    func keyPrecedence() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.withoutConnection(scratch: scratch) { sandbox, env in
            let command = try ConfigFiles.keyCommand(scratch, key: Sandbox.defaultAPIKey)
            var wrongEnvironmentKey = env
            wrongEnvironmentKey["TELNYX_API_KEY"] = "KEYwrong"
            wrongEnvironmentKey["TELNYX_BASE_URL"] = sandbox.baseURL
            let ids = Sandbox.seededIDs(count: 3)
            // A profile wins over the environment: its key deletes.
            try ConfigFiles.write(scratch, "profiles/p.tnx", "set base-url \"\(sandbox.baseURL)\"\nset api-key-command \"\(command)\"\n")
            let viaProfile = try await TnxProcess.run(["--profile", "p", "-c", "delete \(ids[0])"], environment: wrongEnvironmentKey)
            #expect(viaProfile.status == 0, "\(viaProfile.stderr)")
            #expect(viaProfile.stderr.contains("TELNYX_API_KEY is set but not used: profile p names its own base URL or key"))
            #expect(ConfigFiles.keyCommandRuns(scratch) == 1)
            // init.tnx is the default only: TELNYX_API_KEY wins over it, and its command never runs.
            try ConfigFiles.write(scratch, "init.tnx", "set api-key-command \"\(command)\"\n")
            var rightEnvironmentKey = wrongEnvironmentKey
            rightEnvironmentKey["TELNYX_API_KEY"] = Sandbox.defaultAPIKey
            let viaEnvironment = try await TnxProcess.run(["-c", "delete \(ids[1])"], environment: rightEnvironmentKey)
            #expect(viaEnvironment.status == 0, "\(viaEnvironment.stderr)")
            #expect(ConfigFiles.keyCommandRuns(scratch) == 1)
            // Without the variable, init.tnx's command gives the key.
            var noKey = rightEnvironmentKey
            noKey["TELNYX_API_KEY"] = nil
            let viaInit = try await TnxProcess.run(["-c", "delete \(ids[2])"], environment: noKey)
            #expect(viaInit.status == 0, "\(viaInit.stderr)")
            #expect(ConfigFiles.keyCommandRuns(scratch) == 2)
            // --api-key wins over everything: a wrong one is refused (401) and no command runs.
            let viaOption = try await TnxProcess.run(["--profile", "p", "--api-key", "KEYwrong", "-c", "delete \(ids[0])"], environment: noKey)
            #expect(viaOption.status == 3)
            #expect(ConfigFiles.keyCommandRuns(scratch) == 2)
            #expect(Set(sandbox.deletedIDs) == Set(ids))
        }
    }

    @Test("a broken startup file stops everything before anything is sent, with file:line:col")
    func brokenStartupFile() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 20, scratch: scratch) { sandbox, env in
            let id = Sandbox.seededIDs(count: 1)[0]
            let initFile = try ConfigFiles.write(scratch, "init.tnx", "set output json\ndelete \(id)\nset confirm off\n")
            let result = try await TnxProcess.run(["--yes", "-c", "delete \(id)"], environment: env)
            #expect(result.status == 2)
            #expect(result.stderr.contains("\(initFile):2:1: error: a startup file holds only 'set' statements"), "\(result.stderr)")
            #expect(result.stderr.contains("\(initFile):3:1: error: 'set confirm off' in a startup file"), "\(result.stderr)")
            #expect(result.stderr.contains("fix them, or run with --no-init"))
            #expect(sandbox.totalRequests == 0)
            // --no-init skips it.
            let skipped = try await TnxProcess.run(["--no-init", "-c", "delete \(id)"], environment: env)
            #expect(skipped.status == 0, "\(skipped.stderr)")
            #expect(sandbox.deletedIDs == [id])
            // A profile that does not exist: the error lists the ones that do.
            try ConfigFiles.write(scratch, "profiles/prod.tnx", "set output text\n")
            let missing = try await TnxProcess.run(["--no-init", "--profile", "staging", "-c", "help"], environment: env)
            #expect(missing.status == 2)
            #expect(missing.stderr.contains("no profile 'staging' (from --profile)"), "\(missing.stderr)")
            #expect(missing.stderr.contains("there are: prod"))
            // A base URL that cannot work is named with its file and line, before anything is sent.
            let insecure = try ConfigFiles.write(scratch, "profiles/insecure.tnx", "# over the network in clear\nset base-url \"http://api.example.com/v2\"\n")
            let refused = try await TnxProcess.run(["--no-init", "--profile", "insecure", "-c", "delete \(id)"], environment: env)
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("\(insecure):2: refusing plain http:// to api.example.com"), "\(refused.stderr)")
            let badName = try await TnxProcess.run(["--no-init", "--profile", "../x", "-c", "help"], environment: env)
            #expect(badName.status == 2)
            #expect(badName.stderr.contains("is not a profile name"))
        }
    }

    @Test("the shell's banner names the active profile")
    func bannerNamesProfile() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 20, scratch: scratch) { sandbox, _ in
            try ConfigFiles.write(scratch, "profiles/staging.tnx", "set output text\n")
            let pty = try ShellSession.start(
                ["--profile", "staging"], scratch: scratch,
                environment: ["TELNYX_API_KEY": Sandbox.defaultAPIKey, "TELNYX_BASE_URL": sandbox.baseURL])
            let banner = try await pty.waitFor(ShellSession.prompt)
            #expect(banner.contains("profile staging · API key set (TELNYX_API_KEY)"), "\(banner)")
            pty.sendLine("show settings")
            let settings = try await pty.waitFor(ShellSession.prompt)
            #expect(settings.contains("profile") && settings.contains("staging"), "\(settings)")
            try await ShellSession.leave(pty)
        }
    }

    @Test("a failed delete's journal line carries the API's request id")
    func requestIDInJournal() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 20, scratch: scratch) { sandbox, env in
            sandbox.script([.apiError(status: 422, code: "10015", title: "Bad request")], for: "refused-one")
            let result = try await TnxProcess.run(["-c", "delete refused-one"], environment: env)
            #expect(result.status == 1)
            let line = try #require(JSONLines.journal(scratch).last)
            #expect(line["outcome"] as? String == "failed")
            #expect((line["request_id"] as? String)?.hasPrefix("sandbox-req-") == true, "\(line)")
        }
    }

    @Test("--verbose shows no part of a key that a server echoes in its headers, even cut short")
    func verboseRedactsEchoedKey() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 20, scratch: scratch) { sandbox, env in
            let key = Sandbox.defaultAPIKey
            sandbox.script(
                [.apiError(
                    status: 422, code: "10015", title: "Bad request",
                    headers: [
                        "x-request-id": String(repeating: "p", count: 70) + key, "x-ratelimit-limit": key + "-and-more",
                        "x-ratelimit-remaining": "0" + key,
                    ])], for: "echoing-one")
            let result = try await TnxProcess.run(["-v", "-c", "delete echoing-one"], environment: env)
            #expect(result.status == 1)
            #expect(result.stderr.contains("tnx: DELETE "), "\(result.stderr)")
            let journal = scratch.read("state/tnx/journal.jsonl") ?? ""
            for text in [result.stdout, result.stderr, journal] {
                // Any 12 characters of the key in a row.
                for start in stride(from: 0, through: key.count - 12, by: 4) {
                    let piece = String(key.dropFirst(start).prefix(12))
                    #expect(!text.contains(piece), "\(piece) in \(text)")
                }
            }
        }
    }

    @Test("an api-key-command that hangs is stopped at its deadline; one that leaves a child holding its output is not waited for")
    func keyCommandDeadline() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.withoutConnection(scratch: scratch) { sandbox, env in
            let id = Sandbox.seededIDs(count: 2)
            try ConfigFiles.write(scratch, "profiles/hangs.tnx", "set base-url \"\(sandbox.baseURL)\"\nset api-key-command \"sleep 60\"\n")
            let hung = try await TnxProcess.run(
                ["--profile", "hangs", "--key-command-timeout-ms", "500", "-c", "delete \(id[0])"], environment: env, timeout: .seconds(30))
            #expect(hung.status == 3, "\(hung.stderr)")
            #expect(hung.stderr.contains("printed no key within"), "\(hung.stderr)")
            #expect(sandbox.totalRequests == 0)
            try ConfigFiles.write(
                scratch, "profiles/forks.tnx",
                "set base-url \"\(sandbox.baseURL)\"\nset api-key-command \"sleep 60 2>/dev/null & echo \(Sandbox.defaultAPIKey)\"\n")
            let forked = try await TnxProcess.run(["--profile", "forks", "-c", "delete \(id[1])"], environment: env, timeout: .seconds(30))
            #expect(forked.status == 0, "\(forked.stderr)")
            #expect(sandbox.deletedIDs == [id[1]])
        }
    }

    @Test(
        "an api-key-command may print more after its key, much more, or leave a child holding its output: the first line is the key",
        arguments: [
            "echo KEY; sleep 0.3; echo more",
            "echo KEY; sleep 0.3; head -c 300000 /dev/zero",
            // (Their stderr is tnx's: the test would wait for them to close it.)
            "echo KEY; sleep 100 2>/dev/null &",
            "echo KEY; (sleep 0.3; echo later; sleep 100) 2>/dev/null &",
        ])
    func keyCommandPrintsMore(_ body: String) async throws {
        let scratch = try Scratch()
        try await SandboxFixture.withoutConnection(scratch: scratch) { sandbox, env in
            let id = Sandbox.seededIDs(count: 1)[0]
            let command = body.replacing("KEY", with: Sandbox.defaultAPIKey)
            try ConfigFiles.write(scratch, "profiles/p.tnx", "set base-url \"\(sandbox.baseURL)\"\nset api-key-command \"\(command)\"\n")
            // A minute for the command: the test gives up after 30 s, so tnx must not wait for
            // the child that keeps the pipe open.
            let result = try await TnxProcess.run(
                ["--profile", "p", "--key-command-timeout-ms", "60000", "-c", "delete \(id)"], environment: env, timeout: .seconds(30))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(sandbox.deletedIDs == [id])
        }
    }

    @Test("SIGTERM while api-key-command runs: the command is stopped, tnx exits 143, nothing sent")
    func keyCommandStoppedBySignal() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.withoutConnection(scratch: scratch) { sandbox, env in
            let pidFile = scratch.path + "/command.pid"
            try ConfigFiles.write(
                scratch, "profiles/slow.tnx", "set base-url \"\(sandbox.baseURL)\"\nset api-key-command \"echo $$ > \(pidFile); exec sleep 60\"\n")
            let running = TnxProcess.start(["--profile", "slow", "-c", "delete \(Sandbox.seededIDs(count: 1)[0])"], environment: env)
            var pid: Int32?
            for _ in 0..<200 where pid == nil {
                try await Task.sleep(for: .milliseconds(50))
                pid = scratch.read("command.pid").flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
            let commandPID = try #require(pid)
            running.signal(SIGTERM)
            let result = try await running.finish(timeout: .seconds(20))
            #expect(result.status == 143, "\(result.stderr)")
            #expect(sandbox.totalRequests == 0)
            try await Task.sleep(for: .milliseconds(200))
            #expect(kill(commandPID, 0) != 0, "the key command is still running")
        }
    }

    @Test("a profile that names its own base URL or key is one account: the environment's key and URL are not used with it")
    func profileOwnsConnection() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 20, scratch: scratch) { sandbox, env in
            // The environment holds a working key; the profile names only the URL.
            try ConfigFiles.write(scratch, "profiles/urlonly.tnx", "set base-url \"\(sandbox.baseURL)\"\n")
            let result = try await TnxProcess.run(["--profile", "urlonly", "-c", "delete \(Sandbox.seededIDs(count: 1)[0])"], environment: env)
            #expect(result.status == 3, "\(result.stderr)")
            #expect(result.stderr.contains("TELNYX_API_KEY is set but not used: profile urlonly names its own base URL or key"), "\(result.stderr)")
            #expect(sandbox.totalRequests == 0)
        }
    }

    @Test("startup files that others may write are refused: they can set the command that gives the key")
    func untrustedStartupFile() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 20, scratch: scratch) { sandbox, env in
            let initFile = try ConfigFiles.write(scratch, "init.tnx", "set output json\n")
            chmod(initFile, 0o666)
            let result = try await TnxProcess.run(["-c", "help"], environment: env)
            #expect(result.status == 2)
            #expect(result.stderr.contains("refusing to run the startup file \(initFile): others may write to it (mode 666)"), "\(result.stderr)")
            chmod(initFile, 0o644)
            let profiles = scratch.path + "/.config/tnx/profiles"
            try ConfigFiles.write(scratch, "profiles/p.tnx", "set output json\n")
            chmod(profiles, 0o777)
            let profile = try await TnxProcess.run(["--profile", "p", "-c", "help"], environment: env)
            #expect(profile.status == 2)
            #expect(profile.stderr.contains("refusing to run the profile 'p': \(profiles): others may write to it"), "\(profile.stderr)")
            chmod(profiles, 0o755)
            let fine = try await TnxProcess.run(["--profile", "p", "-c", "help"], environment: env)
            #expect(fine.status == 0, "\(fine.stderr)")
        }
    }

    @Test("--verbose shows a media link without its signature, and that it carried no Authorization")
    func verboseMediaLink() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 20, scratch: scratch) { sandbox, env in
            let id = Sandbox.seededIDs(count: 1)[0]
            let result = try await TnxProcess.run(["-v", "-c", "download \(id) to \(scratch.path)/copies"], environment: env)
            #expect(result.status == 0, "\(result.stderr)")
            let media = try #require(result.stderr.split(separator: "\n").first { $0.hasPrefix("tnx: GET ") && $0.contains("/media/") })
            #expect(media.contains("\(id).mp3?… → 200 in "), "\(media)")
            #expect(media.contains("· no Authorization (a media link)"), "\(media)")
            #expect(!result.stderr.contains("Signature"), "\(result.stderr)")
            #expect(!result.stderr.contains("X-Amz"), "\(result.stderr)")
        }
    }

    @Test("in the shell a failed api-key-command is not final: the next statement runs it again")
    func shellRetriesKeyCommand() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.withoutConnection(scratch: scratch) { sandbox, _ in
            // Fails the first time (a mistyped passphrase), gives the key the second.
            let command = try scratch.write(
                "flaky.sh",
                "#!/bin/sh\nn=$(cat \(scratch.path)/tries 2>/dev/null || echo 0)\necho $((n+1)) > \(scratch.path)/tries\n[ \"$n\" -ge 1 ] || exit 1\necho \(Sandbox.defaultAPIKey)\n")
            chmod(command, 0o755)
            try ConfigFiles.write(scratch, "profiles/p.tnx", "set base-url \"\(sandbox.baseURL)\"\nset api-key-command \"\(command)\"\n")
            let ids = Sandbox.seededIDs(count: 2)
            let pty = try ShellSession.start(["--profile", "p"], scratch: scratch)
            try await pty.waitFor(ShellSession.prompt)
            pty.sendLine("delete \(ids[0])")
            let first = try await pty.waitFor(ShellSession.prompt)
            #expect(first.contains("exited with status 1"), "\(first)")
            pty.sendLine("delete \(ids[1])")
            let second = try await pty.waitFor(ShellSession.prompt)
            #expect(second.contains("deleted"), "\(second)")
            #expect(!second.contains(Sandbox.defaultAPIKey))
            #expect(sandbox.deletedIDs == [ids[1]])
            try await ShellSession.leave(pty)
        }
    }
}
