import Testing

@testable import TnxInterpreter

/// `download $id to "archive/{created:yyyy/MM}"`: the placeholder, parsed and resolved.
@Suite("Dated download directories")
struct DownloadDirectoryTests {
    @Test("a directory without a placeholder is itself; with one, its base is the part before it")
    func parse() throws {
        let plain = try DownloadDirectory.parse("/data/archive").get()
        #expect(plain.base == "/data/archive" && plain.template == nil)
        let dated = try DownloadDirectory.parse("/data/archive/{created:yyyy/MM}").get()
        #expect(dated.base == "/data/archive")
        let inName = try DownloadDirectory.parse("/data/calls-{created:yyyy}/day-{created:dd}").get()
        #expect(inName.base == "/data")
    }

    @Test("the recording's created_at in UTC, whatever offset the API wrote it with", arguments: [
        ("2026-03-14T23:30:00Z", "/a/2026/03/14/23"),
        ("2026-03-15T01:30:00+02:00", "/a/2026/03/14/23"),
        ("2024-02-29T00:00:00.000Z", "/a/2024/02/29/00"),
        ("1999-12-31T23:59:59.999Z", "/a/1999/12/31/23"),
    ])
    func resolve(_ createdAt: String, _ expected: String) throws {
        let directory = try DownloadDirectory.parse("/a/{created:yyyy/MM/dd/HH}").get()
        #expect(try directory.resolve(createdAt: createdAt).get() == expected)
    }

    @Test("no created_at, or one that is not a time: no place, said")
    func noCreatedAt() throws {
        let directory = try DownloadDirectory.parse("/a/{created:yyyy}").get()
        for value in [nil, "", "yesterday", "2026-13-01T00:00:00Z"] as [String?] {
            guard case .failure(let problem) = directory.resolve(createdAt: value) else {
                Issue.record("\(String(describing: value)) was placed")
                continue
            }
            #expect(problem.description.contains("no created_at to place it by"))
        }
    }

    @Test("anything but {created:FORMAT} of yyyy, MM, dd, HH and / - _ . is refused", arguments: [
        "/a/{year}", "/a/{created}", "/a/{created:}", "/a/{created:yy}", "/a/{created:yyyy/../x}", "/a/{created:/yyyy}",
        "/a/{created:yyyy", "/a/created:yyyy}", "/a/{created:yyyy//MM}", "/a/{created:$HOME}", "/a/{created:yyyy/../..}", "/a/{created:yyyy/}",
    ])
    func refused(_ path: String) {
        #expect(throws: DownloadDirectory.TemplateProblem.self) { try DownloadDirectory.parse(path).get() }
    }

    @Test("a journaled copy is this directory's when it lies under its base with its name")
    func holds() throws {
        let dated = try DownloadDirectory.parse("/a/{created:yyyy}").get()
        #expect(dated.holds("/a/2026/x.mp3", named: "x.mp3"))
        #expect(!dated.holds("/b/2026/x.mp3", named: "x.mp3"))
        #expect(!dated.holds("/a/2026/../../etc/x.mp3", named: "x.mp3"))
        let plain = try DownloadDirectory.parse("/a").get()
        #expect(plain.holds("/a/x.mp3", named: "x.mp3") && !plain.holds("/a/2026/x.mp3", named: "x.mp3"))
    }
}
