import Foundation
import Synchronization

/// Runs the `tnx` binary that `swift build` put beside the test bundle, the way a user
/// would: arguments, environment, stdin, and its exit status and output.
struct TnxProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `.build/<triple>/debug/tnx`, next to the test bundle; `TNX_TEST_BINARY` names another
    /// (to check that a new test fails on an older tnx).
    static var binary: String {
        if let other = ProcessInfo.processInfo.environment["TNX_TEST_BINARY"] { return other }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidate = bundle.appendingPathComponent("tnx").path
        if !FileManager.default.isExecutableFile(atPath: candidate) {
            // Some runners start the tests from inside the .xctest bundle.
            candidate = bundle.deletingLastPathComponent().appendingPathComponent("tnx").path
        }
        return candidate
    }

    /// A clean environment: no key, journal and history in a private state directory.
    static func environment(stateHome: String, extra: [String: String] = [:]) -> [String: String] {
        var env = ["PATH": "/usr/bin:/bin", "HOME": stateHome, "XDG_STATE_HOME": stateHome + "/state", "NO_COLOR": "1"]
        env.merge(extra) { $1 }
        return env
    }

    /// Runs tnx to completion (at most `timeout`), feeding `stdin`.
    static func run(
        _ arguments: [String], environment: [String: String], stdin: String? = nil, timeout: Duration = .seconds(120),
        executable: String = TnxProcess.binary
    ) async throws -> Result {
        let process = start(arguments, environment: environment, stdin: stdin, executable: executable)
        return try await process.finish(timeout: timeout)
    }

    static func start(
        _ arguments: [String], environment: [String: String], stdin: String? = nil, keepStdinOpen: Bool = false,
        executable: String = TnxProcess.binary, launcher: [String] = []
    ) -> Running {
        Running(
            arguments: arguments, environment: environment, stdin: stdin, keepStdinOpen: keepStdinOpen, executable: executable,
            launcher: launcher)
    }

    /// A tnx process that is still running (for signals).
    final class Running {
        let process = Process()
        private let outPipe = Pipe()
        private let errPipe = Pipe()
        private let outData = LockedData()
        private let errData = LockedData()

        private let inPipe = Pipe()

        /// `launcher` runs first with tnx and its arguments appended (e.g. `sh -c 'ulimit -f 2;
        /// exec "$0" "$@"'`).
        init(
            arguments: [String], environment: [String: String], stdin: String?, keepStdinOpen: Bool = false, executable: String,
            launcher: [String] = []
        ) {
            if let first = launcher.first {
                process.executableURL = URL(fileURLWithPath: first)
                process.arguments = Array(launcher.dropFirst()) + [executable] + arguments
            } else {
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = arguments
            }
            process.environment = environment
            process.standardOutput = outPipe
            process.standardError = errPipe
            let inPipe = self.inPipe
            process.standardInput = inPipe
            let outData = self.outData
            let errData = self.errData
            outPipe.fileHandleForReading.readabilityHandler = { handle in outData.append(handle.availableData) }
            errPipe.fileHandleForReading.readabilityHandler = { handle in errData.append(handle.availableData) }
            try! process.run()
            if keepStdinOpen {
                if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
            } else if let stdin {
                let writer = inPipe.fileHandleForWriting
                DispatchQueue.global().async {
                    writer.write(Data(stdin.utf8))
                    try? writer.close()
                }
            } else {
                try? inPipe.fileHandleForWriting.close()
            }
        }

        /// With `keepStdinOpen`: writes more input.
        func writeStdin(_ text: String) { inPipe.fileHandleForWriting.write(Data(text.utf8)) }

        /// With `keepStdinOpen`: ends the input.
        func closeStdin() { try? inPipe.fileHandleForWriting.close() }

        var isRunning: Bool { process.isRunning }

        var stdoutSoFar: String { outData.string }
        var stderrSoFar: String { errData.string }

        func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

        /// Waits without blocking a thread of the concurrency pool: tests run in parallel, and
        /// the in-process sandboxes of other tests need those threads.
        func finish(timeout: Duration) async throws -> Result {
            let deadline = ContinuousClock.now + timeout
            while process.isRunning {
                if ContinuousClock.now > deadline {
                    process.terminate()
                    throw TimeoutError(description: "tnx did not finish within \(timeout); stderr: \(errData.string)")
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            process.waitUntilExit()
            // Drain what is left in the pipes.
            outPipe.fileHandleForReading.readabilityHandler = nil
            errPipe.fileHandleForReading.readabilityHandler = nil
            outData.append(outPipe.fileHandleForReading.readDataToEndOfFile())
            errData.append(errPipe.fileHandleForReading.readDataToEndOfFile())
            return Result(status: process.terminationStatus, stdout: outData.string, stderr: errData.string)
        }
    }

    struct TimeoutError: Error, CustomStringConvertible {
        var description: String
    }
}

/// Bytes appended from a pipe's handler thread and read from the test.
final class LockedData: Sendable {
    private let data = Mutex<Data>(Data())
    func append(_ more: Data) { data.withLock { $0.append(more) } }
    var string: String { data.withLock { String(decoding: $0, as: UTF8.self) } }
}


/// A scratch directory for one test, removed afterwards.
final class Scratch {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "tnx-e2e-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    func read(_ name: String) -> String? {
        try? String(contentsOfFile: path + "/" + name, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
