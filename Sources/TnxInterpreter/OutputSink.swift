import Synchronization
import TnxSystem

/// Where the reporter writes: stdout for results, stderr for diagnostics and progress.
/// A protocol so tests (and the REPL) can capture what a person would see.
public protocol OutputSink: Sendable {
    func write(_ text: String)
    /// Writes UTF-8 bytes (the fast path for JSON lines).
    func write(bytes: [UInt8])
    /// Writes the UTF-8 bytes that `body` appends (straight into the buffer, where there is one).
    func write(appending body: (inout [UInt8]) -> Void)
    /// Hands everything written so far to the kernel.
    func flush()
    /// Whether a person is looking: colour and progress lines only then.
    var isTerminal: Bool { get }
}

extension OutputSink {
    public func write(bytes: [UInt8]) { write(String(decoding: bytes, as: UTF8.self)) }

    public func write(appending body: (inout [UInt8]) -> Void) {
        var bytes: [UInt8] = []
        body(&bytes)
        write(bytes: bytes)
    }
}

/// Buffered output to a file descriptor: one `write(2)` per 64 KiB instead of one per line,
/// which matters when a bulk run prints a line for each of a million ids. On a terminal it
/// writes through, so a person sees each outcome as it happens.
public final class FileOutput: OutputSink {
    private let fd: Int32
    private let buffer = Mutex<[UInt8]>([])
    private let capacity: Int
    public let isTerminal: Bool

    public static let standardOutput = FileOutput(descriptor: 1)
    public static let standardError = FileOutput(descriptor: 2, capacity: 0)

    /// `capacity` 0 writes through at once (stderr, and any terminal).
    public init(descriptor: Int32, capacity: Int = 1 << 16) {
        self.fd = descriptor
        self.isTerminal = FileDescriptor.isTerminal(descriptor)
        self.capacity = isTerminal ? 0 : capacity
    }

    public func write(_ text: String) {
        buffer.withLock { bytes in
            bytes.append(contentsOf: text.utf8)
            if bytes.count >= capacity { Self.writeAll(fd, &bytes) }
        }
    }

    public func write(bytes more: [UInt8]) {
        buffer.withLock { bytes in
            bytes.append(contentsOf: more)
            if bytes.count >= capacity { Self.writeAll(fd, &bytes) }
        }
    }

    public func write(appending body: (inout [UInt8]) -> Void) {
        buffer.withLock { bytes in
            body(&bytes)
            if bytes.count >= capacity { Self.writeAll(fd, &bytes) }
        }
    }

    public func flush() {
        buffer.withLock { Self.writeAll(fd, &$0) }
    }

    private static func writeAll(_ fd: Int32, _ bytes: inout [UInt8]) {
        // EPIPE and friends: the reader went away; the output is dropped and the run goes on.
        FileDescriptor.writeAll(fd, bytes)
        bytes.removeAll(keepingCapacity: true)
    }
}

/// Collects output in memory, for tests.
public final class MemoryOutput: OutputSink {
    private let storage = Mutex<String>("")
    public let isTerminal: Bool

    public init(isTerminal: Bool = false) { self.isTerminal = isTerminal }

    public func write(_ text: String) { storage.withLock { $0 += text } }
    public func flush() {}
    public var text: String { storage.withLock { $0 } }
}
