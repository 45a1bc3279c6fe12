import Hummingbird
import NIOCore
import Synchronization
import TnxSystem

typealias FieldName = HTTPFields.Element.Name

/// The request context of the sandbox: Hummingbird's basic one, plus the connection, so that
/// a hostile answer can drop it.
struct SandboxContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}

/// Turns requests into responses; shares `state` with its `Sandbox`.
final class Handler: Sendable {
    let state: Mutex<State>
    let expectedAuthorization: String

    init(state: State, apiKey: String) {
        self.state = Mutex(state)
        self.expectedAuthorization = "Bearer " + apiKey
    }

    static let prefix = "/v2/recordings/"
    static let listPath = "/v2/recordings"
    static let batchPath = "/v2/recordings/actions/delete"
    static let limitName = FieldName("x-ratelimit-limit")!
    static let remainingName = FieldName("x-ratelimit-remaining")!
    static let resetName = FieldName("x-ratelimit-reset")!
    static let retryAfterName = FieldName("retry-after")!
    static let retryAfterMsName = FieldName("retry-after-ms")!

    /// What a request asks for.
    enum Route {
        case delete(id: String)
        case retrieve(id: String)
        case list(query: [String: String])
        /// `POST /v2/recordings/actions/delete`.
        case batchDelete
        case unknown
    }

    /// What to answer, decided under the lock.
    enum Decision {
        case fixed(status: Int, headers: [String: String], body: String)
        case unauthorized
        case pageNotFound
        case badRequest(String)
        case dropConnection
        case rateLimited(RateHeaders, hint: SandboxFaults.RateLimit.Hint, headers: Bool, hostility: Set<SandboxFaults.Hostility>)
        case serverError(status: Int, html: Bool, RateHeaders?)
        case recording(status: Int, json: String, RateHeaders?, delay: Duration, hostility: Set<SandboxFaults.Hostility>)
        case notFound(id: String, RateHeaders?, delay: Duration, hostility: Set<SandboxFaults.Hostility>)
        case list(body: String, RateHeaders?, delay: Duration)
    }

    struct RateHeaders {
        var limit: Int
        var remaining: Int
        /// Until the window ends.
        var reset: Duration
        /// `Hostility.bogusResetWindow`: report this many seconds instead.
        var bogusResetSeconds: Int?
    }

    static func route(method: HTTPRequest.Method, target: String) -> Route {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first.map(String.init) ?? target
        if path == listPath || path == listPath + "/" {
            guard method == .get else { return .unknown }
            return .list(query: parts.count > 1 ? query(parts[1]) : [:])
        }
        if path == batchPath { return method == .post ? .batchDelete : .unknown }
        guard path.hasPrefix(prefix) else { return .unknown }
        let segment = path.dropFirst(prefix.count)
        guard !segment.isEmpty, !segment.contains("/"), let id = percentDecoded(segment) else { return .unknown }
        switch method {
        case .delete: return .delete(id: id)
        case .get: return .retrieve(id: id)
        default: return .unknown
        }
    }

