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

/// MP3 frames as the sandbox writes them: MPEG-2.5 Layer III, 8,000 Hz, mono, 576 samples
/// (72 ms) a frame, every frame the same silent one (side information all zero: no audio
/// data). Written here by hand from the MPEG header layout, not with tnx's own checker, so
/// the checker is tested against files it did not make.
public enum MP3Frames {
    /// MPEG-2/2.5 Layer III bitrates (kbit/s) by index 1…14.
    public static let bitrates = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
    public static let frameMillis = 72

    /// 72 × bitrate / 8,000 Hz: 9 bytes per kbit/s.
    static func frameBytes(kbps: Int) -> Int { 9 * kbps }

    static func frame(kbps: Int) -> [UInt8] {
        let index = UInt8((bitrates.firstIndex(of: kbps) ?? 0) + 1)
        // FF E3: sync, MPEG-2.5 (00), Layer III (01), no CRC. Then the bitrate index, 8 kHz
        // (10), no padding; mono (11), original.
        var frame: [UInt8] = [0xFF, 0xE3, index << 4 | 0b1000, 0xC4]
        frame += [UInt8](repeating: 0, count: frameBytes(kbps: kbps) - 4)
        return frame
    }

    /// How many frames play closest to `millis`.
    static func count(millis: Int) -> Int { max(1, (millis + frameMillis / 2) / frameMillis) }
}

/// The media file of a recording: a real MP3 or WAV whose playing time is the recording's
/// `duration_millis` (to the nearest frame), with the recording's id in its tag (an ID3v2
/// title, a WAV `LIST`/`INFO` name) so that no two recordings' files are alike. The same bytes
/// on every request and machine.
enum MediaContent {
    /// Silent frames (or WAV samples), made once per kind and grown as longer files are asked
    /// for; a file is a header and slices of it (a 5 MB file is served hundreds of times in a
    /// benchmark).
    private static let silence = Mutex<[String: ByteBuffer]>([:])

    private static func silence(_ kind: String, bytes: Int, unit: () -> [UInt8]) -> ByteBuffer {
        silence.withLock { cache in
            if let made = cache[kind], made.readableBytes >= bytes { return made.getSlice(at: made.readerIndex, length: bytes)! }
            let one = unit()
            var buffer = ByteBuffer()
            let units = max(bytes, (cache[kind]?.readableBytes ?? 0) * 2) / one.count + 1
            buffer.reserveCapacity(units * one.count)
            for _ in 0..<units { buffer.writeBytes(one) }
            cache[kind] = buffer
            return buffer.getSlice(at: 0, length: bytes)!
        }
    }

    /// The file, in parts of at most 256 KiB.
    static func parts(id: String, ext: String, millis: Int, kbps: Int) -> [ByteBuffer] {
        var head = ByteBuffer()
        let body: ByteBuffer
        if ext == "wav" {
            let samples = max(1, millis * 8)  // 8,000 one-byte samples a second
            var name = Array("SANDBOX \(id)".utf8)
            name.append(0)
            if name.count % 2 == 1 { name.append(0) }
            let list = 4 + 8 + name.count
            let riffSize = 4 + (8 + 16) + (8 + list) + (8 + samples + samples % 2)
            head.writeString("RIFF")
            head.writeInteger(UInt32(riffSize), endianness: .little)
            head.writeString("WAVEfmt ")
            head.writeInteger(UInt32(16), endianness: .little)
            head.writeInteger(UInt16(1), endianness: .little)  // PCM
            head.writeInteger(UInt16(1), endianness: .little)  // mono
            head.writeInteger(UInt32(8000), endianness: .little)
            head.writeInteger(UInt32(8000), endianness: .little)  // bytes a second
            head.writeInteger(UInt16(1), endianness: .little)  // block
            head.writeInteger(UInt16(8), endianness: .little)  // bits
            head.writeString("LIST")
            head.writeInteger(UInt32(list), endianness: .little)
            head.writeString("INFOINAM")
            head.writeInteger(UInt32(name.count), endianness: .little)
            head.writeBytes(name)
            head.writeString("data")
            head.writeInteger(UInt32(samples), endianness: .little)
            var silent = silence("wav", bytes: samples) { [UInt8](repeating: 0x80, count: 4096) }
            if samples % 2 == 1 { silent.writeInteger(UInt8(0)) }
            body = silent
        } else {
            // ID3v2.3 with one TIT2 frame (ISO-8859-1 text), its size in 7-bit bytes.
            let title = [UInt8(0)] + Array("SANDBOX \(id)".utf8)
            let tagSize = 10 + title.count
            head.writeString("ID3")
            head.writeBytes([3, 0, 0])
            head.writeBytes([UInt8(tagSize >> 21 & 0x7F), UInt8(tagSize >> 14 & 0x7F), UInt8(tagSize >> 7 & 0x7F), UInt8(tagSize & 0x7F)])
            head.writeString("TIT2")
            head.writeInteger(UInt32(title.count))
            head.writeBytes([0, 0])
            head.writeBytes(title)
            let frames = MP3Frames.count(millis: millis)
            body = silence("mp3-\(kbps)", bytes: frames * MP3Frames.frameBytes(kbps: kbps)) { MP3Frames.frame(kbps: kbps) }
        }
        var parts = [head]
        var rest = body
        while rest.readableBytes > 0, let slice = rest.readSlice(length: min(rest.readableBytes, 1 << 18)) {
            parts.append(slice)
        }
        return parts
    }

