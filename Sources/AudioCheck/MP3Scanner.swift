/// An MP3 file, checked as it streams: an optional ID3v2 tag, then MPEG audio frames (MPEG 1,
/// 2 and 2.5, Layer III), each header where the frame before said the next one starts, up to
/// the end of the file or a 128-byte ID3v1 tag that ends it. A Xing, Info or VBRI header in
/// the first frame is tolerated and not counted as audio. Anything else (a file that ends inside
/// a frame, bytes between frames, a frame of another version or sample rate than the first) is
/// not a copy.
///
/// Cost: a few comparisons per frame (a frame is 24 to 1,441 bytes); the bytes in between are
/// skipped, never looked at. Far below the SHA-256 computed over the same bytes.
struct MP3Scanner: Sendable {
    private enum Phase: Sendable {
        /// The first 10 bytes: an ID3v2 tag or the first frame.
        case start
        /// Bytes to pass over: the rest of an ID3v2 tag or of a frame.
        case skip(Int)
        /// A frame header (4 bytes), or the first frame's first bytes (for a Xing header).
        case header
        /// The first frame's bytes, up to where a Xing/Info/VBRI tag would be.
        case firstFrame(Frame)
        /// Inside the ID3v1 tag: this many bytes of it are still to come.
        case trailer(Int)
        case failed(AudioProblem)
    }

    private var phase = Phase.start
    private var held = HeaderBytes()
    /// Bytes consumed so far: the place of a problem.
    private var offset = 0
    private var first: Frame?
    private var audioFrames = 0
    private var samples: Int64 = 0
    private var taggedFirstFrame = false

    struct Frame: Sendable, Hashable {
        /// 1, 2 or 25 (MPEG-2.5).
        var version: Int
        var sampleRate: Int
        var bitrate: Int
        var length: Int
        var samples: Int
        var mono: Bool
        var crc: Bool

        var versionName: String { version == 25 ? "MPEG-2.5" : "MPEG-\(version)" }

        /// Whether this frame can follow `first` in one recording: the same version and rate.
        /// (A Layer III frame is at least 24 bytes: longer than its header, always.)
        func continues(_ first: Frame) -> Bool { version == first.version && sampleRate == first.sampleRate }
    }