    func respond(to request: Request, channel: any Channel) async -> Response {
        let target = request.head.path ?? "/"
        let authorization = request.headers[.authorization]
        let route = Self.route(method: request.method, target: target)
        var batchIDs: [String]?
        if case .batchDelete = route { batchIDs = await Self.batchIDs(in: request) }
        var id: String? {
            switch route {
            case .delete(let id), .retrieve(let id): id
            default: nil
            }
        }

        let decision: Decision = state.withLock { s in
            s.totalRequests += 1
            if s.paths.count < State.pathsKept { s.paths.append(target) }
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            s.lastRequest = Sandbox.SeenRequest(method: request.method.rawValue, path: target, headers: headers)
            var extraDelay = Duration.zero
            var perIDCount = 0
            if let id {
                perIDCount = (s.requestsByID[id] ?? 0) + 1
                s.requestsByID[id] = perIDCount
                if var queue = s.scripts[id], !queue.isEmpty {
                    let next = queue.removeFirst()
                    s.scripts[id] = queue.isEmpty ? nil : queue
                    switch next.kind {
                    case .fixed(let status, let headers, let body):
                        return .fixed(status: status, headers: headers, body: body)
                    case .normal(let delay):
                        extraDelay = delay
                    }
                }
            }
            let faults = s.faults
            if faults.hostility.contains(.resetAfterRateLimit), s.rateLimitedLast {
                s.rateLimitedLast = false
                return .dropConnection
            }
            guard authorization == expectedAuthorization else { return .unauthorized }
            if case .unknown = route { return .pageNotFound }

            var rate: RateHeaders?
            if let limit = faults.rateLimit {
                let now = ContinuousClock.now
                let windowNanos = max(limit.window.nanosecondsClamped, 1_000_000)
                let elapsed = (now - s.windowStart).nanosecondsClamped
                if elapsed >= windowNanos {
                    s.windowStart = s.windowStart.advanced(by: .nanoseconds(elapsed - elapsed % windowNanos))
                    s.windowCount = 0
                }
                let left = Duration.nanoseconds(windowNanos) - (now - s.windowStart)
                let bogus = faults.hostility.contains(.bogusResetWindow) ? 35 * 86_400 : nil
                if s.windowCount >= limit.requests {
                    s.rateLimited += 1
                    s.rateLimitedLast = true
                    return .rateLimited(
                        RateHeaders(limit: limit.requests, remaining: 0, reset: left, bogusResetSeconds: bogus), hint: limit.hint,
                        headers: limit.sendsHeaders, hostility: faults.hostility)
                }
                s.windowCount += 1
                if limit.sendsHeaders {
                    rate = RateHeaders(limit: limit.requests, remaining: limit.requests - s.windowCount, reset: left, bogusResetSeconds: bogus)
                }
            }

            if let id, faults.serverErrorRate > 0 {
                let h = SandboxData.mix(SandboxData.hash(id) ^ SandboxData.mix(faults.seed &+ UInt64(perIDCount)))
                if SandboxData.unit(h) < faults.serverErrorRate {
                    s.serverErrors += 1
                    let h2 = SandboxData.mix(h)
                    let status = [500, 502, 503, 504][Int(h2 % 4)]
                    return .serverError(status: status, html: SandboxData.unit(SandboxData.mix(h2)) < faults.htmlErrorFraction, rate)
                }
            }

            let delay = faults.latency + extraDelay
            let hostile = faults.hostility.contains(.escapesInText)
            switch route {
            case .delete(let id):
                if let index = s.recordings.removeValue(forKey: id) {
                    s.deletedIDs.append(id)
                    s.index?.remove(id)
                    return .recording(status: 200, json: Self.json(id: id, index: index, hostile: hostile, media: s.media, duration: !faults.hostility.contains(.noDurations)), rate, delay: delay, hostility: faults.hostility)
                }
                return .notFound(id: id, rate, delay: delay, hostility: faults.hostility)
            case .retrieve(let id):
                if let index = s.recordings[id] {
                    return .recording(status: 200, json: Self.json(id: id, index: index, hostile: hostile, media: s.media, duration: !faults.hostility.contains(.noDurations)), rate, delay: delay, hostility: [])
                }
                return .notFound(id: id, rate, delay: delay, hostility: faults.hostility)
            case .list(let query):
                switch RecordingQuery.parse(query) {
                case .failure(let bad): return .badRequest(bad.message)
                case .success(var q):
                    if s.index == nil {
                        s.index = RecordingIndex(recordings: s.unlisted.isEmpty ? s.recordings : s.recordings.filter { !s.unlisted.contains($0.key) })
                    }
                    if faults.hostility.contains(.listIgnoresFilters) {
                        q.createdFrom = nil
                        q.createdTo = nil
                        q.exact = []
                    }
                    let overlap = faults.hostility.contains(.overlappingPages)
                    let omit = faults.hostility.contains(.listOmitsOne)
                    let extra = faults.hostility.contains(.oversizedPage)
                    return .list(
                        body: q.page(of: s.index!, hostile: hostile, overlap: overlap, omitLast: omit, oneTooMany: extra, media: s.media), rate,
                        delay: delay)
                }
            case .batchDelete:
                guard let ids = batchIDs else { return .badRequest("the body must be a JSON object {\"ids\": [\"…\", …]}") }
                s.batchRequests += 1
                s.batchIDsReceived += ids.count
                switch faults.batch {
                case .sizeCap(let cap) where ids.count > cap:
                    return .badRequest("too many ids: at most \(cap) in one request")
                case .unknownFails where ids.contains(where: { s.recordings[$0] == nil }):
                    return .fixed(
                        status: 404, headers: ["content-type": "application/json"],
                        body: SandboxJSON.errors(code: "10005", title: "Resource not found", detail: "One or more recordings were not found."))
                case .fails:
                    return .fixed(
                        status: 500, headers: ["content-type": "application/json"],
                        body: SandboxJSON.errors(code: "10007", title: "Unexpected error", detail: "An unexpected error occurred."))
                case .refusesKey:
                    return .fixed(
                        status: 401, headers: ["content-type": "application/json"],
                        body: SandboxJSON.errors(code: "10009", title: "Authentication failed", detail: "The API key may not do this."))
                case .rateLimited:
                    return .fixed(
                        status: 429, headers: ["content-type": "application/json", "retry-after-ms": "10"],
                        body: SandboxJSON.errors(code: "10011", title: "Too many requests", detail: "Slow down."))
                default:
                    for (place, id) in ids.enumerated() {
                        switch faults.batch {
                        case .keepsSome(let every) where every > 0 && place % every == every - 1:
                            continue
                        case .keepsSomeUnlisted(let every) where every > 0 && place % every == every - 1:
                            // Kept, and no longer listed.
                            if s.recordings[id] != nil {
                                s.unlisted.insert(id)
                                s.index?.remove(id)
                            }
                            continue
                        default:
                            break
                        }
                        if s.recordings.removeValue(forKey: id) != nil {
                            s.deletedIDs.append(id)
                            s.index?.remove(id)
                        }
                    }
                    if case .failsAfterDeleting = faults.batch {
                        return .fixed(
                            status: 500, headers: ["content-type": "application/json"],
                            body: SandboxJSON.errors(code: "10007", title: "Unexpected error", detail: "An unexpected error occurred."))
                    }
                    return .list(body: "{\"status\":\"ok\"}", rate, delay: delay)
                }
            case .unknown:
                return .pageNotFound
            }
        }
        return await Self.response(for: decision, authorization: authorization, channel: channel)
    }

