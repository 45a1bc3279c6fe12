import Hummingbird
import NIOCore
import Synchronization
import TnxSystem

/// The presigned links of `download_urls`, on the sandbox's media host (a port of its own, as
/// storage is another host than the API): `http://127.0.0.1:PORT/media/ID.mp3?X-Amz-Expires=…
/// &X-Amz-Signature=…`. The link carries its own signature and end of life, as S3's do.
struct MediaLinks: Sendable, Hashable {
    /// `http://127.0.0.1:PORT`.
    var base: String
    var lifetime: Duration
    /// Signs the links of this sandbox only.
    var secret: UInt64

    static let pathPrefix = "/media/"

    /// Built for every recording of every page the list answers (two a recording), so kept
    /// cheap: the sandbox's CPU is shared with the client it serves in the benchmarks.
    func url(id: String, ext: String, now: Double = WallClock.seconds) -> String {
        let expires = Int64(now + lifetime.inSeconds)
        var out = base
        out += Self.pathPrefix
        out += Self.pathSegment(id)
        out += "."
        out += ext
        out += "?X-Amz-Expires="
        out += String(expires)
        out += "&X-Amz-Signature="
        out += signature(id: id, ext: ext, expires: expires)
        return out
    }

    func signature(id: String, ext: String, expires: Int64) -> String {
        let salt: UInt64 = ext == "mp3" ? 0x6D70_3300 : ext == "wav" ? 0x7761_7600 : SandboxData.hash(ext)
        return SandboxData.hex(SandboxData.mix(SandboxData.hash(id) ^ SandboxData.mix(salt ^ UInt64(bitPattern: expires)) ^ secret), digits: 16)
    }

    /// The id in a path: unreserved characters as they are, the rest percent-encoded.
    static func pathSegment(_ id: String) -> String {
        if id.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }) { return id }
        var out = ""
        for byte in id.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + SandboxData.hex(UInt64(byte), digits: 2).uppercased()
            }
        }
        return out
    }
}

/// The media file of a recording: a header naming it, then filler, `size` bytes in all. The
/// same bytes on every request and machine; no two recordings' files are alike.
enum MediaContent {
    /// Filler of each size asked for, made once (a 5 MB file is served hundreds of times in a
    /// benchmark).
    private static let fillers = Mutex<[Int: ByteBuffer]>([:])

    static func parts(id: String, ext: String, size: Int) -> [ByteBuffer] {
        let header = Array("SANDBOX MEDIA \(ext) \(id)\n".utf8.prefix(size))
        let rest = size - header.count
        let filler = fillers.withLock { cache -> ByteBuffer in
            if let made = cache[rest] { return made }
            var buffer = ByteBuffer()
            buffer.reserveCapacity(rest)
            for i in 0..<rest { buffer.writeInteger(UInt8(truncatingIfNeeded: i &* 31 &+ (i >> 9))) }
            if cache.count > 16 { cache.removeAll() }
            cache[rest] = buffer
            return buffer
        }
        var parts = [ByteBuffer(bytes: header)]
        var rest_ = filler
        while rest_.readableBytes > 0, let slice = rest_.readSlice(length: min(rest_.readableBytes, 1 << 18)) {
            parts.append(slice)
        }
        return parts
    }
}

extension Handler {
    /// What a media request gets, decided under the lock.
    enum MediaDecision {
        case refuse(status: Int, code: String, message: String)
        /// `firstByte`: a `Range: bytes=0-0` request, answered 206.
        case serve(id: String, ext: String, size: Int, fault: SandboxFaults.MediaFault?, firstByte: Bool)
    }

