import TnxSystem

/// One id-bearing line of an id file: trimmed, not blank, not a comment.
public struct IDLine: Sendable, Hashable {
    /// 1-based line number in the file, for `ids.txt:17` messages.
    public var number: Int
    public var text: String
}

/// Why an id source could not be read.
public struct IDSourceError: Error, Sendable, CustomStringConvertible {
    public var description: String
    /// Reading stopped because `stop()` was called (Ctrl-C), not because of the input.
    public var stopped = false
}

/// Streams the id lines of a file or of stdin with constant memory, however long the file.
///
/// The format users rely on: one id per line; blank lines and lines starting with `#`
/// skipped; CRLF, a UTF-8 BOM and surrounding spaces or tabs tolerated. A line longer than
/// `maximumLineLength` is returned truncated (it is invalid anyway) instead of being
/// buffered whole.
public final class IDLineReader {
    /// Longest id line kept: an id is at most 128 characters, so anything longer is invalid
    /// anyway and is not buffered whole.
    public static let maximumLineLength = 4096

    public let name: String
    private let maximumLineLength: Int
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var eof = false
    private var lineNumber = 0
    private var atFileStart = true
    /// A pipe, FIFO, terminal or socket: it may be silent for a long time, so every read waits
    /// in short slices and `stop()` ends the wait.
    public let isStream: Bool
    /// Asked while a read of a stream waits (every 100 ms): true ends the wait with
    /// `IDSourceError.stopped`.
    public var shouldStop: (@Sendable () -> Bool)?

    /// Opens `path` for reading. The message of a failure names the file and the reason.
    public init(path: String, maximumLineLength: Int = IDLineReader.maximumLineLength) throws(IDSourceError) {
        let fd: Int32
        switch FileDescriptor.openForReading(path) {
        case .success(let opened): fd = opened
        case .failure(let error): throw IDSourceError(description: "cannot read id file '\(path)': \(error)")
        }
        let kind = FileDescriptor.kind(fd)
        if kind == .directory {
            FileDescriptor.close(fd)
            throw IDSourceError(description: "cannot read id file '\(path)': it is a directory")
        }
        self.isStream = kind == .stream
        self.name = path
        self.fd = fd
        self.ownsDescriptor = true
        self.maximumLineLength = maximumLineLength
        self.buffer = [UInt8](repeating: 0, count: 1 << 16)
    }

    /// Reads from an open descriptor (stdin) that the caller keeps open.
    public init(descriptor: Int32, name: String) {
        self.isStream = !FileDescriptor.kind(descriptor).isRegular
        self.name = name
        self.fd = descriptor
        self.ownsDescriptor = false
        self.maximumLineLength = IDLineReader.maximumLineLength
        self.buffer = [UInt8](repeating: 0, count: 1 << 16)
    }

    deinit {
        if ownsDescriptor { FileDescriptor.close(fd) }
    }

    /// Whether a whole line (or the last one) is already buffered: reading it needs no `read`.
    private var hasBufferedLine: Bool {
        if eof { return start < end }
        return firstNewline(from: start) != nil
    }

    /// The next id line, or nil at the end of the input.
    public func next() throws(IDSourceError) -> IDLine? {
        switch try read(mayWait: true) {
        case .line(let line): return line
        case .end, .needsInput: return nil
        }
    }

    /// What `read(mayWait:)` found.
    public enum Read {
        case line(IDLine)
        /// A stream has no whole line buffered, and `mayWait` was false.
        case needsInput
        case end
    }

    /// The next id line; with `mayWait` false, a stream that would have to wait for more input
    /// answers `.needsInput` instead (so lines already read can be used at once).
    public func read(mayWait: Bool) throws(IDSourceError) -> Read {
        while true {
            if !mayWait, isStream, !hasBufferedLine { return .needsInput }
            guard let raw = try nextRawLine() else { return .end }
            lineNumber += 1
            let isFirst = atFileStart
            atFileStart = false
            let text: String?
            switch raw {
            case .buffered(let s, let e):
                text = buffer.withUnsafeBufferPointer { Self.idText(UnsafeBufferPointer(rebasing: $0[s..<e]), isFirst) }
            case .truncated(let bytes):
                text = bytes.withUnsafeBufferPointer { Self.idText($0, isFirst) }
            }
            if let text { return .line(IDLine(number: lineNumber, text: text)) }
        }
    }

    /// The id a raw line holds, or nil for a blank or comment line.
    private static func idText(_ line: UnsafeBufferPointer<UInt8>, _ isFirst: Bool) -> String? {
        var s = 0
        var e = line.count
        if isFirst, e >= 3, line[0] == 0xEF, line[1] == 0xBB, line[2] == 0xBF { s = 3 }
        while s < e, line[s] == 0x20 || line[s] == 0x09 { s += 1 }
        while e > s, line[e - 1] == 0x20 || line[e - 1] == 0x09 || line[e - 1] == 0x0D { e -= 1 }
        if s == e || line[s] == UInt8(ascii: "#") { return nil }
        return String(decoding: UnsafeBufferPointer(rebasing: line[s..<e]), as: UTF8.self)
    }

    private enum RawLine {
        case buffered(Int, Int)
        case truncated([UInt8])
    }

    /// The next line without its `\n`; a line longer than `maximumLineLength` is cut there
    /// and the rest of it skipped.
    private func nextRawLine() throws(IDSourceError) -> RawLine? {
        var scanFrom = start
        while true {
            if let nl = firstNewline(from: scanFrom) {
                let line = RawLine.buffered(start, nl)
                start = nl + 1
                return line
            }
            if end - start >= maximumLineLength {
                let kept = Array(buffer[start..<(start + maximumLineLength)])
                try skipToNextLine()
                return .truncated(kept)
            }
            if eof {
                if start == end { return nil }
                let line = RawLine.buffered(start, end)
                start = end
                return line
            }
            let scanned = end - start
            try fill()
            scanFrom = start + scanned
        }
    }

    private func firstNewline(from: Int) -> Int? {
        var i = from
        while i < end {
            if buffer[i] == 0x0A { return i }
            i += 1
        }
        return nil
    }

    /// Moves unread bytes to the front and reads more.
    private func fill() throws(IDSourceError) {
        if start > 0 {
            // The unread bytes move to the front (the array keeps its size).
            let count = end - start
            buffer.replaceSubrange(0..<count, with: buffer[start..<end])
            end = count
            start = 0
        }
        if end == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
        if isStream {
            while !FileDescriptor.waitForInput(fd, milliseconds: 100) {
                if shouldStop?() == true {
                    throw IDSourceError(description: "reading '\(name)' was stopped", stopped: true)
                }
            }
        }
        let n = buffer.withUnsafeMutableBufferPointer { p in
            FileDescriptor.read(fd, into: p.baseAddress! + end, count: p.count - end)
        }
        if n < 0 {
            throw IDSourceError(description: "cannot read id file '\(name)': \(SystemError(Int32(-n)))")
        }
        if n == 0 { eof = true }
        end += n
    }

    /// Discards input up to and including the next newline (or to the end).
    private func skipToNextLine() throws(IDSourceError) {
        start = end
        while true {
            if let nl = firstNewline(from: start) {
                start = nl + 1
                return
            }
            start = end
            if eof { return }
            try fill()
        }
    }
}
