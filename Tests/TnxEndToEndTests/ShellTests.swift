import Foundation
import Testing
import TnxSandbox

#if canImport(Glibc)
import Glibc
#endif

/// The shell as a psql or sqlite3 user expects it, through a real pseudo-terminal.
@Suite("The shell keeps what was typed, and speaks its own language", .serialized)
struct ShellTests {
    @Test("`set` alone lists the settings; `set resume on` is a setting like the others; `exit 3` exits with 3")
    func setAloneAndExitStatus() async throws {
        let scratch = try Scratch()
        let pty = try await ShellSession.startAtPrompt(scratch: scratch)
        let listed = ShellSession.printed(try await ShellSession.enter("set", on: pty))
        for name in ["dry-run", "concurrency", "output", "on-error", "confirm", "resume", "api-key", "base-url", "journal"] {
            #expect(listed.contains(name), "\(name) missing:\n\(listed)")
        }
        try await ShellSession.enter("set resume on", on: pty)
        let after = ShellSession.printed(try await ShellSession.enter("show settings", on: pty))
        #expect(after.contains(where: { _ in true }) && after.split(separator: "\n").contains { $0.hasPrefix("resume") && $0.hasSuffix("on") }, "\(after)")
        pty.sendLine("exit 3")
        #expect(try await pty.waitForExit() == 3)
    }

    @Test("a typo on line 2 of a block is shown and left out; the block stays open and runs once closed")
    func typoInBlockKeepsTheBlock() async throws {
        let scratch = try Scratch()
        let file = try ShellSession.idFile("two.txt", Sandbox.seededIDs(count: 2), in: scratch)
        let pty = try await ShellSession.startAtPrompt(scratch: scratch)
        try await ShellSession.enter("set dry-run on", on: pty, prompt: ShellSession.dryRunPrompt)
        pty.sendLine("foreach id in \(file) {")
        try await pty.waitFor(ShellSession.continuationPrompt)
        pty.sendLine("  delte $id")
        let shown = PseudoTerminal.stripANSI(try await pty.waitFor(ShellSession.continuationPrompt))
        #expect(shown.contains("unknown statement 'delte'; did you mean 'delete'?"), "\(shown)")
        #expect(shown.contains("that line was left out; the block is still open"))
        pty.sendLine("  delete $id")
        try await pty.waitFor(ShellSession.continuationPrompt)
        pty.sendLine("}")
        let output = ShellSession.printed(try await pty.waitFor(ShellSession.dryRunPrompt))
        #expect(output.contains("would delete 2"), "\(output)")
        #expect(!output.contains("unexpected '}'"), "\(output)")
        try await ShellSession.leave(pty)
    }

    @Test("`run FILE` runs a script from the shell, with the same question before a bulk delete")
    func runFile() async throws {
        let scratch = try Scratch()
        let ids = Sandbox.seededIDs(count: 3)
        let jobs = scratch.path + "/jobs"
        try FileManager.default.createDirectory(atPath: jobs, withIntermediateDirectories: true)
        try scratch.write("jobs/ids.txt", ids.joined(separator: "\n"))
        try scratch.write("jobs/purge.tnx", "foreach id in ids.txt delete $id\n")
        let pty = try await ShellSession.startAtPrompt(scratch: scratch)
        pty.sendLine("run jobs/purge.tnx")
        try await pty.waitFor("Delete 3 recordings?", timeout: .seconds(10))
        pty.sendLine("y")
        let output = ShellSession.printed(try await pty.waitFor(ShellSession.prompt))
        #expect(output.contains("deleted 3"), "\(output)")
        let missing = ShellSession.printed(try await ShellSession.enter("run nothing-here.tnx", on: pty))
        #expect(missing.contains("cannot read script '\(scratch.path)/nothing-here.tnx'"), "\(missing)")
        try await ShellSession.leave(pty)
    }