    /// `parts` as one gzip member of stored (uncompressed) deflate blocks: real gzip, which a
    /// client must decode or refuse, made without a compressor. The parts are sliced, not
    /// copied.
    static func gzipped(_ parts: [ByteBuffer]) -> [ByteBuffer] {
        var out = [ByteBuffer(bytes: [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF])]
        var crc = UInt32.max
        var total = 0
        var blocks: [ByteBuffer] = []
        for part in parts {
            var rest = part
            while rest.readableBytes > 0, let block = rest.readSlice(length: min(rest.readableBytes, 65535)) {
                blocks.append(block)
            }
        }
        for (i, block) in blocks.enumerated() {
            var head = ByteBuffer()
            head.writeInteger(UInt8(i == blocks.count - 1 ? 1 : 0))
            head.writeInteger(UInt16(block.readableBytes), endianness: .little)
            head.writeInteger(~UInt16(block.readableBytes), endianness: .little)
            out.append(head)
            out.append(block)
            crc = block.withUnsafeReadableBytes { bytes in
                var c = crc
                for byte in bytes { c = crcTable[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
                return c
            }
            total += block.readableBytes
        }
        var tail = ByteBuffer()
        tail.writeInteger(~crc, endianness: .little)
        tail.writeInteger(UInt32(truncatingIfNeeded: total), endianness: .little)
        out.append(tail)
        return out
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        (0..<8).reduce(UInt32(n)) { c, _ in c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }
}

extension Handler {
    /// What a media request gets, decided under the lock.
    enum MediaDecision {
        case refuse(status: Int, code: String, message: String)
        /// `firstByte`: a `Range: bytes=0-0` request, answered 206.
        case serve(id: String, ext: String, millis: Int, kbps: Int, fault: SandboxFaults.MediaFault?, firstByte: Bool)
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
            if request.headers[.acceptEncoding] != "identity" { s.mediaRequestsAllowingEncoding += 1 }
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
            if fault == .removedMeanwhile, s.recordings.removeValue(forKey: id) != nil { s.index?.remove(id) }
            guard let index = s.recordings[id], fault != .missing else {
                return .refuse(status: 404, code: "NoSuchKey", message: "The specified key does not exist.")
            }
            return .serve(id: id, ext: ext, millis: SandboxData.recording(id: id, index: index).durationMillis, kbps: s.faults.mediaKbps, fault: fault, firstByte: firstByte)
        }
        switch decision {
        case .refuse(let status, let code, let message):
            var fields = HTTPFields()
            fields[.contentType] = "application/xml"
            let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code><Message>\(message)</Message></Error>"
            return Self.response(status, fields, head ? "" : body)
        case .serve(let id, let ext, let millis, let kbps, let fault, let firstByte):
            var fields = HTTPFields()
            fields[.contentType] = ext == "mp3" ? "audio/mpeg" : "audio/wav"
            var made: [ByteBuffer] =
                switch fault {
                case .otherDuration: MediaContent.parts(id: id, ext: ext, millis: millis / 2, kbps: kbps)
                case .sameForAll: MediaContent.parts(id: "one object for every link", ext: ext, millis: 60_000, kbps: kbps)
                case .htmlAsAudio: [ByteBuffer(string: "<html>login</html>")]
                case .oneByte: [ByteBuffer(bytes: [0xFF])]
                default: MediaContent.parts(id: id, ext: ext, millis: millis, kbps: kbps)
                }
            if fault == .trailingJunk { made.append(ByteBuffer(string: "<html><body>Please sign in</body></html>")) }
            if fault == .shortened {
                // The first half, and a Content-Length that says so.
                var half = made.reduce(0) { $0 + $1.readableBytes } / 2
                made = made.compactMap { part in
                    guard half > 0 else { return nil }
                    let slice = part.getSlice(at: part.readerIndex, length: min(half, part.readableBytes))
                    half -= slice?.readableBytes ?? 0
                    return slice
                }
            }
            if fault == .gzip {
                made = MediaContent.gzipped(made)
                fields[.contentEncoding] = "gzip"
            }
            let parts = made
            let size = parts.reduce(0) { $0 + $1.readableBytes }
            let truncated = fault == .truncated
            state.withLock { $0.mediaBytesServed += firstByte ? min(1, size) : truncated ? size / 2 : size }
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
