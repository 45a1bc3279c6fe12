import Foundation
import Testing
import TnxSandbox

#if canImport(Glibc)
import Glibc
#endif

/// The interactive shell, driven through a real pseudo-terminal as a person would use it: the
/// built `tnx` binary with `--sandbox` (a fake API with seeded recordings, which tnx runs as its
/// child `tnx-sandbox`).
///
/// Every step waits for the prompt before typing: keys typed before it appears would reach a
/// terminal that is not yet in edit mode.
@Suite("tnx as an interactive shell", .serialized)
struct REPLTests {
    // MARK: Reading and running entries

    @Test("help lists the statements, and the prompt comes back")
    func help() async throws {
        let scratch = try Scratch()
        let pty = try ShellSession.start(scratch: scratch)
        let banner = try await pty.waitFor(ShellSession.prompt)
        #expect(banner.contains("tnx "), "banner: \(banner)")
        #expect(banner.contains("help"), "the banner says how to get help: \(banner)")

        let text = ShellSession.printed(try await ShellSession.enter("help", on: pty))
        for usage in ["delete ID", "foreach NAME in FILE", "show last", "set SETTING VALUE", "help [TOPIC]", "exit"] {
            #expect(text.contains(usage), "help lacks \(usage.debugDescription):\n\(text)")
        }
        #expect(text.contains("dry-run"), "help lists the settings:\n\(text)")
        try await ShellSession.leave(pty, typingExit: true)
    }

    @Test("delete ID deletes the recording and prints deleted")
    func deleteOne() async throws {
        let scratch = try Scratch()
        let id = Sandbox.seededIDs(count: 3)[1]
        let pty = try await ShellSession.startAtPrompt(scratch: scratch)

        let first = ShellSession.printed(try await ShellSession.enter("delete \(id)", on: pty))
        let line = first.split(separator: "\n").first { $0.contains(id) }.map(String.init) ?? ""
        #expect(line.hasPrefix("deleted"), "expected a `deleted` line for \(id):\n\(first)")
        // The sandbox forgot it: a second delete is not_found.
        let second = ShellSession.printed(try await ShellSession.enter("delete \(id)", on: pty))
        #expect(second.contains("not_found"), "\(second)")
        try await ShellSession.leave(pty)
    }

