/// Checks that bytes are a recording's audio, as they arrive: a download feeds each part it
/// writes (no second read of the file, nothing buffered but a header's few bytes), then asks
/// `finish()` what the whole was.
///
/// The header and the byte count are a media host's word; this is the check of the bytes
/// themselves. An HTML login page served as `audio/mpeg`, one byte, a gzip body, or a file
/// its own `Content-Length` cut short is not a copy.
public struct AudioScanner: Sendable {
    private enum Scanner: Sendable {
        case mp3(MP3Scanner)
        case wav(WAVScanner)
    }
    private var scanner: Scanner

    public init(expecting format: AudioFormat) {
        switch format {
        case .mp3: scanner = .mp3(MP3Scanner())
        case .wav: scanner = .wav(WAVScanner())
        }
    }

    /// The next bytes of the file.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        switch scanner {
        case .mp3(var s):
            s.feed(bytes)
            scanner = .mp3(s)
        case .wav(var s):
            s.feed(bytes)
            scanner = .wav(s)
        }
    }

    public mutating func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// What the whole file was, once every byte has been fed.
    public func finish() -> Result<AudioSummary, AudioProblem> {
        switch scanner {
        case .mp3(let s): s.finish()
        case .wav(let s): s.finish()
        }
    }
}

public enum AudioFormat: String, Sendable, Hashable {
    case mp3, wav
}

/// What a file held, once it was read to its end and found whole.
public struct AudioSummary: Sendable, Hashable {
    public var format: AudioFormat
    /// `MPEG-2.5 Layer III, 8000 Hz, mono, 120 frames` or `PCM 8-bit, 8000 Hz, mono`.
    public var detail: String
    /// Playing time of the audio: the frames' samples (or the `data` chunk's bytes) over the
    /// sample rate (byte rate).
    public var playingMillis: Int64

    public init(format: AudioFormat, detail: String, playingMillis: Int64) {
        self.format = format
        self.detail = detail
        self.playingMillis = playingMillis
    }
}

/// Why bytes are not a whole file of the format: where, and what was there instead.
public struct AudioProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Collects a few bytes that a part may split (a frame header, a chunk header).
struct HeaderBytes: Sendable {
    private(set) var bytes: [UInt8] = []
    var count: Int { bytes.count }

    /// Takes bytes from `input` (from `index`) until `wanted` are held; true when they are.
    mutating func fill(_ wanted: Int, from input: UnsafeRawBufferPointer, at index: inout Int) -> Bool {
        let take = min(wanted - bytes.count, input.count - index)
        if take > 0 {
            bytes.append(contentsOf: input[index..<(index + take)])
            index += take
        }
        return bytes.count >= wanted
    }

    mutating func reset() { bytes.removeAll(keepingCapacity: true) }

    subscript(i: Int) -> UInt8 { bytes[i] }

    func uint32BE(at i: Int) -> UInt32 {
        UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8 | UInt32(bytes[i + 3])
    }

    func uint32LE(at i: Int) -> UInt32 {
        UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
    }

    func uint16LE(at i: Int) -> UInt16 { UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8 }

    func matches(_ text: String, at i: Int = 0) -> Bool {
        let t = Array(text.utf8)
        return bytes.count >= i + t.count && Array(bytes[i..<(i + t.count)]) == t
    }
}

enum LeadingBytes {
    /// What the first bytes of a file look like, for a message: `an HTML page`, `gzip data`,
    /// and the bytes in hex.
    static func describe(_ bytes: [UInt8]) -> String {
        let hex = bytes.prefix(8).map { byte in
            let digits = Array("0123456789ABCDEF")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
        }.joined(separator: " ")
        let text = String(decoding: bytes.prefix(16), as: UTF8.self).lowercased().drop(while: { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" })
        // A frame header is 4 bytes: a marker is recognised from its first 4 too.
        func starts(_ markers: String...) -> Bool {
            markers.contains { text.hasPrefix($0) || (text.count >= 4 && $0.hasPrefix(text)) }
        }
        let kind: String? =
            if bytes.starts(with: [0x1F, 0x8B]) { "gzip data" }
            else if starts("<!doctype html", "<html", "<head", "<body") { "an HTML page" }
            else if starts("<?xml", "<error") { "an XML document" }
            else if text.hasPrefix("{") || text.hasPrefix("[") { "JSON" }
            else if text.hasPrefix("riff") { "a RIFF (WAV) file" }
            else if text.hasPrefix("id3") { "an ID3 tag" }
            else if bytes.count >= 2, bytes[0] == 0xFF, bytes[1] & 0xE0 == 0xE0 { "an MPEG audio frame" }
            else { nil }
        let shown = hex.isEmpty ? "nothing" : hex
        return kind.map { "\(shown) (\($0))" } ?? shown
    }
}
