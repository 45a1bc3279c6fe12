import TnxSystem

/// `tnx --sandbox`: the sandbox API served by the `tnx-sandbox` executable next to `tnx`, as a
/// child process.
///
/// The sandbox lives in its own executable so that tnx does not carry a web server and full
/// Foundation in its memory (see `tnx-sandbox`). The child runs in its own process group, so a
/// Ctrl-C typed at tnx's terminal reaches tnx only, and it serves until its stdin (a pipe whose
/// other end only tnx holds) closes: when tnx stops, however abruptly, the sandbox stops too.
final class SandboxProcess: Sendable {
    /// Its stdin is the lifeline: closing it stops the child.
    let child: ChildProcess
    /// `http://127.0.0.1:PORT/v2`.
    let baseURL: String
    /// The key the sandbox accepts.
    let apiKey: String

    struct Failure: Error {
        var message: String
    }

    private init(child: ChildProcess, baseURL: String, apiKey: String) {
        self.child = child
        self.baseURL = baseURL
        self.apiKey = apiKey
    }

    /// Where `tnx-sandbox` must be: beside the running `tnx`.
    static var executablePath: String {
        Executable.directory + "/tnx-sandbox"
    }

    /// Starts `tnx-sandbox` seeded with `seed` recordings and waits (at most `timeoutSeconds`)
    /// for the base URL and key it prints.
    static func start(seed: Int, latencyMs: Int, timeoutSeconds: Int = 30) -> Result<SandboxProcess, Failure> {
        let path = executablePath
        guard FileKind.of(path).isRegular else {
            return .failure(Failure(message: "--sandbox needs the tnx-sandbox program beside tnx, at \(path): \(Directories.unreadable(path) ?? "it is not a file"); build it with `swift build --product tnx-sandbox`"))
        }
        // The child must not inherit what tnx blocks or ignores: the stop signals (one watcher
        // takes them in tnx) and SIGPIPE.
        let arguments = [path, "--seed", String(seed), "--latency-ms", String(latencyMs), "--until-stdin-closes"]
        let child: ChildProcess
        switch ChildProcess.spawn(arguments, resetting: StopSignals.all + StopSignals.ignoredWhileWriting) {
        case .success(let started): child = started
        case .failure(let error): return .failure(Failure(message: "--sandbox: could not start \(path): \(error)"))
        }
        defer { FileDescriptor.close(child.stdout) }

        // Its stdout: the base URL, then the key, one line each.
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        while received.count(where: { $0 == UInt8(ascii: "\n") }) < 2, ContinuousClock.now < deadline {
            guard FileDescriptor.waitForInput(child.stdout, milliseconds: 100) else { continue }
            var chunk = [UInt8](repeating: 0, count: 256)
            let n = chunk.withUnsafeMutableBytes { FileDescriptor.read(child.stdout, into: $0.baseAddress!, count: $0.count) }
            if n <= 0 { break }
            received += chunk[..<n]
        }
        let lines = String(decoding: received, as: UTF8.self).split(separator: "\n").map(String.init)
        let text = lines.first ?? ""
        let process = SandboxProcess(child: child, baseURL: text, apiKey: lines.count > 1 ? lines[1] : "")
        guard text.hasPrefix("http://"), lines.count > 1 else {
            process.stop()
            return .failure(Failure(message: "--sandbox: \(path) did not start (see the message above, if any)"))
        }
        return .success(process)
    }

    /// Stops the child and waits for it: closing its stdin ends it; SIGKILL after 5 s.
    func stop() {
        FileDescriptor.close(child.stdin)
        child.waitOrKill(after: .seconds(5))
    }
}
