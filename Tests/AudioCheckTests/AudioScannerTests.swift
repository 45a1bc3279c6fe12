import AudioCheck
import Foundation
import Testing

/// The checker against files it did not make: MP3s encoded by LAME and WAVs written by SoX
/// (Fixtures/, made once with `sox -n … synth 3.0 sine 440` and `lame`), then each way a
/// media host can hand over something else.
@Suite("Audio files checked as they stream")
struct AudioScannerTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        return try [UInt8](Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// Feeds `bytes` in parts of `size` (the last may be shorter).
    static func scan(_ bytes: [UInt8], as format: AudioFormat, partsOf size: Int = 512 * 1024) -> Result<AudioSummary, AudioProblem> {
        var scanner = AudioScanner(expecting: format)
        var start = 0
        while start < bytes.count {
            let end = min(start + size, bytes.count)
            scanner.feed(Array(bytes[start..<end]))
            start = end
        }
        return scanner.finish()
    }

    static let files: [(name: String, format: AudioFormat, millis: Int64, detail: String)] = [
        ("lame-8k-3s.mp3", .mp3, 3000, "MPEG-2.5 Layer III, 8000 Hz, mono"),
        ("lame-vbr-22k-3s.mp3", .mp3, 3000, "MPEG-2 Layer III, 22050 Hz, mono"),
        ("lame-128k-44k-stereo-2s.mp3", .mp3, 2000, "MPEG-1 Layer III, 44100 Hz, stereo"),
        ("sox-ulaw-8k-3s.wav", .wav, 3000, "µ-law, 8000 Hz, mono"),
        ("sox-pcm16-8k-3s.wav", .wav, 3000, "PCM 16-bit, 8000 Hz, mono"),
    ]

    @Test("files made by LAME and SoX are whole, and play as long as they were made to, however the bytes arrive", arguments: files)
    func realFiles(_ file: (name: String, format: AudioFormat, millis: Int64, detail: String)) throws {
        let bytes = try Self.fixture(file.name)
        var results: [AudioSummary] = []
        for size in [1, 3, 7, 64, 1000, bytes.count] {
            guard case .success(let summary) = Self.scan(bytes, as: file.format, partsOf: size) else {
                Issue.record("\(file.name) in parts of \(size): \(Self.scan(bytes, as: file.format, partsOf: size))")
                return
            }
            results.append(summary)
        }
        #expect(Set(results).count == 1, "the same answer for every way of cutting the stream")
        let summary = results[0]
        #expect(summary.format == file.format)
        #expect(summary.detail.hasPrefix(file.detail), "\(summary.detail)")
        // LAME adds its encoder delay and pads the end to a whole frame: up to three frames
        // (216 ms at 8 kHz) more than the sound it was given.
        #expect(abs(summary.playingMillis - file.millis) <= 250, "\(summary.playingMillis) ms")
    }

    @Test("a file cut short anywhere inside a frame is not a copy", arguments: ["lame-8k-3s.mp3", "lame-vbr-22k-3s.mp3", "sox-ulaw-8k-3s.wav"])
    func cutShort(_ name: String) throws {
        let bytes = try Self.fixture(name)
        let format: AudioFormat = name.hasSuffix(".wav") ? .wav : .mp3
        for cut in [1, 2, 5, 11, 17, 100, bytes.count / 2 + 1, bytes.count - 1] {
            guard case .failure(let problem) = Self.scan(Array(bytes.prefix(cut)), as: format, partsOf: 97) else {
                Issue.record("\(name) cut to \(cut) bytes was taken for a whole file")
                continue
            }
            #expect(problem.description.hasPrefix("not a"), "\(problem)")
        }
    }

    @Test("an MP3 cut exactly between two frames is whole, and plays shorter: the playing time check catches it")
    func cutAtAFrame() throws {
        let bytes = try Self.fixture("lame-8k-3s.mp3")
        // 8 kbit/s at 8 kHz: 72-byte frames, no ID3 tag, no padding.
        let result = Self.scan(Array(bytes.prefix(72 * 10)), as: .mp3)
        guard case .success(let summary) = result else {
            Issue.record("\(result)")
            return
        }
        #expect(summary.playingMillis == 720)
    }

    @Test("bytes after the last frame are not a copy; an ID3v1 tag that ends the file is")
    func trailers() throws {
        let bytes = try Self.fixture("lame-8k-3s.mp3")
        let junk = Array("<html><body>Please sign in</body></html>".utf8)
        guard case .failure(let problem) = Self.scan(bytes + junk, as: .mp3) else {
            Issue.record("an HTML page after the frames was taken for audio")
            return
        }
        #expect(problem.description.contains("HTML page"), "\(problem)")

        var tag = Array("TAG".utf8) + [UInt8](repeating: 0x20, count: 125)
        tag[3] = UInt8(ascii: "x")
        guard case .success(let summary) = Self.scan(bytes + tag, as: .mp3, partsOf: 50) else {
            Issue.record("an ID3v1 tag at the end was refused")
            return
        }
        #expect(abs(summary.playingMillis - 3000) <= 250)
        guard case .failure = Self.scan(bytes + tag + [0], as: .mp3) else {
            Issue.record("a byte after the ID3v1 tag was accepted")
            return
        }
        guard case .failure = Self.scan(bytes + tag.prefix(100), as: .mp3) else {
            Issue.record("a file ending inside its ID3v1 tag was accepted")
            return
        }
    }

    @Test("what a broken media host sends instead of audio is named", arguments: [
        ("<html>login</html>", "HTML page"),
        ("{\"errors\":[]}", "JSON"),
        ("<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code></Error>", "XML document"),
    ])
    func notAudio(_ body: String, _ named: String) {
        for format in [AudioFormat.mp3, .wav] {
            guard case .failure(let problem) = Self.scan(Array(body.utf8), as: format) else {
                Issue.record("\(body) taken for \(format)")
                continue
            }
            #expect(problem.description.contains(named), "\(problem)")
        }
    }

    @Test("one byte, no byte, gzip, and another format than asked are not a copy")
    func otherBytes() throws {
        let mp3 = try Self.fixture("lame-8k-3s.mp3")
        let wav = try Self.fixture("sox-ulaw-8k-3s.wav")
        let gzip: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF] + mp3
        let cases: [([UInt8], AudioFormat, String)] = [
            ([0xFF], .mp3, "1 byte"), ([], .mp3, "0 bytes"), ([], .wav, "0 bytes"),
            (gzip, .mp3, "gzip data"), (gzip, .wav, "gzip data"),
            (wav, .mp3, "RIFF (WAV) file"), (mp3, .wav, "MPEG audio frame"),
        ]
        for (bytes, format, named) in cases {
            guard case .failure(let problem) = Self.scan(bytes, as: format) else {
                Issue.record("\(named) taken for \(format)")
                continue
            }
            #expect(problem.description.contains(named), "\(named): \(problem)")
        }
    }

    @Test("WAV chunks must add up to the file the RIFF header describes")
    func wavSizes() throws {
        let wav = try Self.fixture("sox-ulaw-8k-3s.wav")
        var longer = wav + [0, 0]
        guard case .failure(let extra) = Self.scan(longer, as: .wav) else {
            Issue.record("bytes past the RIFF size were accepted")
            return
        }
        #expect(extra.description.contains("goes on past"), "\(extra)")
        // The RIFF size made to match: the two bytes are then a chunk header cut short.
        let size = UInt32(longer.count - 8)
        longer[4...7] = [UInt8(size & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 24)]
        guard case .failure = Self.scan(longer, as: .wav) else {
            Issue.record("a torn chunk header was accepted")
            return
        }
        // A data chunk whose size says more than the file holds.
        var lying = wav
        if let data = (0..<(wav.count - 4)).first(where: { wav[$0..<($0 + 4)].elementsEqual("data".utf8) }) {
            lying[data + 7] = 0x7F
            guard case .failure(let problem) = Self.scan(lying, as: .wav) else {
                Issue.record("a data chunk longer than the file was accepted")
                return
            }
            #expect(problem.description.contains("\"data\" chunk"), "\(problem)")
        } else {
            Issue.record("the fixture has no data chunk")
        }
    }

    @Test("an MP3 whose frames change sample rate midway is not one recording")
    func mixedFrames() throws {
        let low = try Self.fixture("lame-8k-3s.mp3")
        let high = try Self.fixture("lame-128k-44k-stereo-2s.mp3")
        guard case .failure(let problem) = Self.scan(low + high, as: .mp3) else {
            Issue.record("two recordings glued together were taken for one")
            return
        }
        #expect(problem.description.contains("not one recording"), "\(problem)")
    }

    /// A WAV of `dataBytes` zero bytes whose `fmt ` chunk says `code`, `rate`, `byteRate`.
    static func wav(code: UInt16 = 1, channels: UInt16 = 1, rate: UInt32, byteRate: UInt32, block: UInt16 = 1, bits: UInt16 = 8, dataBytes: Int) -> [UInt8] {
        func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
        func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
        var fmt = le16(code) + le16(channels) + le32(rate) + le32(byteRate)
        fmt += le16(block) + le16(bits)
        let body = Array("WAVEfmt ".utf8) + le32(16) + fmt + Array("data".utf8) + le32(UInt32(dataBytes)) + [UInt8](repeating: 0, count: dataBytes)
        return Array("RIFF".utf8) + le32(UInt32(body.count)) + body
    }

    @Test("a WAV header cannot make a few bytes play for as long as it likes: rates, formats and empty data are checked")
    func wavHeadersThatLie() {
        #expect((try? Self.scan(Self.wav(rate: 8000, byteRate: 8000, dataBytes: 8000), as: .wav).get())?.playingMillis == 1000)
        let lies: [([UInt8], String)] = [
            (Self.wav(rate: 1, byteRate: 1, dataBytes: 40), "1 Hz"),
            (Self.wav(code: 0x55, rate: 8000, byteRate: 1, dataBytes: 40), "format 85"),
            (Self.wav(rate: 8000, byteRate: 8000, dataBytes: 0), "empty"),
            (Self.wav(rate: 8000, byteRate: 16000, dataBytes: 40), "does not add up"),
            (Self.wav(channels: 2, rate: 8000, byteRate: 16000, block: 2, bits: 8, dataBytes: 3), "whole blocks"),
        ]
        for (bytes, named) in lies {
            guard case .failure(let problem) = Self.scan(bytes, as: .wav) else {
                Issue.record("\(named): accepted")
                continue
            }
            #expect(problem.description.contains(named), "\(named): \(problem)")
        }
    }

    /// An MPEG-1 Layer III frame at 48 kHz, `kbps`, stereo, with a CRC (so its Xing tag, if
    /// any, starts at byte 38: the furthest a tag can be).
    static func mpeg1Frame(kbps: Int = 64, xing: Bool = false) -> [UInt8] {
        let index = UInt8([32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320].firstIndex(of: kbps)! + 1)
        var frame: [UInt8] = [0xFF, 0xFA, index << 4 | 0b0100, 0x00]  // CRC on, 48 kHz, stereo
        frame += [UInt8](repeating: 0, count: 144 * kbps * 1000 / 48000 - 4)
        if xing { frame.replaceSubrange(38..<42, with: Array("Xing".utf8)) }
        return frame
    }

    @Test("a Xing tag after a CRC is not audio; a file of only a tag, or only a Xing frame, holds no recording")
    func tagsWithoutAudio() {
        let frames = Self.mpeg1Frame(xing: true) + Self.mpeg1Frame() + Self.mpeg1Frame()
        let summary = try? Self.scan(frames, as: .mp3, partsOf: 5).get()
        #expect(summary?.detail == "MPEG-1 Layer III, 48000 Hz, stereo, 2 frames", "\(String(describing: summary))")
        #expect(summary?.playingMillis == 48)
        let id3Only: [UInt8] = Array("ID3".utf8) + [4, 0, 0, 0, 0, 0, 10] + [UInt8](repeating: 0, count: 10)
        for (bytes, name) in [(Self.mpeg1Frame(xing: true), "a Xing frame alone"), (id3Only, "an ID3 tag alone"), (Array("ID3".utf8) + [4, 0, 0, 0, 0, 0, 0], "an empty ID3 tag")] {
            guard case .failure(let problem) = Self.scan(bytes, as: .mp3) else {
                Issue.record("\(name) was taken for a recording")
                continue
            }
            #expect(problem.description.contains("no MPEG audio frame"), "\(name): \(problem)")
        }
    }
}
