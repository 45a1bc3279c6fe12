import Foundation
import Testing
import TnxSandbox
import TnxSystem

@testable import TelnyxRecordings

/// Retries quickly so the suite stays fast; the shape of the policy is the real one.
let fastPolicy = RetryPolicy(
    maxAttempts: 5, maxRateLimitedAttempts: 10, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50),
    jitter: 0.25, maxServerDelay: .seconds(5))

/// Runs `body` against a fresh sandbox, and stops the sandbox whatever happens.
func withSandbox<T>(
    seed: Int = 20, faults: SandboxFaults = .none, _ body: (Sandbox) async throws -> T
) async throws -> T {
    try await Sandbox.with(seed: seed, faults: faults, body)
}

/// Runs `body` with a client of `baseURL`, shut down afterwards.
func withClient<T>(
    baseURL: String, apiKey: String? = Sandbox.defaultAPIKey, policy: RetryPolicy = fastPolicy,
    requestTimeout: Duration = .seconds(10), connectTimeout: Duration = .seconds(2), maximumConnections: Int = 16,
    _ body: (RecordingsClient) async throws -> T
) async throws -> T {
    let configuration = try ClientConfiguration(
        apiKey: apiKey, baseURL: baseURL, connectTimeout: connectTimeout, requestTimeout: requestTimeout,
        retryPolicy: policy, maximumConnections: maximumConnections)
    let client = RecordingsClient(configuration: configuration)
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

func withSandboxClient<T>(
    seed: Int = 20, faults: SandboxFaults = .none, apiKey: String? = Sandbox.defaultAPIKey, policy: RetryPolicy = fastPolicy,
    requestTimeout: Duration = .seconds(10), maximumConnections: Int = 16,
    _ body: (Sandbox, RecordingsClient) async throws -> T
) async throws -> T {
    try await withSandbox(seed: seed, faults: faults) { sandbox in
        try await withClient(
            baseURL: sandbox.baseURL, apiKey: apiKey, policy: policy, requestTimeout: requestTimeout,
            maximumConnections: maximumConnections
        ) { client in
            try await body(sandbox, client)
        }
    }
}

func rid(_ raw: String) throws -> RecordingID { try RecordingID(raw) }

extension DeleteResult {
    var error: RecordingsError? {
        switch self {
        case .failed(let e), .notFound(let e): e
        default: nil
        }
    }

    var deleted: DeletedRecording? {
        if case .deleted(let d) = self { d } else { nil }
    }

    var isNotFound: Bool {
        if case .notFound = self { true } else { false }
    }
}

/// Seconds elapsed while running `body`.
func measure<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let value = try await body()
    return (value, (clock.now - start).inSeconds)
}

/// Waits (at most `timeout`) until `condition` holds.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let end = clock.now.advanced(by: timeout)
    while clock.now < end {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny blocking HTTP/1.1 client over a loopback socket, to send what `RecordingsClient`
/// never sends (other methods, other paths, no key). One request per connection.
struct URLSessionLess {
    var base: String

    struct Reply {
        var status: Int
        var body: String
    }

    struct Failure: Error {}

    func send(_ method: String, _ path: String, key: String?) async throws -> Reply {
        let port = UInt16(base.split(separator: ":").last.flatMap { Int($0) } ?? 80)
        return try await Task.detached { try Self.blockingSend(method, path, key: key, port: port) }.value
    }

    static func blockingSend(_ method: String, _ path: String, key: String?, port: UInt16) throws -> Reply {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure() }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw Failure() }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let key { request += "Authorization: Bearer \(key)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw Failure() }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            response.append(contentsOf: buffer[0..<n])
        }
        let text = String(decoding: response, as: UTF8.self)
        let statusLine = text.prefix(while: { $0 != "\r" })
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure() }
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        return Reply(status: status, body: body)
    }
}
