import CivilTime
import TnxSystem

/// Deterministic, realistic recordings: the same ids and fields on every machine.
enum SandboxData {
    /// SplitMix64: a good 64-bit mix of a counter.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Hash of a string (FNV-1a), for fault decisions per id.
    static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x100_0000_01B3
        }
        return h
    }

    /// A number in 0..<1 from a hash.
    static func unit(_ x: UInt64) -> Double { Double(x >> 11) / Double(1 << 53) }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func hex(_ value: UInt64, digits: Int) -> String {
        var bytes = [UInt8](repeating: 0, count: digits)
        var v = value
        for i in stride(from: digits - 1, through: 0, by: -1) {
            bytes[i] = hexDigits[Int(v & 0xF)]
            v >>= 4
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A version-4-shaped UUID from two 64-bit words.
    static func uuid(_ a: UInt64, _ b: UInt64) -> String {
        // 128 bits with the version (4) and variant (10xx) bits set, written as 8-4-4-4-12.
        let high = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let low = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var out = 0
            func put(_ word: UInt64, nibbles: Range<Int>) {
                for n in nibbles {
                    if out == 8 || out == 13 || out == 18 || out == 23 {
                        buffer[out] = UInt8(ascii: "-")
                        out += 1
                    }
                    buffer[out] = hexDigits[Int((word >> UInt64(60 - 4 * n)) & 0xF)]
                    out += 1
                }
            }
            put(high, nibbles: 0..<16)
            put(low, nibbles: 0..<16)
            return out
        }
    }

    /// Telnyx's call leg and session ids are version-1 UUIDs ending in a MAC-like node.
    static func uuidV1(_ a: UInt64) -> String {
        let timeLow = a >> 32
        let timeMid = (a >> 16) & 0xFFFF
        return "\(hex(timeLow, digits: 8))-\(hex(timeMid, digits: 4))-11ef-9074-02420a0d\(hex(a & 0xFFFF, digits: 4))"
    }

    static func recordingID(index: Int) -> String {
        let i = UInt64(truncatingIfNeeded: index)
        return uuid(mix(i &* 2 &+ 0x7E1_0000), mix(i &* 2 &+ 0x7E1_0001))
    }

    private static let initiators = [
        "StartCallRecordingAPI", "DialVerb", "RecordVerb", "Conference", "OutboundAPI", "Trunking",
        "StartConferenceRecordingAPI",
    ]
    private static let areaCodes = [212, 312, 415, 512, 617, 646, 702, 718, 773, 917]
    /// A few connections and calling numbers, so that `connection …` and `from …` match many.
    static let connections = [
        "1494404757140276705", "1494404757140276706", "1612350487723844651", "1758316213401249821", "1802111634589934530",
    ]
    static let callers = (0..<25).map { "+1\(areaCodes[$0 % areaCodes.count])555\(String(1200 + $0 * 37))" }
    private static let base64url = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The made-up recording of seed `index`, with id `id`.
    static func recording(id: String, index: Int) -> SandboxRecording {
        let i = UInt64(truncatingIfNeeded: index)
        let r0 = mix(i ^ 0x5EED_0000_0000)
        let r1 = mix(r0)
        let r2 = mix(r1)
        let r3 = mix(r2)
        let createdMillis = createdMillis(index: index)
        let duration = 5_000 + Int(r1 % 3_595_000)
        let startedMillis = createdMillis / 1000 * 1000 - Int64(duration) - Int64(r2 % 4000)
        let conference = index % 5 == 0
        var control = [UInt8]("v3:".utf8)
        var bits = r2
        for k in 0..<52 {
            if k % 10 == 0 { bits = mix(bits) }
            control.append(base64url[Int(bits & 63)])
            bits >>= 6
        }
        let area2 = areaCodes[Int(r2 % UInt64(areaCodes.count))]
        return SandboxRecording(
            id: id,
            callControlId: String(decoding: control, as: UTF8.self),
            callLegId: uuidV1(mix(r3 ^ 1)),
            callSessionId: uuidV1(mix(r3 ^ 2)),
            channels: index % 3 == 0 ? "single" : "dual",
            conferenceId: conference ? uuid(mix(r0 ^ 3), mix(r1 ^ 3)) : nil,
            connectionId: connections[index % connections.count],
            createdMillis: createdMillis,
            updatedMillis: createdMillis + 1_000 + Int64(r0 % 60_000),
            durationMillis: duration,
            startedMillis: startedMillis,
            endedMillis: startedMillis + Int64(duration),
            source: conference ? "conference" : "call",
            from: callers[Int(r0 % UInt64(callers.count))],
            to: "+1\(area2)555\(String(1000 + Int(r3 % 9000)))",
            initiatedBy: conference ? "StartConferenceRecordingAPI" : initiators[Int(r2 % 6)])
    }

    /// The moment the seeded recordings are dated back from: when this process first needed
    /// one, to the minute. Recordings spread over the two years before it, so that queries by
    /// age (`created before 90d`) find matches on any day the sandbox runs; within a process
    /// every sandbox gives the same data.
    static let epochMillis: Int64 = {
        let now = Int64(WallClock.seconds * 1000)
        return now - now % 60_000
    }()

    /// How far back the seeded recordings go.
    static let spanMillis: Int64 = 730 * 86_400_000

    /// When seed `index` was created, in milliseconds since 1970 (cheap: the list filters and
    /// sorts on it without building whole recordings). Never after `epochMillis`.
    static func createdMillis(index: Int) -> Int64 {
        let i = UInt64(truncatingIfNeeded: index)
        let back = Int64(mix(i ^ 0xC4EA_7ED0) % UInt64(spanMillis))
        return epochMillis - 1 - back
    }

    /// The full `RecordingResponseData` of seed `index` with id `id`, as JSON.
    static func recordingJSON(id: String, index: Int) -> String {
        recording(id: id, index: index).json()
    }

    /// `2025-03-04T12:34:56.789Z`.
    static func iso8601(millis: Int64) -> String {
        let seconds = Int(millis / 1000)
        let ms = Int(millis % 1000)
        let (y, m, d) = civil(days: seconds / 86_400)
        let s = seconds % 86_400
        // Digit by digit into 24 bytes: four of these go into every recording of a page.
        var bytes = [UInt8](repeating: 0, count: 24)
        func put(_ n: Int, _ at: Int, _ width: Int) {
            var n = n
            for i in stride(from: at + width - 1, through: at, by: -1) {
                bytes[i] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
            }
        }
        put(y, 0, 4); bytes[4] = UInt8(ascii: "-"); put(m, 5, 2); bytes[7] = UInt8(ascii: "-"); put(d, 8, 2)
        bytes[10] = UInt8(ascii: "T"); put(s / 3600, 11, 2); bytes[13] = UInt8(ascii: ":"); put(s / 60 % 60, 14, 2)
        bytes[16] = UInt8(ascii: ":"); put(s % 60, 17, 2); bytes[19] = UInt8(ascii: "."); put(ms, 20, 3); bytes[23] = UInt8(ascii: "Z")
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT` for seconds since 1970.
    static func httpDate(seconds: Int) -> String {
        let days = seconds / 86_400
        let (y, m, d) = civil(days: days)
        let s = seconds % 86_400
        let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days % 7]
        let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][m - 1]
        return "\(weekday), \(pad(d, 2)) \(month) \(y) \(pad(s / 3600, 2)):\(pad(s / 60 % 60, 2)):\(pad(s % 60, 2)) GMT"
    }

    static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// Year, month, day of days since 1970-01-01.
    static func civil(days: Int) -> (Int, Int, Int) {
        let (y, m, d) = CivilTime.date(days: days)
        return (y, m, d)
    }
}

/// The JSON bodies the sandbox sends.
enum SandboxJSON {
    /// JSON's escapes only. Not `TerminalText.quoted`, whose first lines look the same: that one
    /// also escapes what a terminal must not see, and the sandbox must send hostile text as is.
    static func escape(_ text: String) -> String {
        // Nearly every string needs nothing: a page of 250 recordings escapes a thousand.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00" + SandboxData.hex(UInt64(scalar.value), digits: 2)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    static func errors(code: String, title: String, detail: String?, pointer: String? = nil) -> String {
        var o = "{\"errors\":[{\"code\":\"\(escape(code))\",\"title\":\"\(escape(title))\""
        if let detail { o += ",\"detail\":\"\(escape(detail))\"" }
        if let pointer { o += ",\"source\":{\"pointer\":\"\(escape(pointer))\"}" }
        if code.count == 5 {
            o += ",\"meta\":{\"url\":\"https://developers.telnyx.com/docs/overview/errors/\(escape(code))\"}"
        }
        return o + "}]}"
    }

    static func htmlPage(status: Int) -> String {
        let title = status == 502 ? "502 Bad Gateway" : status == 504 ? "504 Gateway Time-out" : "\(status) Error"
        return "<html>\r\n<head><title>\(title)</title></head>\r\n<body>\r\n<center><h1>\(title)</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    }
}

/// One recording of the sandbox: the contract's `RecordingResponseData`.
struct SandboxRecording: Sendable {
    var id: String
    var callControlId: String
    var callLegId: String
    var callSessionId: String
    var channels: String
    var conferenceId: String?
    var connectionId: String
    var createdMillis: Int64
    var updatedMillis: Int64
    var durationMillis: Int
    var startedMillis: Int64
    var endedMillis: Int64
    var source: String
    var from: String
    var to: String
    var initiatedBy: String

    /// The value of a list filter's field (`from`, `connection_id`, …), for exact matches.
    func value(of field: String) -> String? {
        switch field {
        case "from": from
        case "to": to
        case "connection_id": connectionId
        case "conference_id": conferenceId
        case "call_leg_id": callLegId
        case "call_session_id": callSessionId
        case "call_control_id": callControlId
        case "sip_call_id": nil
        default: nil
        }
    }

    /// As JSON. `media` makes the `download_urls` (nil: links to a host that does not exist);
    /// `duration` false leaves out `duration_millis`.
    func json(media: MediaLinks? = nil, duration: Bool = true) -> String {
        let escapedID = SandboxJSON.escape(id)
        let mp3 = media?.url(id: id, ext: "mp3") ?? "https://recordings.sandbox.invalid/\(MediaLinks.pathSegment(id)).mp3"
        let wav = media?.url(id: id, ext: "wav") ?? "https://recordings.sandbox.invalid/\(MediaLinks.pathSegment(id)).wav"
        var o = "{"
        o += "\"record_type\":\"recording\""
        o += ",\"id\":\"\(escapedID)\""
        o += ",\"call_control_id\":\"\(SandboxJSON.escape(callControlId))\""
        o += ",\"call_leg_id\":\"\(callLegId)\""
        o += ",\"call_session_id\":\"\(callSessionId)\""
        o += ",\"channels\":\"\(channels)\""
        if let conferenceId { o += ",\"conference_id\":\"\(conferenceId)\"" }
        o += ",\"connection_id\":\"\(connectionId)\""
        o += ",\"created_at\":\"\(SandboxData.iso8601(millis: createdMillis))\""
        o += ",\"updated_at\":\"\(SandboxData.iso8601(millis: updatedMillis))\""
        o += ",\"download_urls\":{\"mp3\":\"\(SandboxJSON.escape(mp3))\",\"wav\":\"\(SandboxJSON.escape(wav))\"}"
        if duration { o += ",\"duration_millis\":\(durationMillis)" }
        o += ",\"recording_started_at\":\"\(SandboxData.iso8601(millis: startedMillis))\""
        o += ",\"recording_ended_at\":\"\(SandboxData.iso8601(millis: endedMillis))\""
        o += ",\"source\":\"\(source)\""
        o += ",\"status\":\"completed\""
        o += ",\"from\":\"\(SandboxJSON.escape(from))\""
        o += ",\"to\":\"\(SandboxJSON.escape(to))\""
        o += ",\"initiated_by\":\"\(initiatedBy)\""
        o += "}"
        return o
    }
}
