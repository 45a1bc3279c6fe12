import Foundation
import Testing
import TnxSandbox

/// A nightly job from cron, whose stdout goes to a log and whose stderr is mailed: what fails
/// must reach a person on stderr, and a run that does not exit 0 ends stderr with why.
@Suite("Built for cron, end to end", .serialized)
struct CronEndToEndTests {
    static func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    @Test("every failure is said on stderr (20 one by one, then by reason), stderr ends with why; --quiet leaves stdout to the summary")
    func failuresReachStderr() async throws {
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 60, scratch: scratch) { sandbox, env in
            let ids = Sandbox.seededIDs(count: 60)
            let refused = Array(ids.prefix(25))
            for id in refused { sandbox.script([.apiError(status: 422, code: "10015", title: "Recording is locked")], for: id) }
            let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
            let result = try await TnxProcess.run(["--yes", "--quiet", "-c", "foreach id in \(file) delete $id"], environment: env)
            #expect(result.status == 1)
            // stdout (the log) holds the summary alone.
            #expect(Self.lines(result.stdout).count == 1, "\(result.stdout)")
            #expect(result.stdout.hasPrefix("summary "))
            #expect(result.stdout.contains("deleted 35 · failed 25"))
            // stderr (the mail) names every failure: 20 by id, then the rest by reason.
            let err = Self.lines(result.stderr)
            let oneByOne = err.filter { $0.hasPrefix("tnx: failed ") }
            #expect(oneByOne.count == 20, "\(result.stderr)")
            #expect(oneByOne.allSatisfy { line in refused.contains { line.contains($0) } })
            #expect(err.contains { $0.hasPrefix("tnx: 5 more failed: ") && $0.contains("Recording is locked") }, "\(result.stderr)")
            let last = try #require(err.last)
            #expect(last.hasPrefix("tnx: exit 1: 25 of 60 recordings failed"), "\(last)")
            #expect(last.contains("journal " + scratch.path + "/state/tnx/journal.jsonl"), "\(last)")
        }
    }

    @Test("a run that exits 2, 3 or 143 ends stderr with one line saying why")
    func closingLines() async throws {
        let scratch = try Scratch()
        var faults = SandboxFaults.none
        faults.latency = .milliseconds(300)
        try await SandboxFixture.with(seed: 200, faults: faults, scratch: scratch) { sandbox, env in
            let syntax = try await TnxProcess.run(["-c", "delet 3fa85f64-5717-4562-b3fc-2c963f66afa6"], environment: env)
            #expect(syntax.status == 2)
            #expect(Self.lines(syntax.stderr).last?.hasPrefix("tnx: exit 2: stopped by the error above") == true, "\(syntax.stderr)")

            var noKey = env
            noKey["TELNYX_API_KEY"] = nil
            let unauthorized = try await TnxProcess.run(["-c", "count recordings"], environment: noKey)
            #expect(unauthorized.status == 3)
            #expect(Self.lines(unauthorized.stderr).last?.hasPrefix("tnx: exit 3: ") == true, "\(unauthorized.stderr)")

            let file = try scratch.write("ids.txt", Sandbox.seededIDs(count: 200).joined(separator: "\n"))
            let running = TnxProcess.start(["--yes", "-c", "foreach id in \(file) delete $id"], environment: env)
            try await waitUntil { sandbox.deletedIDs.count >= 5 }
            running.signal(SIGTERM)
            let stopped = try await running.finish(timeout: .seconds(30))
            #expect(stopped.status == 143)
            let last = Self.lines(stopped.stderr).last ?? ""
            #expect(last.hasPrefix("tnx: exit 143: stopped by SIGTERM") && last.contains("--resume"), "\(stopped.stderr)")
        }
    }
}
