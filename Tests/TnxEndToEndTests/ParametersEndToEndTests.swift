import Foundation
import Testing
import TnxSandbox

/// `tnx -D NAME=VALUE` through the built binary: a parameter means what the same text written
/// in the script means, is checked there before anything is sent, and a malformed or unused
/// one stops the run before it starts.
@Suite("Script parameters end to end", .serialized)
struct ParametersEndToEndTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    /// The first of the sandbox's 25 calling numbers (README: `where from "+12125551200"`).
    static let caller = "+12125551200"

    /// The ids of the `would_delete` lines of a JSON dry-run.
    static func wouldDelete(_ stdout: String) -> [String] {
        JSONLines.outcomes(stdout).filter { $0["outcome"] as? String == "would_delete" }.compactMap { $0["id"] as? String }
    }

    @Test("-D caller=… in a query's dry-run matches exactly what the same value written out matches")
    func queryValueLikeTheLiteral() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 300, scratch: scratch) { sandbox, env in
            let given = try await TnxProcess.run(
                ["-D", "caller=\(Self.caller)", "--dry-run", "-o", "json", "-c", "foreach id in recordings where from $caller delete $id"],
                environment: env)
            #expect(given.status == 0, "\(given.stderr)")
            let written = try await TnxProcess.run(
                ["--dry-run", "-o", "json", "-c", "foreach id in recordings where from \"\(Self.caller)\" delete $id"], environment: env)
            #expect(written.status == 0, "\(written.stderr)")
            let ids = Self.wouldDelete(given.stdout)
            #expect(!ids.isEmpty)
            #expect(ids == Self.wouldDelete(written.stdout))
            #expect(sandbox.deletedIDs.isEmpty)
            // The request asked the API for that caller, as the literal does.
            #expect(sandbox.seenPaths.contains { $0.contains("filter%5Bfrom%5D=%2B12125551200") || $0.contains("filter[from]=+12125551200") })
            // --set is the same option.
            let long = try await TnxProcess.run(
                ["--set", "caller=\(Self.caller)", "--dry-run", "-o", "json", "-c", "foreach id in recordings where from $caller delete $id"],
                environment: env)
            #expect(Self.wouldDelete(long.stdout) == ids, "\(long.stderr)")
        }
    }

    @Test("-D id=… deletes that recording, and only it")
    func idParameterDeletes() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 20, scratch: scratch) { sandbox, env in
            let id = Sandbox.seededIDs(count: 3)[1]
            let result = try await TnxProcess.run(["-D", "id_param=\(id)", "-c", "delete $id_param"], environment: env)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(sandbox.deletedIDs == [id])
            #expect(result.stdout.hasPrefix("deleted ") && result.stdout.contains(id), "\(result.stdout)")
        }
    }

    @Test("an invalid recording id given with -D is refused with its place in the script, and nothing is sent")
    func badIDRefusedWithItsPlace() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 20, scratch: scratch) { sandbox, env in
            let result = try await TnxProcess.run(["-D", "id_param=../../v2/numbers", "-c", "delete $id_param"], environment: env)
            #expect(result.status == 2)
            #expect(result.stderr.contains("<command line>:1:8: error: "), "\(result.stderr)")
            #expect(result.stderr.contains("delete $id_param\n       ^~~~~~~~~"), "\(result.stderr)")
            #expect(result.stderr.contains("nothing was run or sent"))
            #expect(sandbox.totalRequests == 0)
            #expect(result.stdout.isEmpty)
        }
    }

    @Test("a parameter is one value, never more script")
    func noInjection() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 20, scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 2)
            let result = try await TnxProcess.run(["--yes", "-D", "id=\(ids[0]); delete \(ids[1])", "-c", "delete $id"], environment: env)
            #expect(result.status == 2, "\(result.stdout)")
            #expect(result.stderr.contains("<command line>:1:8: error: "), "\(result.stderr)")
            #expect(sandbox.totalRequests == 0)
            #expect(sandbox.deletedIDs.isEmpty)
        }
    }

    @Test("the language reference's example: a bad time given with -D points at $cutoff in the script file")
    func badTimeInAScriptFile() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 500, scratch: scratch) { sandbox, env in
            let script = try scratch.write(
                "erase.tnx",
                "# erase.tnx: one caller's recordings, up to a date\nforeach id in recordings where from $caller and created before $cutoff delete $id\n")
            let result = try await TnxProcess.run(["--yes", "-D", "caller=\(Self.caller)", "-D", "cutoff=yesterday", script], environment: env)
            #expect(result.status == 2)
            #expect(result.stderr.contains("erase.tnx:2:64: error: 'yesterday' is not a time: "), "\(result.stderr)")
            #expect(sandbox.totalRequests == 0)
            // The same values checked by --check, and a good cutoff dry-runs.
            let check = try await TnxProcess.run(["--check", "-D", "caller=\(Self.caller)", "-D", "cutoff=2025-01-01", script], environment: env)
            #expect(check.status == 0, "\(check.stderr)")
            #expect(check.stdout.contains("erase.tnx: ok (1 bulk delete of every recording matching the query"), "\(check.stdout)")
            let dry = try await TnxProcess.run(["--dry-run", "-D", "caller=\(Self.caller)", "-D", "cutoff=1d", script], environment: env)
            #expect(dry.status == 0, "\(dry.stderr)")
            #expect(dry.stdout.contains("would delete "))
            #expect(sandbox.deletedIDs.isEmpty)
        }
    }

    @Test("a relative id file given with -D is read from the current directory, not the script's")
    func relativePathFromTheCurrentDirectory() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 20, scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 4)
            try FileManager.default.createDirectory(atPath: scratch.path + "/work/scripts", withIntermediateDirectories: true)
            try scratch.write("work/ids.txt", ids[0] + "\n")
            // A decoy beside the script: it must not be the one read.
            try scratch.write("work/scripts/ids.txt", ids[2] + "\n" + ids[3] + "\n")
            try scratch.write("work/scripts/erase.tnx", "foreach id in $ids delete $id\n")
            let inWork = ["/bin/sh", "-c", "cd \"\(scratch.path)/work\" && exec \"$0\" \"$@\""]
            let run = try await TnxProcess.start(["-D", "ids=ids.txt", "scripts/erase.tnx"], environment: env, launcher: inWork)
                .finish(timeout: .seconds(60))
            #expect(run.status == 0, "\(run.stderr)")
            #expect(sandbox.deletedIDs == [ids[0]])
            // A missing one is said with the absolute path tried, at $ids, before anything is sent.
            sandbox.resetCounters()
            let missing = try await TnxProcess.start(["-D", "ids=gone.txt", "scripts/erase.tnx"], environment: env, launcher: inWork)
                .finish(timeout: .seconds(60))
            #expect(missing.status == 2)
            #expect(missing.stderr.contains("erase.tnx:1:15: error: cannot read id file '\(scratch.path)/work/gone.txt'"), "\(missing.stderr)")
            #expect(sandbox.totalRequests == 0)
        }
    }

    @Test("a loop variable named like a parameter is refused before anything runs")
    func shadowing() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 20, scratch: scratch) { sandbox, env in
            let result = try await TnxProcess.run(
                ["--yes", "-D", "id=x", "-c", "foreach id in recordings where from \"\(Self.caller)\" delete $id"], environment: env)
            #expect(result.status == 2)
            #expect(
                result.stderr.contains(
                    "<command line>:1:9: error: loop variable 'id' has the name of the parameter given with -D id=…, so $id would mean two things; choose another name"),
                "\(result.stderr)")
            #expect(sandbox.totalRequests == 0)
        }
    }

    @Test("an unknown $name says how to give it")
    func unknownSaysHow() async throws {
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path)
        let result = try await TnxProcess.run(["-c", "count recordings where from $caller"], environment: env)
        #expect(result.status == 2)
        #expect(result.stderr.contains("unknown variable '$caller'; no foreach binds a variable here; to give it a value, run tnx -D caller=VALUE"), "\(result.stderr)")
    }

    @Test("a malformed -D is refused before anything is read or sent", arguments: [
        (["-D", "caller"], "-D needs NAME=VALUE, and this one has no '='"),
        (["-D", "1caller=+1"], "-D \"1caller\"=…: not a parameter name; a name is a letter or '_' followed by letters, digits or '_'"),
        (["-D", "my-caller=+1"], "not a parameter name"),
        (["-D", "=+1"], "the name before '=' is missing"),
        (["-D", "caller=+1\u{1B}[2J"], "-D caller=…: the value has a control character (U+001B) at position 3"),
        (["-D", "caller=a\nb"], "(U+000A)"),
        (["-D", "caller=+1", "--set", "caller=+2"], "-D caller is given twice; give each parameter once"),
    ])
    func malformed(_ arguments: [String], _ message: String) async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 20, scratch: scratch) { sandbox, env in
            let result = try await TnxProcess.run(
                ["--yes"] + arguments + ["-c", "foreach id in recordings where from $caller delete $id"], environment: env)
            #expect(result.status == 2)
            #expect(result.stderr.contains(message), "\(result.stderr)")
            #expect(!result.stderr.contains("\u{1B}"), "a control character reached the terminal")
            #expect(result.stdout.isEmpty)
            #expect(sandbox.totalRequests == 0)
        }
    }

    @Test("a parameter that holds the API key is refused before anything runs, and the key is not shown")
    func keyAsAParameter() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 20, scratch: scratch) { sandbox, env in
            for arguments in [["-D", "who=\(Sandbox.defaultAPIKey)"], ["--api-key", "KEYgiven0123456789", "-D", "who=xKEYgiven0123456789x"]] {
                var environment = env
                if arguments.contains("--api-key") { environment["TELNYX_API_KEY"] = nil }
                let result = try await TnxProcess.run(arguments + ["-c", "count recordings where from $who"], environment: environment)
                #expect(result.status == 2)
                #expect(result.stderr.contains("-D who=…: the value holds the API key"), "\(result.stderr)")
                #expect(!result.stderr.contains(Sandbox.defaultAPIKey) && !result.stderr.contains("KEYgiven0123456789"), "\(result.stderr)")
                #expect(result.stdout.isEmpty)
            }
            #expect(sandbox.totalRequests == 0)
        }
    }

    @Test("a parameter that no script uses (a misspelt name) stops the run before it starts")
    func unusedParameter() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 20, scratch: scratch) { sandbox, env in
            let script = "foreach id in recordings where from \"\(Self.caller)\" and created before $cutoff delete $id"
            let result = try await TnxProcess.run(["--yes", "-D", "cutoff=30d", "-D", "calller=+12125559999", "-c", script], environment: env)
            #expect(result.status == 2)
            #expect(result.stderr.contains("-D calller is given but <command line> never uses $calller (a misspelt name?); nothing was run or sent"), "\(result.stderr)")
            #expect(sandbox.totalRequests == 0)
            let check = try await TnxProcess.run(["--check", "-D", "cutoff=30d", "-D", "calller=+1", "-c", script], environment: env)
            #expect(check.status == 2)
            #expect(check.stderr.contains("-D calller is given but"), "\(check.stderr)")
            // Used by one script of several is used.
            let a = try scratch.write("a.tnx", "count recordings where from $caller\n")
            let b = try scratch.write("b.tnx", "count recordings\n")
            let both = try await TnxProcess.run(["-D", "caller=\(Self.caller)", a, b], environment: env)
            #expect(both.status == 0, "\(both.stderr)")
        }
    }

    @Test("a download directory and a setting's value given with -D")
    func directoryAndSetting() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 20, scratch: scratch) { sandbox, env in
            let id = Sandbox.seededIDs(count: 1)[0]
            let result = try await TnxProcess.run(
                ["-D", "n=4", "-D", "dir=\(scratch.path)/copies", "-D", "id=\(id)", "-c", "set concurrency $n\nshow settings\ndownload $id to $dir"],
                environment: env)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("concurrency"))
            #expect(result.stdout.split(separator: "\n").contains { $0.hasPrefix("concurrency") && $0.hasSuffix(" 4") }, "\(result.stdout)")
            #expect(FileManager.default.fileExists(atPath: "\(scratch.path)/copies/\(id).mp3"))
            #expect(sandbox.deletedIDs.isEmpty)
        }
    }

    @Test("the shell takes the parameters in every entry, used or not")
    func shell() async throws {
        let scratch = try Scratch()
        let pty = try await ShellSession.startAtPrompt(["--sandbox", "-D", "caller=\(Self.caller)", "-D", "unused=x"], scratch: scratch)
        let counted = ShellSession.printed(try await ShellSession.enter("count recordings where from $caller", on: pty))
        let literal = ShellSession.printed(try await ShellSession.enter("count recordings where from \"\(Self.caller)\"", on: pty))
        #expect(!counted.isEmpty)
        #expect(counted.split(separator: "\n").first == literal.split(separator: "\n").first, "\(counted) / \(literal)")
        #expect(!counted.contains("error"), "\(counted)")
        try await ShellSession.leave(pty)
    }

    @Test("the help of -D is what README.md and docs/language.md say, word for word")
    func helpInStepWithTheDocs() async throws {
        let scratch = try Scratch()
        let result = try await TnxProcess.run(["--experimental-dump-help"], environment: TnxProcess.environment(stateHome: scratch.path))
        #expect(result.status == 0)
        let top = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let command = try #require(top["command"] as? [String: Any])
        let arguments = try #require(command["arguments"] as? [[String: Any]])
        let option = try #require(arguments.first { ($0["names"] as? [[String: Any]])?.contains { $0["name"] as? String == "D" } == true })
        let help = try #require(option["abstract"] as? String)
        #expect((option["names"] as? [[String: Any]])?.contains { $0["name"] as? String == "set" } == true)
        #expect(help.hasPrefix("Make $NAME mean VALUE"))
        let readme = try String(contentsOfFile: Self.repository + "/README.md", encoding: .utf8)
        let language = try String(contentsOfFile: Self.repository + "/docs/language.md", encoding: .utf8)
        #expect(readme.contains("| `-D NAME=VALUE`, `--set NAME=VALUE` | \(help) |"))
        #expect(language.contains("`-D NAME=VALUE`, `--set NAME=VALUE`: \(help)"))
        // And `tnx --help` shows it (wrapped).
        let shown = try await TnxProcess.run(["--help"], environment: TnxProcess.environment(stateHome: scratch.path))
        #expect(shown.stdout.contains("-D, --set <NAME=VALUE>"), "\(shown.stdout)")
        let flat = shown.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(flat.contains(help), "\(shown.stdout)")
    }
}
