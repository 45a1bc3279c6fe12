import Foundation
import Testing
import TnxSandbox

#if canImport(Glibc)
import Glibc
#endif

/// What a person sees when a script runs in a terminal: the progress line on stderr, colour,
/// and a second Ctrl-C that ends tnx at once.
@Suite("tnx scripts in a terminal", .serialized)
struct TerminalOutputTests {
    static func start(_ arguments: [String], scratch: Scratch, noColor: Bool = true) throws -> PseudoTerminal {
        var env = TnxProcess.environment(stateHome: scratch.path)
        if !noColor { env["NO_COLOR"] = nil }
        env["TERM"] = "xterm"
        return try PseudoTerminal(executable: TnxProcess.binary, arguments: arguments, environment: env, workingDirectory: scratch.path)
    }

    @Test("a bulk run in a terminal shows done/total, rate, ETA and failures, then the summary")
    func progressLine() async throws {
        let scratch = try Scratch()
        var ids = Sandbox.seededIDs(count: 300)
        ids.append("00000000-0000-4000-8000-00000000dead")  // not in the sandbox: not_found
        try scratch.write("ids.txt", ids.joined(separator: "\n"))
        let pty = try Self.start(
            ["--sandbox", "--latency-ms", "20", "--seed", "300", "--yes", "--concurrency", "4",
             "-c", "foreach id in ids.txt delete $id"], scratch: scratch)
        let progress = try await pty.waitFor("ETA", timeout: .seconds(30))
        #expect(progress.contains("/301"))
        #expect(progress.contains("/s"))
        let rest = try await pty.waitFor("summary", timeout: .seconds(60))
        #expect(rest.contains("deleted"))
        #expect(try await pty.waitForExit(timeout: .seconds(30)) == 0)
    }

    @Test("after each outcome the progress line says what is done now, not what it said before the outcome")
    func progressIsFreshAfterEachOutcome() async throws {
        let scratch = try Scratch()
        // 37 deletes that finish within a few milliseconds of each other: the line was drawn
        // once at the start (0/37), and before it was fixed it was put back unchanged under
        // each of the 37 outcome lines.
        try scratch.write("ids.txt", Sandbox.seededIDs(count: 37).joined(separator: "\n"))
        let pty = try Self.start(
            ["--sandbox", "--seed", "37", "--yes", "--concurrency", "37", "-c", "foreach id in ids.txt delete $id"], scratch: scratch)
        let before = try await pty.waitFor("summary", timeout: .seconds(60))
        #expect(try await pty.waitForExit(timeout: .seconds(30)) == 0)
        let shown = PseudoTerminal.stripANSI(before)
        let counts = shown.matches(of: #/(\d+)\/37 /#).compactMap { Int($0.1) }
        #expect(counts.last == 37, "\(counts)")
        // One drawing after each outcome at most, each with a count no smaller than the last.
        #expect(counts == counts.sorted(), "\(counts)")
        #expect(Set(counts).count >= 10, "\(counts)")
    }

    @Test("the progress line stays on screen between outcomes, and says so when the run is paused by a rate limit")
    func progressStaysAndShowsPauses() async throws {
        let scratch = try Scratch()
        // Three requests a 3-second window, Retry-After given, no budget headers: the fourth
        // delete draws a 429 and the whole run pauses about three seconds.
        let limit = SandboxFaults.RateLimit(requests: 3, window: .seconds(3), hint: .retryAfterSeconds, sendsHeaders: false)
        try await Sandbox.with(seed: 6, faults: SandboxFaults(rateLimit: limit)) { sandbox in
            try scratch.write("ids.txt", Sandbox.seededIDs(count: 6).joined(separator: "\n"))
            var env = TnxProcess.environment(
                stateHome: scratch.path, extra: ["TELNYX_API_KEY": Sandbox.defaultAPIKey, "TELNYX_BASE_URL": sandbox.baseURL])
            env["TERM"] = "xterm"
            let pty = try PseudoTerminal(
                executable: TnxProcess.binary, arguments: ["--yes", "--concurrency", "1", "-c", "foreach id in ids.txt delete $id"],
                environment: env, workingDirectory: scratch.path)
            try await pty.waitFor("paused ", timeout: .seconds(20))
            // While paused, the last line on screen is the progress line (after the outcome
            // lines), and it says why.
            let screen = pty.output.replacing("\r\n", with: "\n")
            let lastLine = String(screen.split(separator: "\n").last ?? "")
            let shown = PseudoTerminal.stripANSI(lastLine)
            // (The check of the base URL before the first delete is one of the three requests.)
            #expect(shown.contains("2/6 33%"), "\(shown.debugDescription)")
            #expect(shown.contains("rate limited (HTTP 429"), "\(shown.debugDescription)")
            #expect(try await pty.waitForExit(timeout: .seconds(30)) == 0)
            #expect(sandbox.deletedIDs.count == 6)
        }
    }

    @Test("no progress line with --quiet, nor with --verbose (its lines would be garbled)", arguments: ["--quiet", "--verbose"])
    func quiet(_ option: String) async throws {
        let scratch = try Scratch()
        try scratch.write("ids.txt", Sandbox.seededIDs(count: 200).joined(separator: "\n"))
        let pty = try Self.start(
            ["--sandbox", "--latency-ms", "20", "--seed", "200", "--yes", option, "--concurrency", "4",
             "-c", "foreach id in ids.txt delete $id"], scratch: scratch)
        #expect(try await pty.waitForExit(timeout: .seconds(60)) == 0)
        #expect(!pty.output.contains("ETA"))
        #expect(pty.output.contains("summary"))
        if option == "--verbose" {
            #expect(pty.output.components(separatedBy: "tnx: DELETE ").count == 201)
        }
    }

    @Test("colour on a terminal, none with NO_COLOR")
    func colour() async throws {
        let scratch = try Scratch()
        let id = Sandbox.seededIDs(count: 1)[0]
        let coloured = try Self.start(["--sandbox", "-c", "delete \(id)"], scratch: scratch, noColor: false)
        #expect(try await coloured.waitForExit() == 0)
        #expect(coloured.output.contains("\u{1B}[32mdeleted"))
        let plain = try Self.start(["--sandbox", "-c", "delete \(id)"], scratch: scratch, noColor: true)
        #expect(try await plain.waitForExit() == 0)
        #expect(!plain.output.contains("\u{1B}["))
        #expect(plain.output.contains("deleted"))
    }

    @Test("a second Ctrl-C, more than a second after the first, ends a slow run at once with 130")
    func secondInterrupt() async throws {
        let scratch = try Scratch()
        try scratch.write("ids.txt", Sandbox.seededIDs(count: 500).joined(separator: "\n"))
        // Every request takes 8 s: after the first Ctrl-C tnx would wait for those in flight.
        let pty = try Self.start(
            ["--sandbox", "--latency-ms", "8000", "--seed", "500", "--yes", "--concurrency", "8",
             "-c", "foreach id in ids.txt delete $id"], scratch: scratch)
        // Let it start and put requests on the wire (nothing is printed before the first ends).
        try await Task.sleep(for: .seconds(1))
        let started = ContinuousClock.now
        pty.sendSignal(SIGINT)
        // A second one within a second is the same request again (see the write-ahead tests);
        // this one is deliberate.
        try await Task.sleep(for: .milliseconds(1200))
        pty.sendSignal(SIGINT)
        #expect(try await pty.waitForExit(timeout: .seconds(20)) == 130)
        #expect(ContinuousClock.now - started < .seconds(5), "did not wait for the 8 s requests in flight")
    }
}
