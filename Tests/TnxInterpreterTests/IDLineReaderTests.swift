import Foundation
import Testing

@testable import TnxInterpreter

@Suite("Reading id files")
struct IDLineReaderTests {
    @Test("blank lines, comments, CRLF, a BOM and surrounding spaces are tolerated")
    func tolerantFormat() throws {
        let file = try TemporaryFile(
            bytes: [0xEF, 0xBB, 0xBF] + Array("aaa\r\n\r\n# a comment\n   bbb  \t\r\n\tccc\n  # indented comment\nddd".utf8))
        let reader = try IDLineReader(path: file.path)
        var lines: [IDLine] = []
        while let line = try reader.next() { lines.append(line) }
        #expect(lines.map(\.text) == ["aaa", "bbb", "ccc", "ddd"])
        #expect(lines.map(\.number) == [1, 4, 5, 7])
    }

    @Test("a line longer than the limit is cut, and the next line is still read")
    func longLine() throws {
        let long = String(repeating: "x", count: 100_000)
        let file = try TemporaryFile(text: "first\n\(long)\nlast\n")
        let reader = try IDLineReader(path: file.path)
        #expect(try reader.next()?.text == "first")
        let cut = try #require(try reader.next())
        #expect(cut.text.count == IDLineReader.maximumLineLength)
        #expect(cut.number == 2)
        #expect(try reader.next() == IDLine(number: 3, text: "last"))
        #expect(try reader.next() == nil)
    }

    @Test("lines spanning many read buffers come out whole and numbered")
    func manyBuffers() throws {
        let ids = (0..<50_000).map { String(format: "%08x-0000-4000-8000-%012x", $0, $0) }
        let file = try TemporaryFile(text: ids.joined(separator: "\n") + "\n")
        let reader = try IDLineReader(path: file.path)
        var count = 0
        while let line = try reader.next() {
            #expect(line.text == ids[count])
            count += 1
        }
        #expect(count == ids.count)
    }

    @Test("a missing file names the file and the reason")
    func missingFile() {
        #expect(throws: IDSourceError.self) { try IDLineReader(path: "/nonexistent/ids.txt") }
        do {
            _ = try IDLineReader(path: "/nonexistent/ids.txt")
        } catch {
            #expect(error.description == "cannot read id file '/nonexistent/ids.txt': No such file or directory")
        }
    }
}

@Suite("Id sets")
struct IDSetTests {
    @Test("UUIDs are folded by case; other ids are exact")
    func folding() {
        var set = IDSet()
        let first = set.insert("3fa85f64-5717-4562-b3fc-2c963f66afa6")
        let upper = set.insert("3FA85F64-5717-4562-B3FC-2C963F66AFA6")
        let lower = set.insert("abc")
        let other = set.insert("ABC")
        #expect(first && !upper && lower && other)
        #expect(set.contains("abc"))
        #expect(!set.contains("3fa85f64-5717-4562-b3fc-2c963f66afa7"))
        set.remove("abc")
        #expect(!set.contains("abc"))
        #expect(set.count == 2)
    }

    @Test("only the exact 8-4-4-4-12 hex shape is read as a UUID; anything near it stays a string")
    func nearUUIDs() {
        #expect(IDSet.uuidValue("3fa85f64-5717-4562-b3fc-2c963f66afa6") == 0x3fa85f64_5717_4562_b3fc_2c963f66afa6)
        #expect(IDSet.uuidValue("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF") == UInt128.max)
        #expect(IDSet.uuidValue("00000000-0000-0000-0000-000000000000") == 0)
        let near = [
            "3fa85f64-5717-4562-b3fc-2c963f66afa",  // 35
            "3fa85f64-5717-4562-b3fc-2c963f66afa6a",  // 37
            "3fa85f64x5717-4562-b3fc-2c963f66afa6",
            "3fa85f64-5717-4562-b3fc-2c963f66afg6",
            "3fa85f64-5717-4562-b3fc-2c963f66af@6",
            "3fa85f64-5717-4562-b3fc-2c963f66af`6",
            "3fa85f64-5717-4562-b3fc-2c963f-6afa6",  // a fifth dash in place of a digit
            "3fa85f64-5717-4562-b3fc-2c963f66af\u{e9}",
            "------------------------------------",
        ]
        var set = IDSet()
        for id in near {
            #expect(IDSet.uuidValue(id) == nil, "\(id)")
            let inserted = set.insert(id)
            #expect(inserted, "\(id)")
        }
        let real = set.insert("3fa85f64-5717-4562-b3fc-2c963f66afa6")
        #expect(real, "no near id took the real one's place")
        #expect(set.count == near.count + 1)
    }
}

/// A file in a fresh temporary directory, removed when the value goes away.
final class TemporaryFile {
    let directory: String
    let path: String

    init(bytes: [UInt8], name: String = "ids.txt") throws {
        directory = NSTemporaryDirectory() + "tnx-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    convenience init(text: String, name: String = "ids.txt") throws {
        try self.init(bytes: Array(text.utf8), name: name)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}
