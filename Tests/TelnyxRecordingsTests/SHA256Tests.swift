import Foundation
import Testing

@testable import TelnyxRecordings

/// SHA-256 from the system's libcrypto: the FIPS 180-2 test vectors, and a hash fed in parts
/// (as a download feeds it) equal to the hash of the whole, and of `sha256sum`.
@Suite("SHA-256 of copies")
struct SHA256Tests {
    @Test("the standard vectors", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func vectors(_ text: String, _ expected: String) {
        #expect(MediaHash.hex(Array(text.utf8)) == expected)
    }

    @Test("fed in parts of every size, a copy of a hash in progress goes on alone, and a file's hash is sha256sum's")
    func parts() throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<1_000_003).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let whole = MediaHash.hex(bytes)
        for size in [1, 63, 64, 65, 4096, 524_288] {
            var hash = SHA256()
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + size)
                bytes[start..<end].withUnsafeBytes { hash.update(bufferPointer: $0) }
                start = end
            }
            #expect(MediaHash.hex(digest: hash.finalize()) == whole, "parts of \(size)")
        }
        var first = SHA256()
        bytes.withUnsafeBytes { first.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<10])) }
        var second = first
        bytes.withUnsafeBytes { second.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[10...])) }
        #expect(MediaHash.hex(digest: second.finalize()) == whole)
        #expect(MediaHash.hex(digest: first.finalize()) == MediaHash.hex(Array(bytes[0..<10])), "the copy did not move the first")

        let path = FileManager.default.temporaryDirectory.path + "/sha256-\(UInt64.random(in: 0...UInt64.max)).bin"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try MediaHash.file(path).get()
        #expect(file.bytes == bytes.count && file.sha256 == whole)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let said = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(said.hasPrefix(whole + " "), "\(said)")
    }
}
