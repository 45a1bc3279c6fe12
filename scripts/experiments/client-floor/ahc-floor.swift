import AsyncHTTPClient
import Dispatch
import NIOCore
import NIOPosix
import NIOHTTP1
import Synchronization
import Glibc

// Experiment (issue 6): AsyncHTTPClient alone, without tnx, deleting the ids of a file against
// the loopback nginx of scripts/bench, 32 at a time. Modes: f = futures, each completion sends
// the next; d / dc = the same with each worker's requests on one event loop (.delegate /
// .delegateAndChannel); t = a task group like tnx's bulk engine.
// Usage: ahc-floor PORT IDFILE MODE
let args = CommandLine.arguments
let port = Int(args[1])!
let file = args[2]
let mode = args[3]
let text = String(decoding: { () -> [UInt8] in
    let fd = open(file, O_RDONLY); var out: [UInt8] = []; var buf = [UInt8](repeating: 0, count: 65536)
    while true { let n = read(fd, &buf, buf.count); if n <= 0 { break }; out += buf[..<n] }
    close(fd); return out }(), as: UTF8.self)
let ids = text.split(separator: "\n").map(String.init)
var pool = HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
pool.retryConnectionEstablishment = false
var config = HTTPClient.Configuration(redirectConfiguration: .disallow, connectionPool: pool)
config.tracing.tracer = nil
let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
let prefix = "http://127.0.0.1:\(port)/v2/recordings/"
var headers = HTTPHeaders()
headers.add(name: "Authorization", value: "Bearer k")
headers.add(name: "Accept", value: "application/json")
let fixed = headers
let next = Atomic<Int>(0)
let done = Atomic<Int>(0)
let start = ContinuousClock.now
if mode == "f" || mode == "d" || mode == "dc" {
    let loops = [HTTPClient.defaultEventLoopGroup.next(), HTTPClient.defaultEventLoopGroup.next()]
    let finished = HTTPClient.defaultEventLoopGroup.next().makePromise(of: Void.self)
    @Sendable func send(_ worker: Int) {
        let i = next.add(1, ordering: .relaxed).oldValue
        guard i < ids.count else { return }
        let request = try! HTTPClient.Request(url: prefix + ids[i], method: .DELETE, headers: fixed)
        let el = loops[worker % 2]
        let pref: HTTPClient.EventLoopPreference = mode == "d" ? .delegate(on: el) : mode == "dc" ? .delegateAndChannel(on: el) : .indifferent
        http.execute(request: request, delegate: ResponseAccumulator(request: request), eventLoop: pref, deadline: .now() + .seconds(30)).futureResult.whenComplete { _ in
            if done.add(1, ordering: .relaxed).newValue == ids.count { finished.succeed(()) }
            send(worker)
        }
    }
    for w in 0..<32 { send(w) }
    try! finished.futureResult.wait()
} else {
    let sem = DispatchSemaphore(value: 0)
    Task.detached {
        await withTaskGroup(of: Int.self) { group in
            var inFlight = 0
            for id in ids {
                if inFlight >= 32 { _ = await group.next(); inFlight -= 1 }
                group.addTask {
                    let request = try! HTTPClient.Request(url: prefix + id, method: .DELETE, headers: fixed)
                    let r = try? await http.execute(request: request, delegate: ResponseAccumulator(request: request), deadline: .now() + .seconds(30)).futureResult.get()
                    return Int(r?.status.code ?? 0)
                }
                inFlight += 1
            }
            while await group.next() != nil {}
        }
        sem.signal()
    }
    sem.wait()
}
let elapsed = ContinuousClock.now - start
print("ahc-floor \(mode): \(ids.count) deletes in \(elapsed)")
exit(0)
