#if canImport(Glibc)
import Glibc
#endif
import TnxSystem

/// `tnx --sandbox`: the sandbox API served by the `tnx-sandbox` executable next to `tnx`, as a
/// child process.
///
/// The sandbox lives in its own executable so that tnx does not carry a web server and full
/// Foundation in its memory (see `tnx-sandbox`). The child runs in its own process group, so a
/// Ctrl-C typed at tnx's terminal reaches tnx only, and it serves until its stdin (a pipe whose
/// other end only tnx holds) closes: when tnx stops, however abruptly, the sandbox stops too.
final class SandboxProcess: Sendable {
    let pid: pid_t
    /// `http://127.0.0.1:PORT/v2`.
    let baseURL: String
    /// The key the sandbox accepts.
    let apiKey: String
    /// The write end of the child's stdin; closing it stops the child.
    private let lifeline: Int32

    struct Failure: Error {
        var message: String
    }

    private init(pid: pid_t, baseURL: String, apiKey: String, lifeline: Int32) {
        self.pid = pid
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.lifeline = lifeline
    }

    /// Where `tnx-sandbox` must be: beside the running `tnx`.
    static var executablePath: String {
        Executable.directory + "/tnx-sandbox"
    }

    /// Starts `tnx-sandbox` seeded with `seed` recordings and waits (at most `timeoutSeconds`)
    /// for the base URL and key it prints.
    static func start(seed: Int, latencyMs: Int, timeoutSeconds: Int32 = 30) -> Result<SandboxProcess, Failure> {
        let path = executablePath
        guard access(path, X_OK) == 0 else {
            return .failure(Failure(message: "--sandbox needs the tnx-sandbox program beside tnx, at \(path): \(String(cString: strerror(errno))); build it with `swift build --product tnx-sandbox`"))
        }
        var toChild: [Int32] = [-1, -1]
        var fromChild: [Int32] = [-1, -1]
        guard pipe(&toChild) == 0 else { return .failure(Failure(message: "--sandbox: pipe: \(String(cString: strerror(errno)))")) }
        guard pipe(&fromChild) == 0 else {
            close(toChild[0]); close(toChild[1])
            return .failure(Failure(message: "--sandbox: pipe: \(String(cString: strerror(errno)))"))
        }
        // tnx starts no other program, so no other child can inherit these between the two calls.
        for fd in toChild + fromChild { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // tnx blocks the stop signals in every thread (one watcher takes them); the child must
        // not inherit that, nor share tnx's process group, where the terminal's Ctrl-C would
        // reach it.
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in StopSignals.all + [SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let arguments = [path, "--seed", String(seed), "--latency-ms", String(latencyMs), "--until-stdin-closes"]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        close(toChild[0])
        close(fromChild[1])
        guard spawned == 0 else {
            close(toChild[1]); close(fromChild[0])
            return .failure(Failure(message: "--sandbox: could not start \(path): \(String(cString: strerror(spawned)))"))
        }
        let child = fromChild[0]
        defer { close(child) }

        // Its stdout: the base URL, then the key, one line each.
        var line: [UInt8] = []
        var deadline = timeoutSeconds * 1000
        while line.count(where: { $0 == UInt8(ascii: "\n") }) < 2 {
            var poller = pollfd(fd: child, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 100)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 {
                deadline -= 100
                if deadline <= 0 { break }
                continue
            }
            var chunk = [UInt8](repeating: 0, count: 256)
            let n = read(child, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            line += chunk[..<n]
        }
        let lines = String(decoding: line, as: UTF8.self).split(separator: "\n").map(String.init)
        let text = lines.first ?? ""
        let process = SandboxProcess(pid: pid, baseURL: text, apiKey: lines.count > 1 ? lines[1] : "", lifeline: toChild[1])
        guard text.hasPrefix("http://"), lines.count > 1 else {
            process.stop()
            return .failure(Failure(message: "--sandbox: \(path) did not start (see the message above, if any)"))
        }
        return .success(process)
    }

    /// Stops the child and waits for it: closing its stdin ends it; SIGKILL after 5 s.
    func stop() {
        close(lifeline)
        var status: Int32 = 0
        for _ in 0..<500 {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped < 0 && errno != EINTR) { return }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