    @Test("TAB offers a loop body only what a body may hold; a second TAB lists, the first does not")
    func tabOffersWhatIsValid() async throws {
        let scratch = try Scratch()
        let pty = try await ShellSession.startAtPrompt(scratch: scratch)
        pty.send("foreach id in x.txt ")
        pty.send(key: .tab)
        // Two candidates with nothing in common: the first TAB only beeps.
        try await Task.sleep(for: .milliseconds(300))
        #expect(!PseudoTerminal.stripANSI(pty.output).contains("foreach  "), "no listing at the first TAB")
        pty.send(key: .tab)
        let listing = try await pty.waitFor("delete", timeout: .seconds(5), ignoringEscapes: true)
        #expect(listing.contains("foreach"))
        #expect(!listing.contains("exit") && !listing.contains("set"), "\(listing)")
        pty.send(key: .ctrlC)
        try await pty.waitFor(ShellSession.prompt)
        try await ShellSession.leave(pty)
    }

    @Test("Ctrl-R searches the history with a prompt that says so; Return runs the match")
    func historySearch() async throws {
        let scratch = try Scratch()
        let pty = try await ShellSession.startAtPrompt(scratch: scratch)
        try await ShellSession.enter("show settings", on: pty)
        try await ShellSession.enter("help exit", on: pty)
        pty.send(key: .ctrlR)
        try await pty.waitFor("(search history: \"\")", timeout: .seconds(5), ignoringEscapes: true)
        pty.send("sett")
        try await pty.waitFor("(search history: \"sett\") show settings", timeout: .seconds(5), ignoringEscapes: true)
        #expect(!PseudoTerminal.stripANSI(pty.output).contains("bck:"))
        pty.send(key: .enter)
        // The match runs (the search's prompt gives way to the normal one first).
        try await pty.waitFor("concurrency", timeout: .seconds(5))
        try await pty.waitFor(ShellSession.prompt)
        // Nothing matches: it says so; Ctrl-G puts the line back.
        pty.send("de")
        pty.send(key: .ctrlR)
        pty.send("zzz")
        try await pty.waitFor("(no earlier match: \"zzz\")", timeout: .seconds(5), ignoringEscapes: true)
        pty.send("\u{07}")
        try await Task.sleep(for: .milliseconds(200))
        pty.send(key: .ctrlC)
        try await pty.waitFor(ShellSession.prompt)
        try await ShellSession.leave(pty)
    }

    @Test("after Ctrl-C during a run, the next output starts on a line of its own")
    func ctrlCStartsANewLine() async throws {
        let scratch = try Scratch()
        let file = try ShellSession.idFile("many.txt", Sandbox.seededIDs(count: 400), in: scratch)
        let pty = try await ShellSession.startAtPrompt(["--sandbox", "--seed", "400", "--latency-ms", "50", "--quiet"], scratch: scratch)
        try await ShellSession.enter("set confirm off", on: pty)
        pty.sendLine("foreach id in \(file) delete $id")
        try await pty.waitFor("deleted ", timeout: .seconds(20))
        pty.send(key: .ctrlC)
        let output = try await pty.waitFor(ShellSession.prompt, timeout: .seconds(20))
        #expect(!output.contains("^Cdeleted") && !output.contains("^Csummary") && !output.contains("^Ctnx"), "\(output)")
        // With the terminal's echo of control characters off, it echoes the raw byte (which
        // shows nothing) and tnx writes the ^C line.
        let lines = output.replacing("\u{03}", with: "").replacing("\r\n", with: "\n").split(separator: "\n")
        #expect(lines.contains { $0 == "^C" }, "a ^C line of its own:\n\(output.debugDescription)")
        #expect(output.contains("set resume on"), "the shell's way to go on:\n\(output)")
        try await ShellSession.leave(pty)
    }

    @Test("no key in the shell: the advice is 'set api-key', and nothing claims the key was refused")
    func noKeyAdvice() async throws {
        let scratch = try Scratch()
        let pty = try await ShellSession.startAtPrompt([], scratch: scratch)
        let output = ShellSession.printed(try await ShellSession.enter("delete \(Sandbox.seededIDs(count: 1)[0])", on: pty))
        #expect(output.contains("type 'set api-key'"), "\(output)")
        #expect(!output.contains("--api-key") && !output.contains("401"), "\(output)")
        try await ShellSession.leave(pty)
    }
}
