import AsyncHTTPClient
import AudioCheck
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import TnxSystem

/// What a media request got: the status and headers, and for an error a little of its body
/// (storage explains itself in XML).
struct MediaAnswer: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var errorBody: ByteBuffer

    /// `Content-Length`, parsed totally (digits only, at most 15 of them).
    var contentLength: Int? {
        guard let text = headers.first(name: "content-length"), !text.isEmpty, text.utf8.count <= 15,
            text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return Int(text)
    }

    /// The whole size of the media, from a 206's `Content-Range: bytes 0-0/SIZE` or a 200's
    /// `Content-Length`; parsed totally.
    var totalSize: Int? {
        if status == 206 {
            guard let range = headers.first(name: "content-range"), let slash = range.lastIndex(of: "/") else { return nil }
            let digits = range[range.index(after: slash)...]
            guard !digits.isEmpty, digits.utf8.count <= 15, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            return Int(digits)
        }
        return contentLength
    }

    /// A `Content-Encoding` other than `identity` (tnx asks for `identity`), printable.
    var contentEncoding: String? {
        let values = headers[canonicalForm: "content-encoding"].map { String($0.filter { $0 != " " && $0 != "\t" }).lowercased() }
        return values.first { !$0.isEmpty && $0 != "identity" }
    }

    /// Whether the body can be a recording's media: `audio/*`, a generic binary type, or no
    /// type at all. A 200 with an HTML page (a proxy's, a captive portal's) is not a copy.
    var looksLikeMedia: Bool {
        guard let type = headers.first(name: "content-type")?.lowercased().split(separator: ";").first?.filter({ !$0.isWhitespace }) else {
            return true
        }
        return type.hasPrefix("audio/") || type == "application/octet-stream" || type == "binary/octet-stream"
    }

    /// `AccessDenied: Request has expired`, from an S3-style XML error, printable only.
    var storageMessage: String? {
        let text = String(buffer: errorBody)
        func element(_ name: String) -> String? {
            guard let open = text.firstRange(of: "<\(name)>"), let close = text[open.upperBound...].firstRange(of: "</\(name)>") else { return nil }
            let value = RecordingsClient.printable(text[open.upperBound..<close.lowerBound], limit: 200)
            return value.isEmpty ? nil : value
        }
        switch (element("Code"), element("Message")) {
        case (let code?, let message?): return "\(code): \(message)"
        case (let code?, nil): return code
        case (nil, let message?): return message
        default: return nil
        }
    }
}

/// The `.partial` file a download streams into: a name of its own (created new, never through
/// a link), so two runs downloading the same recording into one directory never write into
/// each other's file, and locked (`flock`) from its creation until the caller has renamed or
/// removed it (`close`, `discard`), so another run can tell it is alive
/// (`PipelineRunner.sweepPartials`). Chunks are hashed, checked as audio
/// (`AudioScanner`, on the same bytes: no second read) and written on NIO's thread pool, one at a time (the
/// receiver waits for each before it reads the next: that is the backpressure that keeps
/// memory flat). Every other file operation goes to the same pool: nothing here blocks the
/// cooperative pool or an event loop, and the descriptor is never closed under a write.
public final class MediaFileWriter: Sendable {
    public let path: String
    private struct State {
        var fd: Int32
        var bytes = 0
        var hash = SHA256()
        var scanner: AudioScanner
        var failure: SystemError?
        /// Body parts not written yet: they go to the pool `writeSize` at a time.
        var pending = ByteBuffer()
    }
    private let state: NIOLockedValueBox<State>
    private let format: AudioFormat

    /// Bytes gathered before a write. Body parts come 16–64 KiB at a time, and a trip to the
    /// pool for each (a wake-up, a lock, a write, a `sync_file_range`) made the downloads of the
    /// bench CPU-bound on two cores; 512 KiB at a time took 200 files of 5 MB from 1.72 s to
    /// about 1.4 s (BENCHMARKS.md). 16 downloads hold about 9 MiB this way.
    static let writeSize = 512 * 1024

    private init(path: String, fd: Int32, format: AudioFormat) {
        self.path = path
        self.format = format
        state = NIOLockedValueBox(State(fd: fd, scanner: AudioScanner(expecting: format)))
    }

    deinit {
        // Only when a writer is dropped without `close` or `discard` (a bug): no leak.
        state.withLockedValue { if $0.fd >= 0 { FileDescriptor.close($0.fd) } }
    }