    /// `GET /media/ID.EXT?X-Amz-Expires=…&X-Amz-Signature=…`, as storage answers a presigned
    /// link: 400 when the request also carries `Authorization` (S3: "only one auth
    /// mechanism"), 403 when the signature is wrong or the link expired — and for any other
    /// method than `GET`, since a link is signed for one method — 404 when the recording is
    /// gone; `Range: bytes=0-0` gets 206 with `Content-Range: bytes 0-0/SIZE`.
    func respondMedia(to request: Request) async -> Response {
        let target = request.head.path ?? "/"
        let head = request.method == .head
        let firstByte = request.headers[.range] == "bytes=0-0"
        let decision: MediaDecision = state.withLock { s in
            s.mediaRequests += 1
            let key = String(expectedAuthorization.dropFirst("Bearer ".count))
            if request.headers[.authorization] != nil || target.contains(key) || request.headers.contains(where: { $0.value.contains(key) }) {
                s.mediaRequestsWithKey += 1
            }
            guard request.method == .get else {
                return .refuse(status: 403, code: "SignatureDoesNotMatch", message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
            }
            if request.headers[.authorization] != nil {
                return .refuse(
                    status: 400, code: "InvalidArgument",
                    message: "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
            }
            let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            let path = parts[0]
            let query = parts.count > 1 ? Self.query(parts[1]) : [:]
            guard path.hasPrefix(MediaLinks.pathPrefix), let media = s.media,
                let dot = path.lastIndex(of: "."), let id = Self.percentDecoded(path[path.index(path.startIndex, offsetBy: MediaLinks.pathPrefix.count)..<dot])
            else {
                return .refuse(status: 404, code: "NoSuchKey", message: "The specified key does not exist.")
            }
            let ext = String(path[path.index(after: dot)...])
            guard ext == "mp3" || ext == "wav", let expires = query["X-Amz-Expires"].flatMap({ Int64($0) }),
                query["X-Amz-Signature"] == media.signature(id: id, ext: ext, expires: expires)
            else {
                return .refuse(status: 403, code: "SignatureDoesNotMatch", message: "The request signature we calculated does not match the signature you provided.")
            }
            var fault = s.faults.media
            if var queue = s.mediaScripts[id], !queue.isEmpty {
                fault = queue.removeFirst()
                s.mediaScripts[id] = queue.isEmpty ? nil : queue
            }
            if fault == .expired || Double(expires) < WallClock.seconds {
                return .refuse(status: 403, code: "AccessDenied", message: "Request has expired")
            }
            if fault == .serverError {
                return .refuse(status: 500, code: "InternalError", message: "We encountered an internal error. Please try again.")
            }
            guard s.recordings[id] != nil, fault != .missing else {
                return .refuse(status: 404, code: "NoSuchKey", message: "The specified key does not exist.")
            }
            s.mediaBytesServed += firstByte ? min(1, s.faults.mediaBytes) : fault == .truncated ? s.faults.mediaBytes / 2 : s.faults.mediaBytes
            return .serve(id: id, ext: ext, size: s.faults.mediaBytes, fault: fault, firstByte: firstByte)
        }
        switch decision {
        case .refuse(let status, let code, let message):
            var fields = HTTPFields()
            fields[.contentType] = "application/xml"
            let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code><Message>\(message)</Message></Error>"
            return Self.response(status, fields, head ? "" : body)
        case .serve(let id, let ext, let size, let fault, let firstByte):
            var fields = HTTPFields()
            fields[.contentType] = ext == "mp3" ? "audio/mpeg" : "audio/wav"
            let parts = MediaContent.parts(id: id, ext: ext, size: size)
            if firstByte, size > 0 {
                fields[.contentRange] = "bytes 0-0/\(size)"
                var first = parts[0]
                let byte = first.readSlice(length: 1) ?? ByteBuffer()
                return Response(status: .partialContent, headers: fields, body: ResponseBody(byteBuffer: byte))
            }
            switch fault {
            case .noLength:
                return Response(status: .ok, headers: fields, body: ResponseBody { writer in
                    for part in parts { try await writer.write(part) }
                    try await writer.finish(nil)
                })
            case .empty:
                return Response(status: .ok, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer()))
            case .html:
                fields[.contentType] = "text/html; charset=utf-8"
                return Self.response(200, fields, "<html><body><h1>Please sign in to continue</h1></body></html>")
            default:
                break
            }
            return Response(
                status: .ok, headers: fields,
                body: ResponseBody(contentLength: size) { writer in
                    switch fault {
                    case .truncated:
                        var sent = 0
                        for var part in parts where sent < size / 2 {
                            if let slice = part.readSlice(length: min(part.readableBytes, size / 2 - sent)) {
                                sent += slice.readableBytes
                                try await writer.write(slice)
                            }
                        }
                        throw CancellationError()  // the connection breaks mid-body
                    case .slow(let pause):
                        var first = true
                        for var part in parts {
                            if first, part.readableBytes > 0 {
                                first = false
                                if let start = part.readSlice(length: min(part.readableBytes, 1024)) { try await writer.write(start) }
                                try await Task.sleep(for: pause)
                            }
                            try await writer.write(part)
                        }
                    default:
                        for part in parts { try await writer.write(part) }
                    }
                    try await writer.finish(nil)
                })
        }
    }
}
