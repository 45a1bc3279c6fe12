import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An HTTP proxy on loopback, as a corporate network has: it answers `CONNECT HOST:PORT`,
/// then pipes bytes both ways. It records each tunnel's target and `Proxy-Authorization`, and
/// with `requiredAuthorization` refuses (407) a tunnel without exactly that header.
///
/// Blocking sockets on threads of its own: the tests' cooperative pool is never held.
final class ConnectProxy: Sendable {
    struct Tunnel: Sendable {
        var target: String
        var authorization: String?
    }

    let port: Int
    private let listener: Int32
    private let requiredAuthorization: String?
    private let seen = Mutex<[Tunnel]>([])

    var tunnels: [Tunnel] { seen.withLock { $0 } }

    init(requiredAuthorization: String? = nil) throws {
        self.requiredAuthorization = requiredAuthorization
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            Thread.detachNewThread { [self] in serve(client) }
        }
    }

    private func serve(_ client: Int32) {
        var head: [UInt8] = []
        var byte = [UInt8](repeating: 0, count: 1)
        // Byte by byte up to the blank line: nothing of the tunnel is read before it opens.
        while head.count < 16_384, !head.suffix(4).elementsEqual(Array("\r\n\r\n".utf8)) {
            guard read(client, &byte, 1) == 1 else {
                close(client)
                return
            }
            head.append(byte[0])
        }
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines.first?.split(separator: " ") ?? []
        let authorization = lines.dropFirst().first { $0.lowercased().hasPrefix("proxy-authorization:") }
            .map { String($0.dropFirst("proxy-authorization:".count)).trimmingCharacters(in: .whitespaces) }
        guard requestLine.count == 3, requestLine[0] == "CONNECT" else {
            reply(client, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        }
        let target = String(requestLine[1])
        seen.withLock { $0.append(Tunnel(target: target, authorization: authorization)) }
        if let requiredAuthorization, authorization != requiredAuthorization {
            reply(client, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
            return
        }
        guard let colon = target.lastIndex(of: ":"), let port = UInt16(target[target.index(after: colon)...]) else {
            reply(client, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        }
        var host = String(target[..<colon])
        if host == "localhost" { host = "127.0.0.1" }
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = port.bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(server)
            reply(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        }
        let established = Array("HTTP/1.1 200 Connection Established\r\n\r\n".utf8)
        _ = write(client, established, established.count)
        let otherWay = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            Self.pump(from: server, to: client)
            otherWay.signal()
        }
        Self.pump(from: client, to: server)
        otherWay.wait()
        close(client)
        close(server)
    }

    private func reply(_ client: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = write(client, bytes, bytes.count)
        close(client)
    }

    /// Copies until the source ends, then ends the destination's writing side.
    private static func pump(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = read(source, &buffer, buffer.count)
            if n <= 0 { break }
            var sent = 0
            while sent < n {
                let w = buffer[sent..<n].withUnsafeBytes { write(destination, $0.baseAddress, n - sent) }
                if w <= 0 { break }
                sent += w
            }
            if sent < n { break }
        }
        shutdown(destination, Int32(SHUT_WR))
        shutdown(source, Int32(SHUT_RD))
    }
}
