import NIOCore
import NIOPosix
import NIOHTTP1
import Synchronization
import Glibc

// Experiment (issue 6): how fast can a bare SwiftNIO HTTP/1.1 client with 32 keep-alive
// connections delete the ids of a file against the loopback nginx of scripts/bench? No TLS, no
// retries, no timeouts: the floor of any client built on NIO.
// Usage: nio-floor PORT IDFILE LOOPS
let args = CommandLine.arguments
let port = Int(args[1])!
let file = args[2]
let loops = Int(args[3]) ?? 2
let text = try! String(decoding: { () -> [UInt8] in
    let fd = open(file, O_RDONLY); var out: [UInt8] = []; var buf = [UInt8](repeating: 0, count: 65536)
    while true { let n = read(fd, &buf, buf.count); if n <= 0 { break }; out += buf[..<n] }
    close(fd); return out }(), as: UTF8.self)
let ids = text.split(separator: "\n").map(String.init)
let next = Atomic<Int>(0)
let done = Atomic<Int>(0)
let group = MultiThreadedEventLoopGroup(numberOfThreads: loops)
let finished = group.next().makePromise(of: Void.self)

final class Client: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    func channelActive(context: ChannelHandlerContext) { send(context) }
    func send(_ context: ChannelHandlerContext) {
        let i = next.add(1, ordering: .relaxed).oldValue
        guard i < ids.count else { return }
        var head = HTTPRequestHead(version: .http1_1, method: .DELETE, uri: "/v2/recordings/" + ids[i])
        head.headers.add(name: "Host", value: "127.0.0.1")
        head.headers.add(name: "Authorization", value: "Bearer k")
        head.headers.add(name: "Accept", value: "application/json")
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) {
            if done.add(1, ordering: .relaxed).newValue == ids.count { finished.succeed(()) }
            send(context)
        }
    }
}
let bootstrap = ClientBootstrap(group: group).channelInitializer { ch in
    ch.eventLoop.makeCompletedFuture {
        try ch.pipeline.syncOperations.addHTTPClientHandlers()
        try ch.pipeline.syncOperations.addHandler(Client())
    }
}
let start = ContinuousClock.now
for _ in 0..<32 { _ = bootstrap.connect(host: "127.0.0.1", port: port) }
try! finished.futureResult.wait()
let elapsed = ContinuousClock.now - start
print("nio-floor: \(ids.count) deletes in \(elapsed), \(Double(ids.count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)) /s")
exit(0)