    static func json(id: String, index: Int, hostile: Bool, media: MediaLinks?, duration: Bool = true) -> String {
        var recording = SandboxData.recording(id: id, index: index)
        if hostile {
            recording.from += SandboxFaults.hostileText
            recording.to = SandboxFaults.hostileText + recording.to
        }
        return recording.json(media: media, duration: duration)
    }

    static func response(for decision: Decision, authorization: String?, channel: any Channel) async -> Response {
        switch decision {
        case .fixed(let status, let headers, let body):
            var fields = HTTPFields()
            for (name, value) in headers {
                if let name = FieldName(name) { fields[name] = value }
            }
            return response(status, fields, body)
        case .dropConnection:
            // No answer at all: the connection closes under the request.
            try? await channel.close()
            return response(500, HTTPFields(), "")
        case .unauthorized:
            return json(
                401,
                SandboxJSON.errors(
                    code: "10009", title: "Authentication failed",
                    detail: authorization == nil
                        ? "Authentication is required. Send your API key as `Authorization: Bearer <KEY>`."
                        : "The API key is invalid or has been revoked."))
        case .pageNotFound:
            return json(404, SandboxJSON.errors(code: "404", title: "Not Found", detail: "Page not found"))
        case .badRequest(let message):
            return json(400, SandboxJSON.errors(code: "10015", title: "Bad Request", detail: message))
        case .rateLimited(let rate, let hint, let sendsHeaders, let hostility):
            var fields = sendsHeaders ? rateFields(rate) : HTTPFields()
            let millis = max(rate.reset.nanosecondsClamped / 1_000_000, 1)
            switch hint {
            case .none: break
            case .retryAfterSeconds: fields[retryAfterName] = String((millis + 999) / 1000)
            case .retryAfterMilliseconds: fields[retryAfterMsName] = String(millis)
            case .retryAfterDate:
                // Rounded up, so the date is never before the window's end.
                let end = wallClockSeconds() + Double(millis) / 1000
                fields[retryAfterName] = SandboxData.httpDate(seconds: Int(end.rounded(.up)))
            }
            if hostility.contains(.absurdRetryHints) {
                fields[retryAfterMsName] = "1" + String(repeating: "0", count: 24)
                fields[retryAfterName] = "9" + String(repeating: "9", count: 30)
            }
            let title = hostility.contains(.escapesInText) ? "Too many requests" + SandboxFaults.hostileText : "Too many requests"
            return json(
                429,
                SandboxJSON.errors(
                    code: "10011", title: title,
                    detail: "You have exceeded the rate limit of \(rate.limit) requests. Slow down and retry later."),
                fields)
        case .serverError(let status, let html, let rate):
            let fields = rate.map(rateFields) ?? HTTPFields()
            if html {
                var f = fields
                f[.contentType] = "text/html"
                return response(status, f, SandboxJSON.htmlPage(status: status))
            }
            return json(
                status,
                SandboxJSON.errors(
                    code: "\(status)", title: status == 503 ? "Service unavailable" : "Internal server error",
                    detail: "An unexpected error occurred. Please try again."),
                fields)
        case .recording(let status, let body, let rate, let delay, let hostility):
            if delay > .zero { try? await Task.sleep(for: delay) }
            var fields = rate.map(rateFields) ?? HTTPFields()
            fields[.contentType] = "application/json"
            if hostility.contains(.oversizedSuccess) {
                let padding = String(repeating: " ", count: (2 << 20) + 1024)
                return response(status, fields, "{\"data\":\(body)\(padding)}")
            }
            if hostility.contains(.cutOffSuccess) {
                let full = "{\"data\":\(body)}"
                let half = ByteBuffer(string: String(full.prefix(full.count / 2)))
                fields[.contentLength] = String(full.utf8.count)
                return Response(
                    status: HTTPResponse.Status(code: status), headers: fields,
                    body: ResponseBody { writer in
                        try await writer.write(half)
                        throw CancellationError()  // the connection breaks mid-body
                    })
            }
            return json(status, "{\"data\":\(body)}", fields)
        case .notFound(let id, let rate, let delay, let hostility):
            if delay > .zero { try? await Task.sleep(for: delay) }
            let title = hostility.contains(.escapesInText) ? "Resource not found" + SandboxFaults.hostileText : "Resource not found"
            return json(
                404,
                SandboxJSON.errors(
                    code: "10005", title: title,
                    detail: "The requested resource or URL could not be found. No recording with id \(id)."),
                rate.map(rateFields) ?? HTTPFields())
        case .list(let body, let rate, let delay):
            if delay > .zero { try? await Task.sleep(for: delay) }
            return json(200, body, rate.map(rateFields) ?? HTTPFields())
        }
    }
}
