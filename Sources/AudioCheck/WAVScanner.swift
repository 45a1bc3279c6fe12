/// A WAV file, checked as it streams: `RIFF` and `WAVE`, then chunks, each where the one
/// before said it ends (sizes padded to an even byte), one `fmt ` chunk before one `data`
/// chunk, and chunk sizes that add up to the file, as the RIFF header says. The playing time
/// is the `data` chunk's bytes over the byte rate `fmt ` states (checked against its sample
/// rate and block size for PCM, float, A-law and µ-law).
struct WAVScanner: Sendable {
    private enum Phase: Sendable {
        case riff
        case chunkHeader
        /// The first bytes of the `fmt ` chunk, which is this long.
        case format(size: Int)
        case skip(Int)
        case failed(AudioProblem)
    }

    private var phase = Phase.riff
    private var held = HeaderBytes()
    private var offset = 0
    /// The file's length, as the RIFF header says (its size + 8).
    private var declaredLength = 0
    private var format: Format?
    private var dataBytes: Int?

    struct Format: Sendable, Hashable {
        var code: Int
        var channels: Int
        var sampleRate: Int
        var byteRate: Int
        var blockAlign: Int
        var bits: Int

        var name: String {
            switch code {
            case 1: "PCM \(bits)-bit"
            case 3: "float \(bits)-bit"
            case 6: "A-law"
            case 7: "µ-law"
            case 0xFFFE: "extensible \(bits)-bit"
            default: "format \(code)"
            }
        }
    }

