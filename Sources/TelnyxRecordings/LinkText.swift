/// What of a URL may be written down. A URL can carry credentials in two places: its userinfo
/// (`https://user:password@host/…`) and its query (a presigned media link's `X-Amz-Signature`,
/// which opens the recording to anyone for minutes). Messages and the records tnx keeps (the
/// journal, `DIR/ID.json`) hold neither; the key itself is looked for in each form a URL can
/// hold it (as is, percent-encoded).
public enum LinkText {
    /// `scheme://host[:port]/path` of `url`: without userinfo, query or fragment.
    public static func withoutCredentials(_ url: String) -> String {
        let end = url.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? url.endIndex
        let link = url[..<end]
        // Without a scheme (a mistyped base URL), the authority starts the text.
        let authorityStart = link.firstRange(of: "://")?.upperBound ?? link.startIndex
        let authorityEnd = link[authorityStart...].firstIndex(of: "/") ?? link.endIndex
        guard let at = link[authorityStart..<authorityEnd].lastIndex(of: "@") else { return String(link) }
        return String(link[..<authorityStart]) + String(link[link.index(after: at)...])
    }

    /// `secret` percent-encoded as a URL would carry it: every byte but `A-Z a-z 0-9 - . _ ~`
    /// as `%XX` (upper-case hex, or lower-case). Equal to `secret` when it has no such byte.
    public static func percentEncoded(_ secret: String, uppercase: Bool = true) -> String {
        let hex = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var out: [UInt8] = []
        for byte in secret.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `text` with every `%XX` decoded (a `%` not followed by two hex digits is kept as is).
    public static func percentDecoded(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(UInt8(ascii: "%")) else { return text }
        func value(_ b: UInt8) -> UInt8? {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let high = value(bytes[i + 1]), let low = value(bytes[i + 2]) {
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The forms of `secret` a text may hold it in: as is, and percent-encoded (upper- and
    /// lower-case hex) when that differs.
    public static func forms(of secret: String) -> [String] {
        var forms = [secret]
        for upper in [true, false] {
            let encoded = percentEncoded(secret, uppercase: upper)
            if !forms.contains(encoded) { forms.append(encoded) }
        }
        return forms
    }

    /// Whether `url` holds `secret` anywhere, in any encoding (every `%XX` decoded first).
    public static func holds(_ url: String, secret: String) -> Bool {
        !secret.isEmpty && (url.contains(secret) || percentDecoded(url).contains(secret))
    }
}