    /// Runs `body` on NIO's thread pool and waits for it, **whatever happens to the calling
    /// task**: the pool's `async` `runIfActive` drops work whose task was cancelled, so a
    /// Ctrl-C during a download made the removal of its `.partial` file never run and every
    /// file operation look like an I/O error ("free some space"). The future-based call
    /// always runs `body` while the pool is up.
    private static func onPool<T: Sendable>(_ body: @escaping @Sendable () -> T, otherwise: T) async -> T {
        (try? await NIOThreadPool.singleton.runIfActive(eventLoop: MultiThreadedEventLoopGroup.singleton.any(), body).get()) ?? otherwise
    }

    /// Creates `path`, which must not exist, mode 0600, and locks it; its bytes must be a
    /// whole file of `format`.
    static func create(_ path: String, format: AudioFormat) async -> Result<MediaFileWriter, SystemError> {
        await onPool(
            {
                FileDescriptor.createNewLocked(path).map { MediaFileWriter(path: path, fd: $0, format: format) }
            }, otherwise: .failure(SystemError(5)))
    }

    /// Empties the file for another attempt.
    func restart() async -> SystemError? {
        await Self.onPool(
            { [self] in
                state.withLockedValue { s in
                    s.bytes = 0
                    s.hash = SHA256()
                    s.scanner = AudioScanner(expecting: format)
                    s.pending.clear()
                    if let failure = s.failure { return failure }
                    if let error = FileDescriptor.truncate(s.fd) { s.failure = error }
                    return s.failure
                }
            }, otherwise: SystemError(5))
    }

    /// The first write that failed (disk full, I/O error).
    func failure() async -> SystemError? {
        await Self.onPool({ [self] in state.withLockedValue { $0.failure } }, otherwise: SystemError(5))
    }

    /// Gathers `buffer`; once `writeSize` bytes are there, hashes and writes them on the
    /// thread pool, and the future (which the receiver waits for before it reads on) completes
    /// when they are written, or fails when the write does. The receiver calls it one part at a
    /// time, never while a write is on the pool.
    func write(_ buffer: ByteBuffer, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let full = state.withLockedValue { s -> Bool in
            var part = buffer
            // Room for a whole write and one more part, once: a buffer that grows by doubling
            // would hold twice that in each of 16 downloads.
            if s.pending.capacity == 0 { s.pending.reserveCapacity(Self.writeSize + 64 * 1024) }
            s.pending.writeBuffer(&part)
            return s.pending.readableBytes >= Self.writeSize
        }
        guard full else { return eventLoop.makeSucceededVoidFuture() }
        return NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) { [self] in
            try state.withLockedValue { s in try Self.writePending(&s) }
        }
    }

    /// Hashes and writes what is gathered. Called with the lock held, on the pool.
    private static func writePending(_ s: inout State) throws(SystemError) {
        if let failure = s.failure { throw failure }
        let pending = s.pending
        guard pending.readableBytes > 0 else { return }
        var hash = s.hash
        var scanner = s.scanner
        let fd = s.fd
        let errno = pending.withUnsafeReadableBytes { bytes -> Int32? in
            hash.update(bufferPointer: bytes)
            scanner.feed(bytes)
            return FileDescriptor.writeAll(fd, bytes)
        }
        s.hash = hash
        s.scanner = scanner
        s.pending.clear()
        if let errno {
            s.failure = SystemError(errno)
            throw SystemError(errno)
        }
        // The disk starts on these bytes while the next ones arrive: the fsync at the end
        // would otherwise write the whole file at once (1 GB took 2.5 s here to flush).
        FileDescriptor.startWriteback(fd, offset: s.bytes, count: pending.readableBytes)
        s.bytes += pending.readableBytes
    }

    /// What the file holds, once flushed and closed.
    struct Written: Sendable {
        var bytes: Int
        var sha256: String
        /// The bytes read as `format`: a whole file and its playing time, or why not.
        var audio: Result<AudioSummary, AudioProblem>
    }

    /// `fsync` and a check that the file holds every byte received: the byte count, SHA-256
    /// (hex) and audio check of what is on the disk, or what failed. The file stays open, and
    /// so locked, until `close` (after the caller renamed it) or `discard`.
    func sync() async -> Result<Written, SystemError> {
        await Self.onPool(
            { [self] in
                state.withLockedValue { s in
                    do throws(SystemError) {
                        try Self.writePending(&s)
                    } catch {
                        return .failure(error)
                    }
                    if let error = FileDescriptor.sync(s.fd) { return .failure(error) }
                    guard case .regular(let size) = FileDescriptor.kind(s.fd), size == s.bytes else { return .failure(SystemError(5)) }
                    return .success(Written(bytes: s.bytes, sha256: MediaHash.hex(digest: s.hash.finalize()), audio: s.scanner.finish()))
                }
            }, otherwise: .failure(SystemError(5)))
    }

    /// Removes the file, then closes it (so it is never there unlocked): nothing is left of a
    /// download that failed.
    public func discard() async {
        await Self.onPool(
            { [self] in
                state.withLockedValue { s in
                    FileDescriptor.remove(path)
                    if s.fd >= 0 { FileDescriptor.close(s.fd) }
                    s.fd = -1
                }
            }, otherwise: ())
    }

    /// Closes the file, which drops its lock: call it once the file is renamed into place.
    public func close() async {
        await Self.onPool(
            { [self] in
                state.withLockedValue { s in
                    if s.fd >= 0 { FileDescriptor.close(s.fd) }
                    s.fd = -1
                }
            }, otherwise: ())
    }
}

