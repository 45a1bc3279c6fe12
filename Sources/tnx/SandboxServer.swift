import LineEditor
import TnxInterpreter
import TnxSandbox

/// `tnx --serve-sandbox`: the sandbox API as a standalone server on loopback, for benchmarks
/// and for trying other clients against the same fake. Prints its base URL, then serves until
/// Ctrl-C or SIGTERM.
enum SandboxServer {
    static func run(_ command: TnxCommand, interrupts: InterruptWatcher) -> Int32 {
        var configured = SandboxFaults.none
        configured.latency = .milliseconds(command.latencyMs)
        let faults = configured
        let started: Result<Sandbox, SandboxStartError> = runBlocking {
            do {
                return .success(try await Sandbox.start(port: command.port, seed: command.seed, faults: faults))
            } catch {
                return .failure(SandboxStartError(message: "\(error)"))
            }
        }
        guard case .success(let sandbox) = started else {
            if case .failure(let error) = started { FileOutput.standardError.write("tnx: error: \(error.message)\n") }
            return 2
        }
        FileOutput.standardOutput.write(sandbox.baseURL + "\n")
        FileOutput.standardOutput.flush()
        FileOutput.standardError.write(
            "sandbox: \(command.seed) recordings, key \(Sandbox.defaultAPIKey), latency \(command.latencyMs) ms; Ctrl-C stops\n")
        _ = runBlocking(cancellingOn: interrupts) {
            await sandbox.runUntilCancelled()
            return 0
        }
        runBlocking { await sandbox.stop() }
        return 0
    }

    struct SandboxStartError: Error {
        var message: String
    }
}