    static let bitratesV1 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
    static let bitratesV2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]

    /// The frame whose header is `b`, or why it is not one.
    static func frame(_ b: (UInt8, UInt8, UInt8, UInt8)) -> Result<Frame, AudioProblem> {
        guard b.0 == 0xFF, b.1 & 0xE0 == 0xE0 else { return .failure(AudioProblem("no frame sync")) }
        let version: Int
        switch (b.1 >> 3) & 3 {
        case 0: version = 25
        case 2: version = 2
        case 3: version = 1
        default: return .failure(AudioProblem("a reserved MPEG version"))
        }
        switch (b.1 >> 1) & 3 {
        case 1: break
        case 0: return .failure(AudioProblem("a reserved layer"))
        case let layer: return .failure(AudioProblem("MPEG Layer \(layer == 3 ? "I" : "II"), not Layer III (MP3)"))
        }
        let bitrateIndex = Int(b.2 >> 4)
        guard bitrateIndex != 0 else { return .failure(AudioProblem("a free-format bitrate, which tnx does not check")) }
        guard bitrateIndex != 15 else { return .failure(AudioProblem("a reserved bitrate")) }
        let rateIndex = Int((b.2 >> 2) & 3)
        guard rateIndex != 3 else { return .failure(AudioProblem("a reserved sample rate")) }
        guard b.3 & 3 != 2 else { return .failure(AudioProblem("a reserved emphasis")) }
        let bitrate = (version == 1 ? bitratesV1[bitrateIndex] : bitratesV2[bitrateIndex]) * 1000
        // 44,100, 48,000 or 32,000 Hz for MPEG-1; half that for MPEG-2, a quarter for 2.5.
        let sampleRate = (rateIndex == 0 ? 44100 : rateIndex == 1 ? 48000 : 32000) / (version == 1 ? 1 : version == 2 ? 2 : 4)
        let padding = Int((b.2 >> 1) & 1)
        let length = (version == 1 ? 144 : 72) * bitrate / sampleRate + padding
        return .success(
            Frame(
                version: version, sampleRate: sampleRate, bitrate: bitrate, length: length, samples: version == 1 ? 1152 : 576,
                mono: b.3 >> 6 == 3, crc: b.1 & 1 == 0))
    }

    mutating func feed(_ input: UnsafeRawBufferPointer) {
        var i = 0
        while i < input.count {
            switch phase {
            case .failed:
                return
            case .start:
                guard held.fill(10, from: input, at: &i) else { return }
                if held.matches("ID3") {
                    let size = (6..<10).reduce(0) { $0 << 7 | Int(held[$1] & 0x7F) }
                    guard (6..<10).allSatisfy({ held[$0] < 0x80 }), held[3] != 0xFF, held[4] != 0xFF else {
                        return fail("its ID3v2 tag has a header that is not valid")
                    }
                    let footer = held[5] & 0x10 != 0 ? 10 : 0
                    offset += 10
                    held.reset()
                    phase = size + footer > 0 ? .skip(size + footer) : .header
                } else {
                    // The first frame's first 10 bytes: go on collecting its header.
                    phase = .header
                }
            case .skip(let remaining):
                let step = min(remaining, input.count - i)
                i += step
                offset += step
                phase = remaining - step > 0 ? .skip(remaining - step) : .header
            case .header:
                // The common case, once per frame: a whole header in this part, like the first
                // frame's. Counted and passed over without copying a byte.
                if held.count == 0, input.count - i >= 4, let first,
                    case .success(let frame) = Self.frame((input[i], input[i + 1], input[i + 2], input[i + 3])), frame.continues(first)
                {
                    audioFrames += 1
                    samples += Int64(frame.samples)
                    let step = min(frame.length, input.count - i)
                    i += step
                    offset += step
                    if frame.length > step { phase = .skip(frame.length - step) }
                    continue
                }
                guard held.fill(4, from: input, at: &i) else { return }
                if audioFrames > 0 || taggedFirstFrame, held.matches("TAG") {
                    offset += 4
                    held.reset()
                    phase = .trailer(124)
                    continue
                }
                switch Self.frame((held[0], held[1], held[2], held[3])) {
                case .failure(let why):
                    let what = first == nil ? "where its first MPEG audio frame should start" : "where the frame before said the next one starts"
                    return fail("at byte \(offset), \(what), it holds \(LeadingBytes.describe(held.bytes)): \(why.description)")
                case .success(let frame):
                    if let first, !frame.continues(first) {
                        return fail(
                            "the frame at byte \(offset) is \(frame.versionName) at \(frame.sampleRate) Hz, after frames of \(first.versionName) at \(first.sampleRate) Hz: not one recording")
                    }
                    if first == nil {
                        first = frame
                        phase = .firstFrame(frame)
                    } else {
                        count(frame)
                    }
                }
            case .firstFrame(let frame):
                // Up to where a Xing tag after a CRC ends (6 + 32 + 4) in MPEG-1 stereo, the
                // furthest a tag can be, or the whole frame when it is shorter.
                guard held.fill(min(frame.length, 42), from: input, at: &i) else { return }
                let side = frame.version == 1 ? (frame.mono ? 17 : 32) : (frame.mono ? 9 : 17)
                let tagged = [4 + side, 6 + side].contains { at in held.matches("Xing", at: at) || held.matches("Info", at: at) } || held.matches("VBRI", at: 36)
                if tagged {
                    taggedFirstFrame = true
                    let consumed = held.count
                    offset += consumed
                    held.reset()
                    phase = frame.length - consumed > 0 ? .skip(frame.length - consumed) : .header
                } else {
                    count(frame)
                }
            case .trailer(let remaining):
                let step = min(remaining, input.count - i)
                guard step > 0 else {
                    return fail("it goes on after the ID3v1 tag at byte \(offset - 128) that should end it")
                }
                i += step
                offset += step
                phase = .trailer(remaining - step)
            }
        }
    }

    /// One audio frame whose header (and maybe more) is held: count it, pass over the rest.
    private mutating func count(_ frame: Frame) {
        audioFrames += 1
        samples += Int64(frame.samples)
        let consumed = held.count
        offset += consumed
        held.reset()
        phase = frame.length - consumed > 0 ? .skip(frame.length - consumed) : .header
    }

    // `fail` and the start of `finish` have the same shape in each scanner (AudioScanner's
    // protocol); their words name the format, so they stay apart.
    private mutating func fail(_ why: String) {
        phase = .failed(AudioProblem("not an MP3 recording: " + why))
    }

    func finish() -> Result<AudioSummary, AudioProblem> {
        switch phase {
        case .failed(let problem):
            return .failure(problem)
        case .start:
            return .failure(AudioProblem("not an MP3 recording: \(offset + held.count) byte\(offset + held.count == 1 ? "" : "s") (\(LeadingBytes.describe(held.bytes))), too short for one frame"))
        case .skip(let remaining):
            if first == nil {
                return .failure(AudioProblem("not an MP3 recording: the file ends inside its ID3v2 tag, \(remaining) bytes short"))
            }
            return .failure(AudioProblem("not a whole MP3 recording: the file ends inside frame \(audioFrames + (taggedFirstFrame ? 1 : 0)), \(remaining) bytes short (cut off?)"))
        case .firstFrame(let frame):
            return .failure(AudioProblem("not a whole MP3 recording: the file ends inside its first frame, \(frame.length - held.count) bytes short"))
        case .trailer(let remaining) where remaining > 0:
            return .failure(AudioProblem("not a whole MP3 recording: the file ends inside its ID3v1 tag, \(remaining) bytes short"))
        case .header where held.count > 0:
            return .failure(AudioProblem("not a whole MP3 recording: the file ends \(held.count) byte\(held.count == 1 ? "" : "s") into a frame header at byte \(offset)"))
        case .header, .trailer:
            guard let first, audioFrames > 0 else {
                return .failure(AudioProblem("not an MP3 recording: it holds no MPEG audio frame"))
            }
            let millis = samples * 1000 / Int64(first.sampleRate)
            let channels = first.mono ? "mono" : "stereo"
            return .success(
                AudioSummary(
                    format: .mp3, detail: "\(first.versionName) Layer III, \(first.sampleRate) Hz, \(channels), \(audioFrames) frames", playingMillis: millis))
        }
    }
}
