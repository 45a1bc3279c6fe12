import Foundation
import Testing
import TnxSandbox

@testable import TelnyxRecordings

@Suite("RecordingsClient against the sandbox")
struct ClientTests {
    @Test("200 decodes every field of RecordingResponseData and keeps the raw JSON")
    func successDecodesEveryField() async throws {
        try await withSandboxClient { sandbox, client in
            let ids = Sandbox.seededIDs(count: 1)
            let result = await client.deleteRecording(try rid(ids[0]), dryRun: false)
            let deleted = try #require(result.deleted)
            let r = deleted.recording
            #expect(r.id == ids[0])
            #expect(r.recordType == "recording")
            #expect(r.callControlId?.hasPrefix("v3:") == true)
            #expect(r.callLegId?.count == 36)
            #expect(r.callSessionId?.count == 36)
            #expect(r.channels == "single")
            #expect(r.conferenceId?.count == 36)
            #expect(r.connectionId?.count == 19)
            #expect(r.createdAt?.hasSuffix("Z") == true)
            #expect(r.updatedAt?.hasSuffix("Z") == true)
            // Presigned links to the media host, a port of its own.
            #expect(r.downloadUrls?.mp3?.hasPrefix(sandbox.mediaBase + "/media/\(ids[0]).mp3?X-Amz-Expires=") == true)
            #expect(r.downloadUrls?.wav?.hasPrefix(sandbox.mediaBase + "/media/\(ids[0]).wav?X-Amz-Expires=") == true)
            #expect(!sandbox.mediaBase.hasSuffix(":\(sandbox.port)"))
            #expect((r.durationMillis ?? 0) >= 5000)
            #expect(r.recordingStartedAt != nil)
            #expect(r.recordingEndedAt != nil)
            #expect(r.source == "conference")
            #expect(r.status == "completed")
            #expect(r.from?.hasPrefix("+1") == true)
            #expect(r.to?.hasPrefix("+1") == true)
            #expect(r.initiatedBy == "StartConferenceRecordingAPI")
            #expect(deleted.httpStatus == 200)
            #expect(deleted.attempts == 1)
            #expect(deleted.note == nil)
            // Decoding the API's JSON the standard way gives the same recording.
            struct Envelope: Decodable { var data: Recording }
            let standard = try JSONDecoder().decode(Envelope.self, from: Data("{\"data\":\(Sandbox.recordingJSON(index: 0))}".utf8))
            var linkless = r
            linkless.downloadUrls = nil
            var standardLinkless = standard.data
            standardLinkless.downloadUrls = nil
            #expect(standardLinkless == linkless)  // (the links are signed when they are handed out)

            #expect(sandbox.deletedIDs == [ids[0]])
            #expect(!sandbox.contains(id: ids[0]))
            let seen = try #require(sandbox.lastRequest)
            #expect(seen.method == "DELETE")
            #expect(seen.path == "/v2/recordings/\(ids[0])")
            #expect(seen.headers["authorization"] == "Bearer \(Sandbox.defaultAPIKey)")
            #expect(seen.headers["accept"] == "application/json")
            #expect(seen.headers["user-agent"] == "tnx/\(ClientConfiguration.version)")
        }
    }

    @Test("a body with missing, extra and mistyped fields still decodes")
    func tolerantDecoding() async throws {
        try await withSandboxClient { sandbox, client in
            let body = #"{"data":{"id":"x1","duration_millis":"1200","extra":{"a":[1,2]},"status":"completed","to":null}, "meta":{}}"#
            sandbox.script([.fixed(status: 200, headers: ["content-type": "application/json"], body: body)], for: "x1")
            let result = await client.deleteRecording(try rid("x1"), dryRun: false)
            let deleted = try #require(result.deleted)
            #expect(deleted.recording.id == "x1")
            #expect(deleted.recording.durationMillis == 1200)
            #expect(deleted.recording.status == "completed")
            #expect(deleted.recording.to == nil)
        }
    }

