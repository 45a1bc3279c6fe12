import CLibCrypto

/// SHA-256, from the system's libcrypto (`CLibCrypto`, a system-library target as libedit is).
///
/// Why not swift-crypto: it brought a second vendored copy of BoringSSL into every first build
/// (swift-nio-ssl brings the other, which async-http-client needs), for this one hash. The
/// system's libcrypto is OpenSSL, kept up to date by the distribution, and uses the same SHA
/// instructions (SHA-NI): `openssl speed -evp sha256` gives about 1,180 MB/s on this machine.
///
/// A value: the context is OpenSSL's `SHA256_CTX`, a plain C struct, so a copy is an
/// independent hash in progress.
struct SHA256: Sendable {
    typealias Digest = [UInt8]

    private var context = SHA256_CTX()

    init() {
        SHA256_Init(&context)
    }

    mutating func update(bufferPointer: UnsafeRawBufferPointer) {
        guard let base = bufferPointer.baseAddress, bufferPointer.count > 0 else { return }
        SHA256_Update(&context, base, bufferPointer.count)
    }

    /// The digest of what was fed so far (the hash itself is left as it was).
    func finalize() -> Digest {
        var copy = context
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        SHA256_Final(&digest, &copy)
        return digest
    }

    static func hash(data: [UInt8]) -> Digest {
        var hash = SHA256()
        data.withUnsafeBytes { hash.update(bufferPointer: $0) }
        return hash.finalize()
    }
}