    mutating func feed(_ input: UnsafeRawBufferPointer) {
        var i = 0
        while i < input.count {
            switch phase {
            case .failed:
                return
            case .riff:
                guard held.fill(12, from: input, at: &i) else { return }
                if held.matches("RF64") || held.matches("RIFX") {
                    return fail("it is a \(held.matches("RF64") ? "RF64" : "big-endian RIFX") file, which tnx does not check")
                }
                guard held.matches("RIFF"), held.matches("WAVE", at: 8) else {
                    return fail("it starts with \(LeadingBytes.describe(held.bytes)), not RIFF…WAVE")
                }
                declaredLength = Int(held.uint32LE(at: 4)) + 8
                consumeHeld(then: .chunkHeader)
            case .chunkHeader:
                if offset >= declaredLength, held.count == 0 {
                    return fail("it goes on past the \(declaredLength) bytes its RIFF header gives")
                }
                guard held.fill(8, from: input, at: &i) else { return }
                let id = String(decoding: held.bytes[0..<4].map { $0 >= 0x20 && $0 < 0x7F ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
                let size = Int(held.uint32LE(at: 4))
                let end = offset + 8 + size + (size & 1)
                // The last chunk may leave out its pad byte when the RIFF size says so.
                guard offset + 8 + size <= declaredLength else {
                    return fail("its \"\(id)\" chunk at byte \(offset) says \(size) bytes, past the end the RIFF header gives (\(declaredLength))")
                }
                switch id {
                case "fmt ":
                    guard format == nil else { return fail("it has a second \"fmt \" chunk at byte \(offset)") }
                    guard size >= 16 else { return fail("its \"fmt \" chunk is \(size) bytes, less than 16") }
                    consumeHeld(then: .format(size: size))
                case "data":
                    guard format != nil else { return fail("its \"data\" chunk at byte \(offset) comes before any \"fmt \" chunk") }
                    guard dataBytes == nil else { return fail("it has a second \"data\" chunk at byte \(offset)") }
                    dataBytes = size
                    consumeHeld(then: Self.skip(min(end, declaredLength) - offset - 8))
                default:
                    consumeHeld(then: Self.skip(min(end, declaredLength) - offset - 8))
                }
            case .format(let size):
                guard held.fill(16, from: input, at: &i) else { return }
                let f = Format(
                    code: Int(held.uint16LE(at: 0)), channels: Int(held.uint16LE(at: 2)), sampleRate: Int(held.uint32LE(at: 4)),
                    byteRate: Int(held.uint32LE(at: 8)), blockAlign: Int(held.uint16LE(at: 12)), bits: Int(held.uint16LE(at: 14)))
                // Only formats whose byte rate follows from the sample rate: otherwise a header
                // could say 1 byte a second and make any few bytes "play" for as long as asked.
                guard Self.formats.contains(f.code) else {
                    return fail("its audio is format \(f.code), not PCM, float, A-law or µ-law, which tnx does not check")
                }
                guard (1...16).contains(f.channels), Self.sampleRates.contains(f.sampleRate), [8, 16, 24, 32, 64].contains(f.bits) else {
                    return fail("its \"fmt \" chunk says \(f.channels) channels of \(f.bits) bits at \(f.sampleRate) Hz, not a recording's")
                }
                guard f.blockAlign == f.channels * (f.bits / 8), f.byteRate == f.sampleRate * f.blockAlign else {
                    return fail("its \"fmt \" chunk does not add up (\(f.channels) channels of \(f.bits) bits at \(f.sampleRate) Hz, but \(f.byteRate) bytes a second in blocks of \(f.blockAlign))")
                }
                format = f
                let rest = size + (size & 1) - 16
                offset += 16
                held.reset()
                phase = Self.skip(min(rest, declaredLength - offset))
            case .skip(let remaining):
                let step = min(remaining, input.count - i)
                i += step
                offset += step
                phase = Self.skip(remaining - step)
            }
        }
    }

    /// PCM, IEEE float, A-law, µ-law and WAVE_FORMAT_EXTENSIBLE.
    static let formats: Set<Int> = [1, 3, 6, 7, 0xFFFE]
    /// From narrowband telephony's 4 kHz (a WAV says at least 4,000 bytes a second of audio).
    static let sampleRates = 4000...384_000

    /// Passing over `count` bytes; none: the next chunk's header.
    private static func skip(_ count: Int) -> Phase { count > 0 ? .skip(count) : .chunkHeader }

    private mutating func consumeHeld(then next: Phase) {
        offset += held.count
        held.reset()
        phase = next
    }

    // `fail` and the start of `finish` have the same shape in each scanner (AudioScanner's
    // protocol); their words name the format, so they stay apart.
    private mutating func fail(_ why: String) {
        phase = .failed(AudioProblem("not a WAV recording: " + why))
    }

    func finish() -> Result<AudioSummary, AudioProblem> {
        switch phase {
        case .failed(let problem):
            return .failure(problem)
        case .riff:
            let n = held.count
            return .failure(AudioProblem("not a WAV recording: \(n) byte\(n == 1 ? "" : "s") (\(LeadingBytes.describe(held.bytes))), too short for a RIFF header"))
        case .format, .skip:
            return .failure(AudioProblem("not a whole WAV recording: the file ends at byte \(offset + held.count), inside a chunk; its RIFF header gives \(declaredLength) bytes (cut off?)"))
        case .chunkHeader where held.count > 0:
            return .failure(AudioProblem("not a whole WAV recording: the file ends at byte \(offset + held.count), inside a chunk header"))
        case .chunkHeader:
            guard offset == declaredLength else {
                return .failure(AudioProblem("not a whole WAV recording: the file is \(offset) bytes, its RIFF header gives \(declaredLength) (cut off?)"))
            }
            guard let format, let dataBytes else {
                return .failure(AudioProblem("not a WAV recording: it has no \(format == nil ? "\"fmt \"" : "\"data\"") chunk"))
            }
            guard dataBytes > 0 else {
                return .failure(AudioProblem("not a WAV recording: its \"data\" chunk is empty"))
            }
            if dataBytes % format.blockAlign != 0 {
                return .failure(AudioProblem("not a whole WAV recording: its data (\(dataBytes) bytes) is not whole blocks of \(format.blockAlign)"))
            }
            let millis = Int64(dataBytes) * 1000 / Int64(format.byteRate)
            let channels = format.channels == 1 ? "mono" : format.channels == 2 ? "stereo" : "\(format.channels) channels"
            return .success(AudioSummary(format: .wav, detail: "\(format.name), \(format.sampleRate) Hz, \(channels)", playingMillis: millis))
        }
    }
}
