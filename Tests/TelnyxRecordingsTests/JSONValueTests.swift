import Testing

@testable import TelnyxRecordings

/// The reader that decodes every API answer: strict about syntax (so a truncated or HTML body
/// is reported as unreadable), exact about strings and numbers.
@Suite("Reading the API's JSON")
struct JSONValueTests {
    @Test("objects, arrays, strings with every escape, numbers, literals")
    func values() throws {
        let text = #" {"a":"x\"y\\z\/\n\t\u00e9\ud83d\ude00","n":-12.5e3,"i":60000,"t":true,"f":false,"z":null,"o":{"p":[1,"2",[]]}} "#
        let json = try #require(JSONValue.parse(Array(text.utf8)))
        #expect(json["a"]?.string == "x\"y\\z/\n\té😀")
        #expect(json["n"] == .number("-12.5e3"))
        #expect(json["i"]?.integer == 60000)
        #expect(json["t"] == .bool(true) && json["f"] == .bool(false) && json["z"] == .null)
        #expect(json["o"]?["p"] == .array([.number("1"), .string("2"), .array([])]))
        #expect(json["missing"] == nil)
    }

    @Test("anything that is not exactly one JSON value is refused", arguments: [
        "", "   ", "{", #"{"data":{"id":"x""#, #"{"a":1,}"#, "[1,]", "<html><body>502 Bad Gateway</body></html>",
        #"{"a":"unterminated}"#, #"{"a":"\q"}"#, #"{"a":"\u12"}"#, #"{"a":"\ud83d"}"#, "01x", "-", "1.", "1e",
        "tru", "nul", #"{"a":1} trailing"#, "{\"a\":\"raw\u{01}control\"}", String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ])
    func refused(_ text: String) {
        #expect(JSONValue.parse(Array(text.utf8)) == nil)
    }

    @Test("a recording is read leniently: ids as numbers, durations as strings, wrong types left out")
    func lenientRecording() throws {
        let text = #"{"data":{"id":"x1","connection_id":175237942907135762,"duration_millis":"1200","status":true,"download_urls":{"mp3":"m","wav":null},"extra":{"k":[1]}}}"#
        let recording = try #require(JSONValue.parse(Array(text.utf8)).map { RecordingEnvelope.recording(from: $0["data"]!) })
        #expect(recording.id == "x1")
        #expect(recording.connectionId == "175237942907135762")
        #expect(recording.durationMillis == 1200)
        #expect(recording.status == nil)
        #expect(recording.downloadUrls == Recording.DownloadURLs(mp3: "m", wav: nil))
    }
}