    @Test("401 with a wrong key: unauthorized, code 10009, actionable, never retried, key not shown")
    func unauthorized() async throws {
        let wrongKey = "KEYwrong_Secret_987654321"
        try await withSandboxClient(apiKey: wrongKey) { sandbox, client in
            let id = Sandbox.seededIDs(count: 1)[0]
            let result = await client.deleteRecording(try rid(id), dryRun: false)
            let error = try #require(result.error)
            guard case .failed = result else { Issue.record("expected .failed"); return }
            #expect(error.kind == .unauthorized)
            #expect(error.status == 401)
            #expect(error.apiErrors.first?.code == "10009")
            #expect(error.apiErrors.first?.title == "Authentication failed")
            #expect(error.attempts == 1)
            #expect(error.description.hasPrefix("HTTP 401 Unauthorized (code 10009: Authentication failed"))
            #expect(error.description.contains("TELNYX_API_KEY"))
            #expect(!error.description.contains(wrongKey))
            #expect(sandbox.totalRequests == 1)
            #expect(sandbox.contains(id: id))
        }
    }

    @Test("no key: unauthorized, nothing sent, says how to set TELNYX_API_KEY; setAPIKey then works")
    func missingKey() async throws {
        try await withSandboxClient(apiKey: nil) { sandbox, client in
            #expect(!client.hasAPIKey)
            let id = Sandbox.seededIDs(count: 1)[0]
            let result = await client.deleteRecording(try rid(id), dryRun: false)
            let error = try #require(result.error)
            #expect(error.kind == .unauthorized)
            #expect(error.status == nil)
            #expect(error.attempts == 0)
            #expect(error.description.contains("TELNYX_API_KEY"))
            #expect(error.description.contains("nothing was sent"))
            #expect(sandbox.totalRequests == 0)

            try client.setAPIKey(" \(Sandbox.defaultAPIKey)\n")
            #expect(client.hasAPIKey)
            #expect(try await client.deleteRecording(rid(id), dryRun: false).deleted != nil)
            try client.setAPIKey(nil)
            #expect(!client.hasAPIKey)
        }
    }

    @Test("403: forbidden with code 10010")
    func forbidden() async throws {
        try await withSandboxClient { sandbox, client in
            sandbox.script(
                [.apiError(status: 403, code: "10010", title: "Authorization failed", detail: "Not allowed for this key.")],
                for: "r403")
            let error = try #require(try await client.deleteRecording(rid("r403"), dryRun: false).error)
            #expect(error.kind == .forbidden)
            #expect(error.status == 403)
            #expect(error.apiErrors == [.init(code: "10010", title: "Authorization failed", detail: "Not allowed for this key.")])
            #expect(error.description.hasPrefix("HTTP 403 Forbidden (code 10010: Authorization failed: Not allowed for this key.)"))
            #expect(error.description.contains("permissions"))
            #expect(sandbox.requestCount(for: "r403") == 1)
        }
    }

    @Test("404: not found with code 10005, a single request, not a failure")
    func notFound() async throws {
        try await withSandboxClient { sandbox, client in
            let result = await client.deleteRecording(try rid("no-such-recording"), dryRun: false)
            #expect(result.isNotFound)
            let error = try #require(result.error)
            #expect(error.kind == .notFound)
            #expect(error.status == 404)
            #expect(error.apiErrors.first?.code == "10005")
            #expect(error.description.hasPrefix("HTTP 404 Not Found (code 10005: Resource not found"))
            #expect(error.description.contains("already deleted"))
            #expect(sandbox.requestCount(for: "no-such-recording") == 1)
        }
    }

    @Test("deleting twice: deleted, then not found")
    func deleteTwice() async throws {
        try await withSandboxClient { sandbox, client in
            let id = try rid(Sandbox.seededIDs(count: 3)[2])
            #expect(await client.deleteRecording(id, dryRun: false).deleted != nil)
            #expect(await client.deleteRecording(id, dryRun: false).isNotFound)
        }
    }

