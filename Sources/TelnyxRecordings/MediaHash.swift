import TnxSystem

/// SHA-256 of files, as a download records it.
public enum MediaHash {
    /// The size and SHA-256 of the file at `path`, read in 1 MiB pieces; blocking (call it off
    /// the cooperative pool).
    public static func file(_ path: String) -> Result<(bytes: Int, sha256: String), SystemError> {
        let fd: Int32
        switch FileDescriptor.openForReading(path) {
        case .success(let opened): fd = opened
        case .failure(let error): return .failure(error)
        }
        defer { FileDescriptor.close(fd) }
        var hash = SHA256()
        var total = 0
        let size = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = FileDescriptor.read(fd, into: buffer, count: size)
            if n < 0 { return .failure(SystemError(5)) }
            if n == 0 { break }
            hash.update(bufferPointer: UnsafeRawBufferPointer(start: buffer, count: n))
            total += n
        }
        return .success((total, hex(digest: hash.finalize())))
    }

    /// SHA-256 of `bytes`, hex.
    public static func hex(_ bytes: [UInt8]) -> String { hex(digest: SHA256.hash(data: bytes)) }

    /// A digest's bytes in lower-case hex.
    static func hex(digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