    /// The children of `pid` whose command is `name`, from /proc.
    static func children(of pid: pid_t, named name: String) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> pid_t? in
            guard let child = pid_t(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
            else { return nil }
            let command = stat[stat.index(after: open)..<close]
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard command == name, fields.count > 1, pid_t(fields[1]) == pid else { return nil }
            return child
        }
    }

    @Test("the sandbox survives Ctrl-C at the prompt and stops when tnx is killed")
    func sandboxChildLifetime() async throws {
        let scratch = try Scratch()
        let id = Sandbox.seededIDs(count: 3)[2]
        let pty = try await ShellSession.startAtPrompt(scratch: scratch)
        let sandboxes = Self.children(of: pty.pid, named: "tnx-sandbox")
        #expect(sandboxes.count == 1, "tnx --sandbox runs one tnx-sandbox child: \(sandboxes)")

        // ^C at the prompt reaches the terminal's foreground group: tnx, not its sandbox.
        pty.send(key: .ctrlC)
        try await pty.waitFor(ShellSession.prompt, timeout: .seconds(10))
        let deleted = ShellSession.printed(try await ShellSession.enter("delete \(id)", on: pty))
        #expect(deleted.contains("deleted"), "the sandbox still answers after ^C:\n\(deleted)")

        // However tnx ends, its sandbox ends with it: nothing is left listening.
        pty.sendSignal(SIGKILL)
        for sandbox in sandboxes {
            let deadline = ContinuousClock.now + .seconds(10)
            while kill(sandbox, 0) == 0, Self.isRunning(sandbox), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(!Self.isRunning(sandbox), "tnx-sandbox \(sandbox) still runs after tnx was killed")
        }
    }

    /// Alive and not a zombie (a zombie has stopped; only its parent has not reaped it yet).
    static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")
    }

    @Test("Up-arrow recalls the previous entry, and Return runs it again")
    func upArrowRecallsPreviousEntry() async throws {
        let scratch = try Scratch()
        let pty = try await ShellSession.startAtPrompt(scratch: scratch)
        let first = ShellSession.printed(try await ShellSession.enter("help exit", on: pty))
        #expect(!first.isEmpty)

        pty.send(key: .up)
        try await pty.waitFor("help exit", timeout: .seconds(10))
        pty.send(key: .enter)
        let again = ShellSession.printed(try await pty.waitFor(ShellSession.prompt, timeout: .seconds(10)))
        // The same help text, printed a second time.
        let firstLine = first.split(separator: "\n").first.map(String.init) ?? "?"
        #expect(again.contains(firstLine), "Up then Return should have run `help exit` again; got:\n\(again)")
        try await ShellSession.leave(pty)
    }

    @Test("TAB completes a keyword, then the file name after `foreach id in` (or lists it with `recordings`)")
    func tabCompletion() async throws {
        let scratch = try Scratch()
        let ids = Sandbox.seededIDs(count: 2)
        // A directory holding one file only, so that an empty name completes to it.
        let work = scratch.path + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try (ids.joined(separator: "\n") + "\n").write(toFile: work + "/only-ids.txt", atomically: true, encoding: .utf8)
        let pty = try await ShellSession.startAtPrompt(scratch: scratch, workingDirectory: work)
        // In dry-run, so that the completed statement runs without a question.
        try await ShellSession.enter("set dry-run on", on: pty, prompt: ShellSession.dryRunPrompt)

        pty.send("fore")
        pty.send(key: .tab)
        try await pty.waitFor("foreach ", timeout: .seconds(10), ignoringEscapes: true)
        // After `in` both a file and a query may follow: TAB twice lists both.
        pty.send("id in ")
        pty.send(key: .tab)
        pty.send(key: .tab)
        try await pty.waitFor("only-ids.txt  recordings", timeout: .seconds(10), ignoringEscapes: true)
        pty.send("o")
        pty.send(key: .tab)
        try await pty.waitFor("only-ids.txt ", timeout: .seconds(10), ignoringEscapes: true)
        // Only completion can have written the keyword and the file name: run the line.
        pty.send("delete $id")
        pty.send(key: .enter)
        let output = ShellSession.printed(try await pty.waitFor(ShellSession.dryRunPrompt, timeout: .seconds(20)))
        #expect(output.contains("summary"), "\(output)")
        #expect(output.contains("would delete 2"), "\(output)")
        #expect(!output.contains("error"), "\(output)")
        try await ShellSession.leave(pty)
    }

    @Test("a multi-line foreach block: continuation prompt, the question, y, the summary")
    func multiLineBlockConfirmed() async throws {
        let scratch = try Scratch()
        let ids = Sandbox.seededIDs(count: 5)
        let file = try ShellSession.idFile("three.txt", Array(ids[2..<5]), in: scratch)
        let pty = try await ShellSession.startAtPrompt(scratch: scratch)

        pty.sendLine("foreach id in \(file) {")
        try await pty.waitFor(ShellSession.continuationPrompt, timeout: .seconds(10))
        pty.sendLine("  delete $id")
        try await pty.waitFor(ShellSession.continuationPrompt, timeout: .seconds(10))
        pty.sendLine("}")
        try await pty.waitFor("Delete 3 recordings?", timeout: .seconds(10))
        try await pty.waitFor("[y/N]", timeout: .seconds(10))
        pty.sendLine("y")
        let output = PseudoTerminal.stripANSI(try await pty.waitFor(ShellSession.prompt))
        #expect(output.contains("summary"), "\(output)")
        #expect(output.contains("read 3"), "\(output)")
        #expect(output.contains("deleted 3"), "\(output)")
        for id in ids[2..<5] { #expect(output.contains(id), "\(id) not reported:\n\(output)") }

        // They are gone.
        let again = ShellSession.printed(try await ShellSession.enter("delete \(ids[2])", on: pty))
        #expect(again.contains("not_found"), "\(again)")
        try await ShellSession.leave(pty)
    }

    @Test("the shell's question for a loop that keeps a copy first says so: 'Download and then delete 3 recordings'")
    func questionSaysDownloadFirst() async throws {
        let scratch = try Scratch()
        let ids = Sandbox.seededIDs(count: 3)
        let file = try ShellSession.idFile("three.txt", ids, in: scratch)
        let pty = try await ShellSession.startAtPrompt(scratch: scratch)
        pty.sendLine("foreach id in \(file) { download $id to \(scratch.path)/archive; delete $id }")
        try await pty.waitFor("Download and then delete 3 recordings? This cannot be undone. [y/N]", timeout: .seconds(10))
        pty.sendLine("n")
        let output = PseudoTerminal.stripANSI(try await pty.waitFor(ShellSession.prompt))
        #expect(output.contains("nothing was deleted"), "\(output)")
        try await ShellSession.leave(pty)
    }

    @Test("answering n to the question deletes nothing")
    func bulkDeclined() async throws {
        let scratch = try Scratch()
        let ids = Sandbox.seededIDs(count: 2)
        let file = try ShellSession.idFile("two.txt", ids, in: scratch)
        let pty = try await ShellSession.startAtPrompt(scratch: scratch)

        pty.sendLine("foreach id in \(file) delete $id")
        try await pty.waitFor("Delete 2 recordings?", timeout: .seconds(10))
        try await pty.waitFor("[y/N]", timeout: .seconds(10))
        pty.sendLine("n")
        let output = PseudoTerminal.stripANSI(try await pty.waitFor(ShellSession.prompt))
        #expect(output.contains("nothing was deleted"), "\(output)")
        for id in ids { #expect(!output.contains(id), "\(id) was touched:\n\(output)") }

        // Still there: deleting one now really deletes it.
        let now = ShellSession.printed(try await ShellSession.enter("delete \(ids[0])", on: pty))
        let line = now.split(separator: "\n").first { $0.contains(ids[0]) }.map(String.init) ?? ""
        #expect(line.hasPrefix("deleted"), "\(now)")
        try await ShellSession.leave(pty)
    }

    @Test("Ctrl-C at the question deletes nothing and the prompt returns on a line of its own")
    func ctrlCAtQuestion() async throws {
        let scratch = try Scratch()
        let ids = Sandbox.seededIDs(count: 2)
        let file = try ShellSession.idFile("two.txt", ids, in: scratch)
        let pty = try await ShellSession.startAtPrompt(scratch: scratch)

        pty.sendLine("foreach id in \(file) delete $id")
        try await pty.waitFor("[y/N] ", timeout: .seconds(10))
        pty.send(key: .ctrlC)
        let output = PseudoTerminal.stripANSI(try await pty.waitFor(ShellSession.prompt, timeout: .seconds(10)))
        #expect(output.contains("nothing was deleted"), "\(output)")
        #expect(output.hasSuffix("\n" + ShellSession.prompt), "the prompt should start a line:\n\(output.debugDescription)")
        #expect(output.split(separator: "\n").contains { $0.hasPrefix("nothing was deleted") },
                "the answer line should end after ^C:\n\(output.debugDescription)")
        for id in ids { #expect(!output.contains(id), "\(id) was touched:\n\(output)") }
        let now = ShellSession.printed(try await ShellSession.enter("delete \(ids[1])", on: pty))
        let line = now.split(separator: "\n").first { $0.contains(ids[1]) }.map(String.init) ?? ""
        #expect(line.hasPrefix("deleted"), "\(now)")
        try await ShellSession.leave(pty, typingExit: true)
    }

    @Test("set dry-run on changes the prompt, and off changes it back")
    func dryRunPrompt() async throws {
        let scratch = try Scratch()
        let id = Sandbox.seededIDs(count: 1)[0]
        let pty = try await ShellSession.startAtPrompt(scratch: scratch)

        try await ShellSession.enter("set dry-run on", on: pty, prompt: ShellSession.dryRunPrompt, timeout: .seconds(10))
        let output = ShellSession.printed(try await ShellSession.enter("delete \(id)", on: pty, prompt: ShellSession.dryRunPrompt))
        #expect(output.contains("would delete"), "\(output)")
        #expect(output.contains("DELETE"), "\(output)")
        let back = try await ShellSession.enter("set dry-run off", on: pty, timeout: .seconds(10))
        #expect(!back.contains(ShellSession.dryRunPrompt))
        // Nothing was sent in dry-run: the recording is still there.
        let real = ShellSession.printed(try await ShellSession.enter("delete \(id)", on: pty))
        let line = real.split(separator: "\n").first { $0.contains(id) }.map(String.init) ?? ""
        #expect(line.hasPrefix("deleted"), "\(real)")
        try await ShellSession.leave(pty)
    }

    // MARK: Ctrl-C and Ctrl-D

    @Test("Ctrl-C at the prompt abandons the line and keeps the session")
    func ctrlCAtPrompt() async throws {
        let scratch = try Scratch()
        let id = Sandbox.seededIDs(count: 1)[0]
        let pty = try await ShellSession.startAtPrompt(scratch: scratch)

        pty.send("delete \(id)")
        pty.send(key: .ctrlC)
        try await pty.waitFor("^C", timeout: .seconds(10))
        try await pty.waitFor(ShellSession.prompt, timeout: .seconds(10))
        // The abandoned line did not run.
        let last = ShellSession.printed(try await ShellSession.enter("show last", on: pty))
        #expect(last.contains("nothing yet"), "\(last)")
        // A second Ctrl-C on an empty line does not end the session either.
        pty.send(key: .ctrlC)
        try await pty.waitFor(ShellSession.prompt, timeout: .seconds(10))
        try await ShellSession.leave(pty, typingExit: true)
    }

    @Test("Ctrl-C during a slow bulk run stops it, shows the summary, and the prompt returns")
    func ctrlCInterruptsBulkRun() async throws {
        let scratch = try Scratch()
        let ids = Sandbox.seededIDs(count: 2000)
        let file = try ShellSession.idFile("many.txt", ids, in: scratch)
        let pty = try await ShellSession.startAtPrompt(["--sandbox", "--latency-ms", "200", "--seed", "2000"], scratch: scratch)
        try await ShellSession.enter("set confirm off", on: pty, timeout: .seconds(10))
        try await ShellSession.enter("set concurrency 2", on: pty, timeout: .seconds(10))

        pty.sendLine("foreach id in \(file) delete $id")
        // 2,000 ids, two at a time, 200 ms each: about 200 s if nothing stops it.
        usleep(1_500_000)
        let pressed = ContinuousClock.now
        pty.send(key: .ctrlC)
        let output = PseudoTerminal.stripANSI(try await pty.waitFor(ShellSession.prompt, timeout: .seconds(15)))
        let waited = ContinuousClock.now - pressed
        #expect(waited < .seconds(5), "the prompt came back \(waited) after Ctrl-C")
        let summary = output.split(separator: "\n").first { $0.contains("summary") }.map(String.init) ?? ""
        #expect(!summary.isEmpty, "no summary:\n\(output)")
        #expect(output.contains("interrupted"), "\(output)")
        if let match = summary.firstMatch(of: /read ([0-9,]+)/) {
            let read = Int(match.1.filter(\.isNumber)) ?? -1
            #expect(read > 0 && read < 2000, "read \(read): \(summary)")
        } else {
            Issue.record("the summary does not say how many ids were read: \(summary)")
        }
        #expect(summary.contains("deleted"), "some ids were deleted before Ctrl-C: \(summary)")

        // The session goes on.
        let last = ShellSession.printed(try await ShellSession.enter("show last", on: pty))
        #expect(last.contains("summary"), "\(last)")
        try await ShellSession.leave(pty, typingExit: true)
    }

    @Test("Ctrl-D on an empty line exits 0")
    func ctrlDExits() async throws {
        let scratch = try Scratch()
        let pty = try await ShellSession.startAtPrompt(scratch: scratch)
        pty.send(key: .ctrlD)
        #expect(try await pty.waitForExit(timeout: .seconds(10)) == 0)
    }

    // MARK: History and secrets

    @Test("history persists across sessions in a 0600 file")
    func historyPersists() async throws {
        let scratch = try Scratch()
        do {
            let pty = try await ShellSession.startAtPrompt(scratch: scratch)
            try await ShellSession.enter("help exit", on: pty)
            pty.send(key: .ctrlD)
            #expect(try await pty.waitForExit() == 0)
        }
        let path = ShellSession.historyPath(scratch)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
        #expect(mode == 0o600, "history file mode is \(String(mode, radix: 8))")

        let pty = try await ShellSession.startAtPrompt(scratch: scratch)
        pty.send(key: .up)
        try await pty.waitFor("help exit", timeout: .seconds(10))
        pty.send(key: .enter)
        let output = ShellSession.printed(try await pty.waitFor(ShellSession.prompt))
        #expect(output.contains("exit"), "\(output)")
        try await ShellSession.leave(pty)
    }

    @Test("the API key never reaches the history or the screen; show settings says it is set")
    func keyNeverInHistory() async throws {
        let scratch = try Scratch()
        let key = "secret-KEY-123"
        let pty = try ShellSession.start(
            [], scratch: scratch,
            environment: ["TELNYX_API_KEY": key, "TELNYX_BASE_URL": "http://127.0.0.1:9/v2"])
        let banner = PseudoTerminal.stripANSI(try await pty.waitFor(ShellSession.prompt))
        #expect(!banner.contains(key), "\(banner)")
        #expect(banner.contains("127.0.0.1:9"), "the banner names the base URL: \(banner)")

        let settings = ShellSession.printed(try await ShellSession.enter("show settings # \(key)", on: pty))
        #expect(!settings.contains(key), "show settings printed the key:\n\(settings)")
        #expect(!settings.contains("KEY-123"), "\(settings)")
        let keyRow = settings.split(separator: "\n").first { $0.contains("api-key") }.map(String.init) ?? ""
        #expect(keyRow.contains("set") && !keyRow.contains("not set"), "api-key row: \(keyRow.debugDescription)\n\(settings)")
        #expect(keyRow.contains("TELNYX_API_KEY"), "says where the key came from: \(keyRow)")

        try await ShellSession.enter("help delete", on: pty)
        pty.sendLine("exit")
        #expect(try await pty.waitForExit() == 0)

        let history = try #require(try? String(contentsOfFile: ShellSession.historyPath(scratch), encoding: .utf8))
        #expect(history.contains("help"), "the history file holds the other entries:\n\(history)")
        #expect(!history.contains("KEY-123"), "the key reached the history file:\n\(history)")
        #expect(!history.contains("settings"), "the line with the key was kept:\n\(history)")
    }

    @Test("set api-key reads the key without echo and keeps it out of the history")
    func setAPIKeyHidden() async throws {
        let scratch = try Scratch()
        let typed = "typed-KEY-456"
        let pty = try ShellSession.start(
            [], scratch: scratch, environment: ["TELNYX_BASE_URL": "http://127.0.0.1:9/v2"])
        let banner = PseudoTerminal.stripANSI(try await pty.waitFor(ShellSession.prompt))
        #expect(banner.contains("no API key"), "\(banner)")

        pty.sendLine("set api-key")
        try await pty.waitFor("API key", timeout: .seconds(10))
        pty.sendLine(typed)
        let afterKey = PseudoTerminal.stripANSI(try await pty.waitFor(ShellSession.prompt, timeout: .seconds(10)))
        #expect(!afterKey.contains(typed), "the key was echoed:\n\(afterKey)")

        let settings = ShellSession.printed(try await ShellSession.enter("show settings", on: pty))
        #expect(!settings.contains(typed), "\(settings)")
        let keyRow = settings.split(separator: "\n").first { $0.contains("api-key") }.map(String.init) ?? ""
        #expect(keyRow.contains("set") && !keyRow.contains("not set"), "api-key row: \(keyRow.debugDescription)")
        pty.sendLine("exit")
        #expect(try await pty.waitForExit() == 0)

        let history = (try? String(contentsOfFile: ShellSession.historyPath(scratch), encoding: .utf8)) ?? ""
        #expect(!history.contains("KEY-456"), "\(history)")
        #expect(!history.contains("api-key"), "\(history)")
        #expect(history.contains("settings"), "\(history)")
    }

    // MARK: Errors

    @Test("a syntax error shows a caret diagnostic and the session goes on")
    func syntaxErrorKeepsSession() async throws {
        let scratch = try Scratch()
        let id = Sandbox.seededIDs(count: 1)[0]
        let pty = try await ShellSession.startAtPrompt(scratch: scratch)

        let output = ShellSession.printed(try await ShellSession.enter("foreach id ids.txt delete $id", on: pty))
        #expect(output.contains("error:"), "\(output)")
        #expect(output.contains("'in'"), "\(output)")
        let caretLine = output.split(separator: "\n").contains { line in
            line.contains("^") && line.allSatisfy { $0 == " " || $0 == "^" || $0 == "~" }
        }
        #expect(caretLine, "no caret line:\n\(output)")

        // Another kind of error, found before running: an unknown variable.
        let unknown = ShellSession.printed(try await ShellSession.enter("delete $nope", on: pty))
        #expect(unknown.contains("error:"), "\(unknown)")

        // Still alive, and still working.
        let deleted = ShellSession.printed(try await ShellSession.enter("delete \(id)", on: pty))
        #expect(deleted.contains("deleted"), "\(deleted)")
        try await ShellSession.leave(pty, typingExit: true)
    }
}