/// Receives one media response: a 200's body goes to the file (if any), an error's first 4 KiB
/// are kept. A body silent for `idleTimeout` fails the request: the shared client has no read
/// timeout of its own, and a whole-body deadline would cut off a big file on a slow line.
final class MediaReceiver: HTTPClientResponseDelegate, Sendable {
    typealias Response = MediaAnswer

    private struct State {
        var head: HTTPResponseHead?
        var errorBody = ByteBuffer()
        var lastProgress = NIODeadline.now()
        var timedOut = false
        var watchdog: RepeatedTask?
    }
    private let state = NIOLockedValueBox(State())
    private let file: MediaFileWriter?
    private let idleTimeout: TimeAmount
    /// Only the head is wanted (the size of a media file): the body is not read.
    private let headOnly: Bool

    init(file: MediaFileWriter?, idleTimeout: Duration, headOnly: Bool = false) {
        self.file = file
        self.idleTimeout = .nanoseconds(max(Int64(idleTimeout.nanosecondsClamped), 1_000_000))
        self.headOnly = headOnly
    }

    /// What ends a request once its head is there, when only the head is wanted.
    struct HeadReceived: Error {}

    /// Starts the idle watchdog of `task`.
    func watch(_ task: HTTPClient.Task<MediaAnswer>) {
        let every = TimeAmount.nanoseconds(max(idleTimeout.nanoseconds / 4, 10_000_000))
        let watchdog = task.eventLoop.scheduleRepeatedTask(initialDelay: every, delay: every) { [self] repeated in
            let idle = state.withLockedValue { s -> Bool in
                guard NIODeadline.now() - s.lastProgress > idleTimeout else { return false }
                s.timedOut = true
                return true
            }
            if idle {
                repeated.cancel()
                task.fail(reason: HTTPClientError.readTimeout)
            }
        }
        state.withLockedValue { $0.watchdog = watchdog }
        task.futureResult.whenComplete { [self] _ in
            state.withLockedValue { $0.watchdog?.cancel() }
        }
    }

    var timedOut: Bool { state.withLockedValue { $0.timedOut } }

    var partialAnswer: MediaAnswer? {
        state.withLockedValue { s in s.head.map { MediaAnswer(status: Int($0.status.code), headers: $0.headers, errorBody: s.errorBody) } }
    }

    func didReceiveHead(task: HTTPClient.Task<MediaAnswer>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        state.withLockedValue {
            $0.head = head
            $0.lastProgress = .now()
        }
        return headOnly ? task.eventLoop.makeFailedFuture(HeadReceived()) : task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<MediaAnswer>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        let isMedia = state.withLockedValue { s -> Bool in
            s.lastProgress = .now()
            guard s.head?.status == .ok else {
                var part = buffer
                if s.errorBody.readableBytes < 4096, let slice = part.readSlice(length: min(part.readableBytes, 4096 - s.errorBody.readableBytes)) {
                    s.errorBody.writeImmutableBuffer(slice)
                }
                return false
            }
            return true
        }
        guard isMedia, let file else { return task.eventLoop.makeSucceededVoidFuture() }
        // A slow disk holds the next part back: its write counts as progress too.
        return file.write(buffer, on: task.eventLoop).map { [self] in state.withLockedValue { $0.lastProgress = .now() } }
    }

    func didFinishRequest(task: HTTPClient.Task<MediaAnswer>) throws -> MediaAnswer {
        guard let answer = partialAnswer else { throw HTTPClientError.remoteConnectionClosed }
        return answer
    }
}
