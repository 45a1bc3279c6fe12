import Foundation
import TnxSandbox

/// The sandbox API for one test, and the environment that points the built tnx at it: where
/// the end-to-end suites start (`Sandbox.with` owns the sandbox's setup and teardown).
enum SandboxFixture {
    /// A sandbox, and the environment that points tnx at it (its key and base URL), for the
    /// length of `body`.
    static func with<T>(
        seed: Int = 200, faults: SandboxFaults = .none, scratch: Scratch,
        _ body: (Sandbox, [String: String]) async throws -> T
    ) async throws -> T {
        try await Sandbox.with(seed: seed, faults: faults) { sandbox in
            let env = TnxProcess.environment(
                stateHome: scratch.path,
                extra: ["TELNYX_API_KEY": Sandbox.defaultAPIKey, "TELNYX_BASE_URL": sandbox.baseURL])
            return try await body(sandbox, env)
        }
    }

    /// The sandbox, and an environment with no key and no base URL: a profile gives them.
    static func withoutConnection<T>(
        scratch: Scratch, _ body: (Sandbox, [String: String]) async throws -> T
    ) async throws -> T {
        try await with(seed: 50, scratch: scratch) { sandbox, env in
            var bare = env
            bare["TELNYX_API_KEY"] = nil
            bare["TELNYX_BASE_URL"] = nil
            return try await body(sandbox, bare)
        }
    }
}

/// What a run of tnx wrote as JSON lines: its journal, and the outcomes on its stdout.
enum JSONLines {
    /// The journal's lines as JSON objects.
    static func journal(_ scratch: Scratch, _ name: String = "state/tnx/journal.jsonl") -> [[String: Any]] {
        (scratch.read(name) ?? "").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// The ids the journal says were deleted.
    static func journaledDeleted(_ scratch: Scratch, _ name: String = "state/tnx/journal.jsonl") -> Set<String> {
        Set(journal(scratch, name).filter { $0["outcome"] as? String == "deleted" }.compactMap { $0["id"] as? String })
    }

    /// The outcome lines of `--output json` (not the summary, not the notes).
    static func outcomes(_ stdout: String) -> [[String: Any]] {
        stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["outcome"] != nil }
    }
}

/// Polls `condition` every 10 ms until it holds or `timeout` has passed (then returns all the
/// same: the test's own expectations say what was missing).
func waitUntil(_ timeout: Duration = .seconds(30), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
}
