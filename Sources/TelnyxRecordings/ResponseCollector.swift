import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// What came back for one request: the status and headers, and as much of the body as tnx
/// reads.
struct HTTPAnswer: Sendable {
    var status: Int
    var headers: HTTPHeaders
    /// At most `ResponseCollector.maximumBodySize` bytes.
    var body: ByteBuffer
    /// False when the body was larger than tnx reads, or the connection broke before its end:
    /// the status is still known, and the answer is judged by it.
    var bodyComplete: Bool
}

/// Collects one response for `RecordingsClient`. Unlike AsyncHTTPClient's `ResponseAccumulator`
/// it keeps the status line when the body then goes wrong (too large, cut off): an answer is
/// judged by its status once the status is known, so a 200 with a 2 MiB body is a delete that
/// happened, not a network fault to retry.
final class ResponseCollector: HTTPClientResponseDelegate {
    typealias Response = HTTPAnswer

    /// Largest response body read; Telnyx answers are around 1 KB.
    static let maximumBodySize = 1 << 20

    private struct State {
        var head: HTTPResponseHead?
        var body = ByteBuffer()
        var complete = true
    }
    private let state = Mutex(State())
    private let limit: Int

    init(limit: Int = ResponseCollector.maximumBodySize) {
        self.limit = limit
    }

    /// Why the collector stopped reading a body.
    struct BodyTooLarge: Error {}

    func didReceiveHead(task: HTTPClient.Task<HTTPAnswer>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        let announced = head.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
        state.withLock {
            $0.head = head
            if announced > limit { $0.complete = false }
        }
        // A body announced larger than tnx reads is not read at all: the status says enough.
        return announced > limit ? task.eventLoop.makeFailedFuture(BodyTooLarge()) : task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<HTTPAnswer>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        let tooLarge = state.withLock { s -> Bool in
            var part = buffer
            let room = limit - s.body.readableBytes
            if part.readableBytes > room {
                if room > 0, let slice = part.readSlice(length: room) { s.body.writeImmutableBuffer(slice) }
                s.complete = false
                return true
            }
            s.body.writeBuffer(&part)
            return false
        }
        return tooLarge ? task.eventLoop.makeFailedFuture(BodyTooLarge()) : task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<HTTPAnswer>) throws -> HTTPAnswer {
        guard let answer = partialAnswer else { throw BodyTooLarge() }  // unreachable: a head always comes first
        return answer
    }

    /// What arrived before the request failed, when the status line did: the answer with the
    /// body marked incomplete.
    var partialAnswer: HTTPAnswer? {
        state.withLock { s in
            s.head.map { HTTPAnswer(status: Int($0.status.code), headers: $0.headers, body: s.body, bodyComplete: s.complete) }
        }
    }

}
