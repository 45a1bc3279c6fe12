import Foundation
import NIOCore
import Testing
import TnxSandbox

@testable import TelnyxRecordings

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What the sandbox's seed `index` holds, read from the JSON it answers with.
struct Seeded {
    let id: String
    let created: String
    let from: String
    let connection: String

    static func all(_ count: Int) -> [Seeded] {
        (0..<count).map { i in
            let object = try! JSONSerialization.jsonObject(with: Data(Sandbox.recordingJSON(index: i).utf8)) as! [String: Any]
            return Seeded(
                id: object["id"] as! String, created: object["created_at"] as! String, from: object["from"] as! String,
                connection: object["connection_id"] as! String)
        }
    }
}

/// Every recording of `filter`, read page by page.
func listAll(_ client: RecordingsClient, _ filter: RecordingFilter, size: Int) async throws -> [Recording] {
    var all: [Recording] = []
    var page = 1
    while true {
        let got = try await client.listRecordings(filter, page: page, size: size).get()
        all += got.recordings
        if page >= (got.totalPages ?? 1) { return all }
        page += 1
    }
}

@Suite("GET /recordings and GET /recordings/{id} against the sandbox")
struct ListTests {
    @Test("each filter, paged, gives exactly the recordings that match, newest first")
    func filtersAndPaging() async throws {
        let seeded = Seeded.all(300)
        try await withSandboxClient(seed: 300) { _, client in
            let cut = seeded.map(\.created).sorted()[120]
            let before = try await listAll(client, RecordingFilter(createdTo: cut), size: 7)
            #expect(Set(before.compactMap(\.id)) == Set(seeded.filter { $0.created <= cut }.map(\.id)))
            #expect(before.count == 121)
            let created = before.compactMap(\.createdAt)
            #expect(created == created.sorted(by: >), "newest first")

            let after = try await listAll(client, RecordingFilter(createdFrom: cut), size: 250)
            #expect(Set(after.compactMap(\.id)) == Set(seeded.filter { $0.created >= cut }.map(\.id)))

            let caller = seeded[5].from  // "+1…": the + must reach the server as %2B
            let fromOne = try await listAll(client, RecordingFilter(exact: [.init(field: "from", value: caller)]), size: 3)
            #expect(Set(fromOne.compactMap(\.id)) == Set(seeded.filter { $0.from == caller }.map(\.id)))
            #expect(!fromOne.isEmpty)

            let connection = seeded[0].connection
            let both = try await listAll(
                client, RecordingFilter(createdTo: cut, exact: [.init(field: "connection_id", value: connection)]), size: 250)
            #expect(Set(both.compactMap(\.id)) == Set(seeded.filter { $0.created <= cut && $0.connection == connection }.map(\.id)))

            let none = try await client.listRecordings(RecordingFilter(exact: [.init(field: "to", value: "nobody")]), page: 1, size: 20).get()
            #expect(none.recordings.isEmpty)
            #expect(none.totalResults == 0)
        }
    }

    @Test("count is one request of one recording, whatever the number")
    func countIsOneRequest() async throws {
        try await withSandboxClient(seed: 2000) { sandbox, client in
            sandbox.resetCounters()
            #expect(try await client.countRecordings(RecordingFilter()).get() == 2000)
            #expect(sandbox.totalRequests == 1)
            let path = try #require(sandbox.lastRequest?.path)
            #expect(path.contains("page%5Bsize%5D=1"))
        }
    }

    @Test("page numbers and sizes are clamped to what the API takes; filters are encoded")
    func clampedAndEncoded() async throws {
        try await withSandboxClient(seed: 10) { sandbox, client in
            _ = try await client.listRecordings(
                RecordingFilter(createdTo: "2026-01-01T00:00:00.000Z", exact: [.init(field: "from", value: "+1 555&x=y")]), page: 0, size: 10_000
            ).get()
            let path = try #require(sandbox.lastRequest?.path)
            #expect(path.hasPrefix("/v2/recordings?page%5Bnumber%5D=1&page%5Bsize%5D=250&"))
            #expect(path.contains("filter%5Bfrom%5D=%2B1%20555%26x%3Dy"))
            #expect(path.contains("filter%5Bcreated_at%5D%5Blte%5D=2026-01-01T00%3A00%3A00.000Z"))
        }
    }

    @Test("the sandbox answers 400 to a page size outside 1…250 and a page below 1, as the API does")
    func sandboxRefusesBadPaging() async throws {
        try await withSandbox(seed: 5) { sandbox in
            for query in ["page[size]=0", "page[size]=251", "page[number]=0", "filter[created_at][gte]=yesterday", "filter[colour]=red"] {
                var request = URLRequest(url: URL(string: sandbox.baseURL + "/recordings?" + query.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "[]")))!)!)
                request.setValue("Bearer \(sandbox.apiKey)", forHTTPHeaderField: "Authorization")
                let (_, response) = try await URLSession.shared.data(for: request)
                #expect((response as? HTTPURLResponse)?.statusCode == 400, "\(query)")
            }
        }
    }

    @Test("meta from a server is read totally: missing, negative, fractional or huge numbers")
    func metaIsClamped() {
        func page(_ meta: String) -> RecordingPage? {
            RecordingListEnvelope.decode(ByteBuffer(string: "{\"data\":[{\"id\":\"a\"}],\"meta\":\(meta)}"))
        }
        #expect(page("{}")?.totalPages == nil)
        #expect(page("{\"total_pages\":-5,\"total_results\":-1}")?.totalPages == 0)
        #expect(page("{\"total_pages\":1e300}")?.totalPages.map { $0 <= 1_000_000_000_000 } ?? true)
        #expect(page("{\"total_pages\":\"7\"}")?.totalPages == 7)  // a number in a string is still read
        #expect(page("{\"total_pages\":\"seven\"}")?.totalPages == nil)
        #expect(page("{\"total_pages\":99999999999999999999999}")?.totalPages.map { $0 <= 1_000_000_000_000 } ?? true)
        #expect(page("null")?.recordings.count == 1)
    }

    @Test("retrieve: every field of one recording; 404 for one that does not exist")
    func retrieve() async throws {
        try await withSandboxClient(seed: 3) { _, client in
            let id = Sandbox.seededIDs(count: 1)[0]
            let r = try await client.retrieveRecording(rid(id)).get()
            #expect(r.id == id)
            #expect(r.connectionId?.count == 19)
            #expect(r.downloadUrls?.mp3 != nil)
            switch await client.retrieveRecording(try rid("3fa85f64-5717-4562-b3fc-2c963f66afa6")) {
            case .success: Issue.record("found a recording that does not exist")
            case .failure(let error): #expect(error.kind == .notFound)
            }
        }
    }
}
