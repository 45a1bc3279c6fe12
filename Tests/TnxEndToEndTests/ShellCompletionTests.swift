import Foundation
import Testing

/// The completion scripts swift-argument-parser generates for tnx, loaded in a real bash as
/// bash-completion would load them, and asked what TAB offers.
@Suite("Completion of the command line in bash, zsh and fish")
struct ShellCompletionTests {
    @Test("the bash script loads in bash and completes options, their values, *.tnx scripts and profiles")
    func bash() async throws {
        let scratch = try Scratch()
        let generated = try await TnxProcess.run(["--generate-completion-script", "bash"], environment: TnxProcess.environment(stateHome: scratch.path))
        #expect(generated.status == 0)
        let script = try scratch.write("tnx.bash", generated.stdout)
        try scratch.write("cleanup.tnx", "delete x\n")
        try scratch.write("ids.txt", "x\n")
        try FileManager.default.createDirectory(atPath: scratch.path + "/jobs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: scratch.path + "/.config/tnx/profiles", withIntermediateDirectories: true)
        try scratch.write(".config/tnx/profiles/prod.tnx", "set output json\n")
        try scratch.write(".config/tnx/profiles/staging.tnx", "set output text\n")

        func offers(_ line: String) throws -> [String] {
            try BashCompletion.complete(line, script: script, in: scratch.path, home: scratch.path)
        }
        #expect(try offers("tnx --conc") == ["--concurrency"])
        #expect(try offers("tnx --verb") == ["--verbose"])
        #expect(Set(try offers("tnx --output ")) == ["text", "json"])
        #expect(Set(try offers("tnx --method ")) == ["single", "batch"])
        // SCRIPT: *.tnx files and directories to descend into, not other files.
        let scripts = Set(try offers("tnx --dry-run "))
        #expect(scripts.contains("cleanup.tnx"), "\(scripts)")
        #expect(scripts.contains("jobs"), "\(scripts)")
        #expect(!scripts.contains("ids.txt"), "\(scripts)")
        // --profile asks tnx itself, which lists ~/.config/tnx/profiles.
        #expect(Set(try offers("tnx --profile ")) == ["prod", "staging"])
        // Hidden options are not offered.
        #expect(try offers("tnx --lat").isEmpty)
    }

    @Test("zsh and fish scripts are generated for the same options")
    func zshAndFish() async throws {
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path)
        let zsh = try await TnxProcess.run(["--generate-completion-script", "zsh"], environment: env)
        #expect(zsh.status == 0)
        #expect(zsh.stdout.hasPrefix("#compdef tnx"))
        #expect(zsh.stdout.contains("--concurrency"))
        #expect(zsh.stdout.contains("*.tnx"), "SCRIPT completes *.tnx files in zsh too")
        let fish = try await TnxProcess.run(["--generate-completion-script", "fish"], environment: env)
        #expect(fish.status == 0)
        #expect(fish.stdout.contains("complete -c 'tnx'") || fish.stdout.contains("complete -c tnx"), "\(fish.stdout.prefix(400))")
        #expect(fish.stdout.contains("concurrency"))
    }

    @Test("the description the man page is made from: the language, files, environment, exit codes; no phantom help subcommand")
    func manualSource() async throws {
        let scratch = try Scratch()
        let dump = try await TnxProcess.run(["--experimental-dump-help"], environment: TnxProcess.environment(stateHome: scratch.path))
        #expect(dump.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        let command = try #require(json["command"] as? [String: Any])
        #expect(command["subcommands"] == nil)
        let discussion = try #require(command["discussion"] as? String)
        for heading in ["THE LANGUAGE", "foreach NAME in FILE|QUERY BODY", "api-key-command \"COMMAND\"", "FILES", "profiles/NAME.tnx", "ENVIRONMENT", "HTTPS_PROXY", "NO_PROXY", "TNX_PROFILE", "Exit codes: 0 all done"] {
            #expect(discussion.contains(heading), "\(heading)")
        }
    }
}