    @Test("422 and other 4xx: client error, not retried; 10006 named as an invalid id")
    func clientErrors() async throws {
        try await withSandboxClient { sandbox, client in
            sandbox.script([.apiError(status: 422, code: "10006", title: "Invalid ID", detail: "bad-id is not valid.")], for: "bad-id")
            let error = try #require(try await client.deleteRecording(rid("bad-id"), dryRun: false).error)
            #expect(error.kind == .clientError)
            #expect(error.status == 422)
            #expect(error.description.hasPrefix("HTTP 422 Unprocessable Entity (code 10006: Invalid ID: bad-id is not valid.)"))
            #expect(error.description.contains("not a valid recording id"))
            #expect(sandbox.requestCount(for: "bad-id") == 1)

            // A numeric code is tolerated.
            sandbox.script(
                [.fixed(status: 400, headers: [:], body: #"{"errors":[{"code":400,"title":"Bad Request"}]}"#)], for: "r400")
            let e400 = try #require(try await client.deleteRecording(rid("r400"), dryRun: false).error)
            #expect(e400.kind == .clientError)
            #expect(e400.apiErrors.first?.code == "400")
            #expect(sandbox.requestCount(for: "r400") == 1)

            // 409 is retried, then reported as a client error.
            sandbox.script(Array(repeating: .apiError(status: 409, code: "409", title: "Conflict"), count: 9), for: "r409")
            let e409 = try #require(try await client.deleteRecording(rid("r409"), dryRun: false).error)
            #expect(e409.kind == .clientError)
            #expect(e409.attempts == 5)
            #expect(sandbox.requestCount(for: "r409") == 5)
        }
    }

    @Test("5xx is retried, then succeeds")
    func retryThenSuccess() async throws {
        try await withSandboxClient { sandbox, client in
            let id = Sandbox.seededIDs(count: 1)[0]
            sandbox.script(
                [.apiError(status: 503, code: "503", title: "Service unavailable"), .html(status: 502),
                 .apiError(status: 500, code: "500", title: "Internal error")], for: id)
            let deleted = try #require(try await client.deleteRecording(rid(id), dryRun: false).deleted)
            #expect(deleted.attempts == 4)
            #expect(deleted.note == nil)
            #expect(sandbox.requestCount(for: id) == 4)
            #expect(sandbox.deletedIDs == [id])
        }
    }

    @Test("5xx on every attempt: server error after maxAttempts")
    func serverErrorExhausted() async throws {
        try await withSandboxClient { sandbox, client in
            sandbox.script(Array(repeating: .apiError(status: 500, code: "500", title: "Internal server error"), count: 10), for: "r500")
            let error = try #require(try await client.deleteRecording(rid("r500"), dryRun: false).error)
            #expect(error.kind == .serverError)
            #expect(error.status == 500)
            #expect(error.attempts == 5)
            #expect(error.description.hasPrefix("HTTP 500 Internal Server Error (code 500: Internal server error)"))
            #expect(error.description.contains("after 5 attempts"))
            #expect(sandbox.requestCount(for: "r500") == 5)
        }
    }

    @Test("an HTML 502 page: unreadable response with status and a short excerpt")
    func htmlBadGateway() async throws {
        try await withSandboxClient(policy: .never) { sandbox, client in
            sandbox.script([.html(status: 502)], for: "r502")
            let error = try #require(try await client.deleteRecording(rid("r502"), dryRun: false).error)
            #expect(error.kind == .unreadableResponse)
            #expect(error.status == 502)
            #expect(error.description.hasPrefix("HTTP 502 Bad Gateway with a body that is not the API's JSON (text/html"))
            #expect(error.description.contains("<html> <head><title>502 Bad Gateway</title>"))
            #expect(!error.description.contains("\r"))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("truncated JSON on a 404 is unreadable, never a silent not-found")
    func truncatedJSON() async throws {
        try await withSandboxClient { sandbox, client in
            sandbox.script([.truncatedJSON(status: 404)], for: "r404t")
            let result = await client.deleteRecording(try rid("r404t"), dryRun: false)
            guard case .failed(let error) = result else {
                Issue.record("expected .failed, got \(result)")
                return
            }
            #expect(error.kind == .unreadableResponse)
            #expect(error.status == 404)
            #expect(error.description.contains(#"{"errors":[{"code":"100"#))
            #expect(error.description.contains("not known whether the recording exists"))

            // An HTML 404 from a proxy in front of the API: not "already gone" either.
            sandbox.script([.html(status: 404)], for: "r404h")
            #expect(try await client.deleteRecording(rid("r404h"), dryRun: false).error?.kind == .unreadableResponse)

            // A 200 that is not JSON: the status says the delete happened; a note says the
            // body was not what the API documents.
            sandbox.script([.html(status: 200)], for: "r200h")
            let d200 = try #require(try await client.deleteRecording(rid("r200h"), dryRun: false).deleted)
            #expect(d200.httpStatus == 200)
            #expect(d200.note?.contains("confirmed the delete, but its answer is not the JSON it documents") == true)
            #expect(sandbox.requestCount(for: "r200h") == 1, "never retried")
        }
    }

    @Test("connection refused on a closed port: transport error after retries")
    func connectionRefused() async throws {
        let sandbox = try await Sandbox.start(seed: 1)
        let baseURL = sandbox.baseURL
        await sandbox.stop()
        try await withClient(baseURL: baseURL, policy: RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(5))) { client in
            let (result, seconds) = await measure { await client.deleteRecording(try! rid("abc"), dryRun: false) }
            let error = try #require(result.error)
            #expect(error.kind == .transport)
            #expect(error.status == nil)
            #expect(error.attempts == 2)
            #expect(error.description.contains("connection refused"))
            #expect(error.description.contains("127.0.0.1:\(sandbox.port)"))
            #expect(error.description.contains("nothing was deleted"))
            #expect(seconds < 5)
        }
    }

    @Test("no answer within the deadline: timeout; the sandbox deleted it anyway, like the real API")
    func timeout() async throws {
        // Deadlines are generous: on a loaded 2-core machine the first request can take a
        // while to reach the server, and the test is about what happens after it did.
        try await withSandboxClient(policy: .never, requestTimeout: .milliseconds(600)) { sandbox, client in
            let id = Sandbox.seededIDs(count: 1)[0]
            sandbox.script([.slow(.seconds(3))], for: id)
            let (result, seconds) = await measure { await client.deleteRecording(try! rid(id), dryRun: false) }
            let error = try #require(result.error)
            #expect(error.kind == .timeout)
            #expect(error.description.contains("no answer within 600 ms"))
            #expect(error.description.contains("may or may not have been deleted"))
            #expect(seconds < 2.5)  // well before the server's answer
            #expect(!sandbox.contains(id: id))
        }
    }

    @Test("a retry after a timeout that gets 404 is reported as deleted, with a note")
    func notFoundAfterTimeoutRetry() async throws {
        try await withSandboxClient(requestTimeout: .milliseconds(600)) { sandbox, client in
            let id = Sandbox.seededIDs(count: 1)[0]
            sandbox.script([.slow(.seconds(2))], for: id)
            let result = await client.deleteRecording(try rid(id), dryRun: false)
            let deleted = try #require(result.deleted)
            #expect(deleted.attempts == 2)
            #expect(deleted.httpStatus == 404)
            #expect(deleted.recording == Recording(id: id))
            let note = try #require(deleted.note)
            #expect(note.contains("attempt 1 timed out"))
            #expect(note.contains("404 confirms"))
            #expect(sandbox.requestCount(for: id) == 2)
        }
    }

    @Test("a 404 without an earlier uncertain attempt stays not-found even after a 503")
    func notFoundAfter503() async throws {
        try await withSandboxClient { sandbox, client in
            sandbox.script([.apiError(status: 503, code: "503", title: "Unavailable")], for: "gone")
            let result = await client.deleteRecording(try rid("gone"), dryRun: false)
            #expect(result.isNotFound)
        }
    }

    @Test("dry-run sends nothing and shows the exact request with the key redacted")
    func dryRun() async throws {
        try await withSandboxClient { sandbox, client in
            let id = try rid("3fa85f64-5717-4562-b3fc-2c963f66afa6")
            let result = await client.deleteRecording(id, dryRun: true)
            guard case .wouldDelete(let request) = result else {
                Issue.record("expected .wouldDelete")
                return
            }
            #expect(request.method == "DELETE")
            #expect(request.url == "\(sandbox.baseURL)/recordings/3fa85f64-5717-4562-b3fc-2c963f66afa6")
            #expect(request.headers.map(\.name) == ["Authorization", "Accept", "User-Agent"])
            #expect(request.headers.map(\.value) == ["Bearer ***", "application/json", "tnx/\(ClientConfiguration.version)"])
            #expect(!"\(request)".contains(Sandbox.defaultAPIKey))
            #expect(sandbox.totalRequests == 0)

            // The real request goes to exactly that URL.
            _ = await client.deleteRecording(id, dryRun: false)
            #expect("http://127.0.0.1:\(sandbox.port)\(sandbox.lastRequest?.path ?? "")" == request.url)
        }
        // Dry-run needs no key and no server.
        try await withClient(baseURL: "https://api.telnyx.com/v2", apiKey: nil) { client in
            guard case .wouldDelete(let request) = await client.deleteRecording(try rid("a:b"), dryRun: true) else {
                Issue.record("expected .wouldDelete")
                return
            }
            #expect(request.url == "https://api.telnyx.com/v2/recordings/a%3Ab")
            #expect(!request.headers.contains(where: { $0.name == "Authorization" }))
        }
    }

    @Test("the key is in no error description, API error text or raw body")
    func keyNeverShown() async throws {
        let key = "KEY0123_TopSecret_Value_ABCDEF"
        try await withSandbox { sandbox in
            // The sandbox accepts only its own key, so this key draws 401s…
            try await withClient(baseURL: sandbox.baseURL, apiKey: key, policy: fastPolicy) { client in
                var errors: [RecordingsError] = []
                errors.append(try #require(try await client.deleteRecording(rid("a"), dryRun: false).error))
                // …and canned answers that echo the key back are redacted.
                let echo = "your key \(key) is wrong"
                for (id, response) in [
                    ("e1", SandboxResponse.apiError(status: 403, code: key, title: echo, detail: echo)),
                    ("e2", .apiError(status: 422, code: "10006", title: "Invalid", detail: echo)),
                    ("e3", .fixed(status: 502, headers: ["content-type": "text/html"], body: "<p>\(echo)</p>")),
                    ("e4", .apiError(status: 404, code: "10005", title: "Not found", detail: echo)),
                    ("e5", .fixed(status: 500, headers: [:], body: echo)),
                ] {
                    sandbox.script(Array(repeating: response, count: 5), for: id)
                    errors.append(try #require(try await client.deleteRecording(rid(id), dryRun: false).error))
                }
                sandbox.script([.fixed(status: 200, headers: [:], body: "{\"data\":{\"id\":\"\(key)\"}}")], for: "e6")
                let deleted = await client.deleteRecording(try rid("e6"), dryRun: false).deleted
                #expect(deleted?.recording.id?.contains(key) == false, "the key, echoed back as an id, is redacted")
                #expect(errors.count == 6)
                for error in errors {
                    #expect(!error.description.contains(key), "\(error.kind): \(error.description)")
                    #expect(!"\(error)".contains(key))
                    for api in error.apiErrors {
                        #expect(!api.code.contains(key) && !api.title.contains(key) && !(api.detail ?? "").contains(key))
                    }
                }
                guard case .wouldDelete(let request) = await client.deleteRecording(try rid("a"), dryRun: true) else {
                    Issue.record("expected .wouldDelete")
                    return
                }
                #expect(!request.headers.contains(where: { $0.value.contains(key) }))
                #expect(!"\(client.configuration)".contains(key))
            }
        }
    }

    @Test("the pool serves 200 concurrent deletes at concurrency 64")
    func manyConcurrentDeletes() async throws {
        try await withSandboxClient(seed: 200, maximumConnections: 64) { sandbox, client in
            let ids = try Sandbox.seededIDs(count: 200).map(rid)
            let results = await withTaskGroup(of: DeleteResult.self) { group in
                var results: [DeleteResult] = []
                var next = 0
                for _ in 0..<64 {
                    let id = ids[next]
                    next += 1
                    group.addTask { await client.deleteRecording(id, dryRun: false) }
                }
                while let result = await group.next() {
                    results.append(result)
                    if next < ids.count {
                        let id = ids[next]
                        next += 1
                        group.addTask { await client.deleteRecording(id, dryRun: false) }
                    }
                }
                return results
            }
            #expect(results.count == 200)
            #expect(results.allSatisfy { $0.deleted?.attempts == 1 })
            #expect(sandbox.totalRequests == 200)
            #expect(Set(sandbox.deletedIDs) == Set(ids.map(\.rawValue)))
            #expect(sandbox.recordingCount == 0)
            #expect(client.rateLimiter.snapshot.inFlight == 0)
        }
    }

    @Test("random 5xx faults (some HTML): every id still deleted thanks to retries")
    func faultyServer() async throws {
        let faults = SandboxFaults(serverErrorRate: 0.3, htmlErrorFraction: 0.5, seed: 7)
        try await withSandboxClient(seed: 100, faults: faults, policy: RetryPolicy(maxAttempts: 8, baseDelay: .milliseconds(2), maxDelay: .milliseconds(10))) {
            sandbox, client in
            let ids = try Sandbox.seededIDs(count: 100).map(rid)
            let results = await withTaskGroup(of: DeleteResult.self) { group in
                for id in ids { group.addTask { await client.deleteRecording(id, dryRun: false) } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.allSatisfy { $0.deleted != nil })
            let stats = sandbox.statistics
            #expect(stats.serverErrors > 10)
            #expect(stats.totalRequests == 100 + stats.serverErrors)
            #expect(sandbox.recordingCount == 0)
        }
    }

    @Test("cancelled while a request is on the wire: the request finishes and its real outcome is returned")
    func cancelledInFlight() async throws {
        try await withSandboxClient { sandbox, client in
            let id = Sandbox.seededIDs(count: 1)[0]
            sandbox.script([.slow(.milliseconds(300))], for: id)
            let task = Task { await client.deleteRecording(try! rid(id), dryRun: false) }
            #expect(await eventually { sandbox.requestCount(for: id) == 1 })
            task.cancel()
            let result = await task.value
            #expect(result.deleted?.attempts == 1)
            #expect(sandbox.requestCount(for: id) == 1)
        }
    }

    @Test("cancelled during a backoff: no retry, the last real failure is returned at once")
    func cancelledDuringBackoff() async throws {
        try await withSandboxClient(policy: RetryPolicy(baseDelay: .seconds(20), maxDelay: .seconds(20), jitter: 0)) { sandbox, client in
            sandbox.script(Array(repeating: .apiError(status: 503, code: "503", title: "Unavailable"), count: 5), for: "c1")
            let task = Task { await client.deleteRecording(try! rid("c1"), dryRun: false) }
            #expect(await eventually { sandbox.requestCount(for: "c1") == 1 })
            try await Task.sleep(for: .milliseconds(50))
            let (result, seconds) = await measure {
                task.cancel()
                return await task.value
            }
            #expect(seconds < 2)
            let error = try #require(result.error)
            #expect(error.kind == .serverError)
            #expect(error.description.contains("not retried: interrupted"))
            #expect(sandbox.requestCount(for: "c1") == 1)

            // Cancelled before anything was sent: interrupted, nothing sent.
            let early = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return await client.deleteRecording(try! rid("c2"), dryRun: false)
            }
            let earlyError = try #require(await early.value.error)
            #expect(earlyError.kind == .interrupted)
            #expect(earlyError.attempts == 0)
            #expect(sandbox.requestCount(for: "c2") == 0)
        }
    }

    @Test("cancelled after a timeout: interrupted, the outcome is unknown")
    func cancelledAfterTimeout() async throws {
        try await withSandboxClient(
            policy: RetryPolicy(baseDelay: .seconds(20), maxDelay: .seconds(20), jitter: 0), requestTimeout: .milliseconds(100)
        ) { sandbox, client in
            let id = Sandbox.seededIDs(count: 1)[0]
            sandbox.script([.slow(.seconds(1))], for: id)
            let task = Task { await client.deleteRecording(try! rid(id), dryRun: false) }
            #expect(await eventually { sandbox.requestCount(for: id) == 1 })
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            let error = try #require(await task.value.error)
            #expect(error.kind == .interrupted)
            #expect(error.attempts == 1)
            #expect(error.description.contains("may or may not have been deleted"))
        }
    }
}
