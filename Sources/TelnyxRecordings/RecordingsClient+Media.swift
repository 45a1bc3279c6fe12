import AsyncHTTPClient
import AudioCheck
import NIOCore
import NIOHTTP1
import TnxSystem

/// The media of a recording: its `download_urls` are presigned links to storage (another host
/// than the API in production). They carry their own signature, so a media request carries
/// **no `Authorization` header and never the key in any form**, whatever its host: storage
/// refuses a request with both (S3 answers 400), and a link to a host that is not Telnyx's must
/// not learn the key. A link that holds the key is not requested at all.
///
/// Media requests do not go through the API's rate limiter (storage is another service), but
/// they are retried like API calls (resets, 5xx, timeouts). A body that stays silent for the
/// request timeout fails the attempt; there is no limit on how long a body that keeps
/// arriving may take (a wav can be hundreds of MB).
extension RecordingsClient {
    /// The size of the media at a link, for a dry-run: a `GET` of its first byte
    /// (`Range: bytes=0-0`), whose head says the whole size; the body is not read. Not a
    /// `HEAD`: a presigned link is signed for one method, and storage refuses a `HEAD` on a
    /// link signed for `GET`.
    public func mediaSize(at url: String) async -> Result<Int, RecordingsError> {
        var attempts = AttemptHistory(key: keyForRedaction, policy: configuration.retryPolicy)
        if let refused = refuseMediaLink(url, attempts: attempts) { return .failure(refused) }
        while true {
            attempts.attempts += 1
            let answer = await sendMedia(url, to: nil, headOnly: true, attempt: attempts.attempts)
            switch judgeMedia(answer, url: url, attempts: &attempts) {
            case .done(let media):
                guard let size = media.totalSize else {
                    return .failure(attempts.error(.unreadableResponse, status: media.status, "the media host did not say the size of \(Self.shown(url)) (no Content-Range or Content-Length)"))
                }
                return .success(size)
            case .failed(let error): return .failure(error)
            case .retry(let delay):
                if Task.isCancelled { return .failure(attempts.interrupted(effect: "downloaded")) }
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// Downloads a media link into the file `path`, which must not exist (a name of the
    /// caller's own: created new, mode 0600, never through a link, locked until the caller
    /// closes it: `MediaDownload.file`), streaming: memory stays
    /// flat whatever the size. It succeeds only when the file holds every byte that
    /// `Content-Length` announced (more than none, of a media type, not encoded), flushed to
    /// the disk (`fsync`), and those bytes are a whole file of `format` (`AudioScanner`, fed as
    /// they arrive); the caller checks the playing time and renames it into place. On failure
    /// the file is removed.
    ///
    /// A file that cannot be written (disk full, no permission) fails with `MediaDownloadError`'s
    /// `.disk`; a stop (the task cancelled) with `.request` of kind `.interrupted`, never as a
    /// disk error; everything else is `.request`.
    public func downloadMedia(from url: String, to path: String, format: AudioFormat) async -> Result<MediaDownload, MediaDownloadError> {
        var attempts = AttemptHistory(key: keyForRedaction, policy: configuration.retryPolicy)
        if let refused = refuseMediaLink(url, attempts: attempts) { return .failure(.request(refused)) }
        let file: MediaFileWriter
        switch await MediaFileWriter.create(path, format: format) {
        case .success(let opened): file = opened
        case .failure(let error): return .failure(.disk("cannot write '\(path)': \(error)"))
        }
        func failed(_ error: MediaDownloadError) async -> Result<MediaDownload, MediaDownloadError> {
            await file.discard()
            // A stop cuts the body short and may fail a write: that is the stop, not the disk.
            if Task.isCancelled { return .failure(.request(attempts.interrupted(effect: "downloaded"))) }
            return .failure(error)
        }
        while true {
            if Task.isCancelled { return await failed(.request(attempts.interrupted(effect: "downloaded"))) }
            if attempts.attempts > 0, let error = await file.restart() { return await failed(.disk("cannot write '\(path)': \(error)")) }
            attempts.attempts += 1
            let answer = await sendMedia(url, to: file, attempt: attempts.attempts)
            if let failure = await file.failure() { return await failed(.disk("cannot write '\(path)': \(failure)")) }
            switch judgeMedia(answer, url: url, attempts: &attempts) {
            case .done(let media):
                guard let announced = media.contentLength else {
                    return await failed(.request(attempts.error(.unreadableResponse, status: 200, "the media host sent \(Self.shown(url)) without saying its size (no Content-Length), so the copy cannot be verified; nothing was kept")))
                }
                guard announced > 0 else {
                    return await failed(.request(attempts.error(.unreadableResponse, status: 200, "the media host sent an empty file for \(Self.shown(url)); nothing was kept")))
                }
                if let encoding = media.contentEncoding {
                    return await failed(.request(attempts.error(.unreadableResponse, status: 200, "the media host sent \(Self.shown(url)) with Content-Encoding: \(Self.printable(encoding)) although tnx asked for identity: those bytes are not the audio, and tnx does not decode them; nothing was kept")))
                }
                guard media.looksLikeMedia else {
                    let type = Self.printable(media.headers.first(name: "content-type") ?? "")
                    return await failed(.request(attempts.error(.unreadableResponse, status: 200, "the media host answered \(Self.shown(url)) with \(type), not a recording's media (a proxy's page?); nothing was kept")))
                }
                switch await file.sync() {
                case .failure(let error):
                    return await failed(.disk("cannot write '\(path)' to the disk: \(error)"))
                case .success(let written):
                    guard written.bytes == announced else {
                        return await failed(.request(attempts.error(.transport, status: 200, "the download of \(Self.shown(url)) ended after \(written.bytes) of \(announced) bytes; nothing was kept")))
                    }
                    switch written.audio {
                    case .failure(let problem):
                        return await failed(.request(attempts.error(.unreadableResponse, status: 200, "the media host's file at \(Self.shown(url)) is \(problem); nothing was kept")))
                    case .success(let audio):
                        return .success(MediaDownload(bytes: written.bytes, sha256: written.sha256, audio: audio, attempts: attempts.attempts, file: file))
                    }
                }
            case .failed(let error):
                return await failed(.request(error))
            case .retry(let delay):
                if Task.isCancelled { return await failed(.request(attempts.interrupted(effect: "downloaded"))) }
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// Printable ASCII only, at most `limit` characters: what a media host said, in a message.
    static func printable(_ text: some StringProtocol, limit: Int = 60) -> String {
        String(text.filter { $0.isASCII && ($0.asciiValue ?? 0) >= 0x20 && ($0.asciiValue ?? 0) < 0x7F }.prefix(limit))
    }

    /// The key, only to keep it out of what a media host says (never sent there).
    private var keyForRedaction: String { currentHeaders()?.key ?? "" }

    /// Why `url` must not be requested: not http(s), or it holds the key.
    private func refuseMediaLink(_ url: String, attempts: AttemptHistory) -> RecordingsError? {
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
            return attempts.error(.unreadableResponse, status: nil, "the recording's media link is not an http(s) URL; nothing was downloaded")
        }
        if url.hasPrefix("http://") {
            let target = URLTarget(url)
            if target.map({ !ClientConfiguration.isLoopback($0.host) || $0.hasUserInfo }) ?? true {
                return attempts.error(.clientError, status: nil, "the recording's media link is plain http:// to \(target?.host ?? ""): the recording would travel in clear text; it was not requested")
            }
        }
        if attempts.redact(url) != url {
            return attempts.error(.clientError, status: nil, "the recording's media link holds the API key; it was not requested (a media request never carries the key)")
        }
        return nil
    }

    /// `https://host/path` of a link, without its query (the signature) or user: for messages.
    static func shown(_ url: String) -> String {
        String(LinkText.withoutCredentials(url).prefix(200))
    }

    /// How one media request ended.
    enum MediaAttempt {
        case answer(MediaAnswer)
        case failure(TransportFailure)
    }

    enum MediaVerdict {
        case done(MediaAnswer)
        case retry(Duration)
        case failed(RecordingsError)
    }

    /// One `GET`, without the API's headers: only `User-Agent` (and `Range` for the size).
    private func sendMedia(_ url: String, to file: MediaFileWriter?, headOnly: Bool = false, attempt: Int) async -> MediaAttempt {
        var headers = HTTPHeaders()
        headers.add(name: "User-Agent", value: configuration.userAgent)
        // The copy must be the audio, byte for byte: never a compressed form of it.
        headers.add(name: "Accept-Encoding", value: "identity")
        if headOnly { headers.add(name: "Range", value: "bytes=0-0") }
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: url, method: .GET, headers: headers)
        } catch {
            return .failure(TransportFailure(.clientError, maybeSent: false, retryable: false, "was not sent", "the media link is not a valid URL"))
        }
        let started = ContinuousClock.now
        let result = await sendMedia(request, url: url, to: file, headOnly: headOnly)
        if trace != nil {
            let key = keyForRedaction
            let (status, headers, failure): (Int?, HTTPHeaders?, String?) =
                switch result {
                case .answer(let a): (a.status, a.headers, nil)
                case .failure(let f): (nil, nil, f.detail)
                }
            traceExchange(
                method: "GET", url: url, status: status, failure: failure, headers: headers, elapsed: ContinuousClock.now - started,
                attempt: attempt, sendsKey: false, redact: { key.isEmpty ? $0 : $0.replacing(key, with: "***") })
        }
        return result
    }

    private func sendMedia(_ request: HTTPClient.Request, url: String, to file: MediaFileWriter?, headOnly: Bool) async -> MediaAttempt {
        let receiver = MediaReceiver(file: file, idleTimeout: configuration.requestTimeout, headOnly: headOnly)
        let task = httpClient(for: url).execute(request: request, delegate: receiver, deadline: nil)
        receiver.watch(task)
        do {
            let answer = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
            return .answer(answer)
        } catch {
            if let partial = receiver.partialAnswer, headOnly || partial.status != 200 { return .answer(partial) }
            if receiver.timedOut {
                return .failure(TransportFailure(.timeout, maybeSent: true, "timed out", "the media host sent nothing for \(configuration.requestTimeout.shortText)"))
            }
            return .failure(TransportFailure(error, requestTimeout: configuration.requestTimeout, connectTimeout: configuration.connectTimeout))
        }
    }

    private func judgeMedia(_ attempt: MediaAttempt, url: String, attempts: inout AttemptHistory) -> MediaVerdict {
        switch attempt {
        case .failure(let failure):
            let error = attempts.error(failure.kind, status: nil, "the download of \(Self.shown(url)) \(failure.summary): \(failure.detail)")
            if Task.isCancelled { return .failed(attempts.interrupted(effect: "downloaded")) }
            guard failure.retryable, let delay = attempts.retryAfterFailure(hint: nil) else { return .failed(error) }
            attempts.last = error
            return .retry(delay)
        case .answer(let answer):
            let said = answer.storageMessage.map { ": \(attempts.redact($0))" } ?? ""
            switch answer.status {
            case 200, 206: return .done(answer)
            case 403:
                return .failed(attempts.error(.forbidden, status: 403, "the media host refused \(Self.shown(url)) (HTTP 403\(said)): the link has expired or is not valid, also when read again; run this id again later, and check the machine's clock (presigned links depend on it)"))
            case 404, 410:
                return .failed(attempts.error(.notFound, status: answer.status, "the media host has no file at \(Self.shown(url)) (HTTP \(answer.status)\(said))"))
            case let status where RetryPolicy.isRetryable(status: status):
                let error = attempts.error(.serverError, status: status, "the media host answered HTTP \(status)\(said) for \(Self.shown(url))")
                guard !Task.isCancelled, let delay = attempts.retryAfterFailure(hint: nil) else { return .failed(error) }
                attempts.last = error
                return .retry(delay)
            default:
                return .failed(attempts.error(.clientError, status: answer.status, "the media host answered HTTP \(answer.status)\(said) for \(Self.shown(url))"))
            }
        }
    }
}

/// A verified download: every announced byte, on the disk, a whole file of its format.
public struct MediaDownload: Sendable {
    public var bytes: Int
    /// SHA-256 of the file, 64 lowercase hex digits.
    public var sha256: String
    /// What the bytes are, and how long they play.
    public var audio: AudioSummary
    /// Requests sent (1 when the first one succeeded).
    public var attempts: Int
    /// The `.partial` file, still open and locked: the caller renames it into place and then
    /// closes it, or discards it.
    public var file: MediaFileWriter

    public init(bytes: Int, sha256: String, audio: AudioSummary, attempts: Int, file: MediaFileWriter) {
        self.bytes = bytes
        self.sha256 = sha256
        self.audio = audio
        self.attempts = attempts
        self.file = file
    }
}

/// Why a download failed: the request (the link, the host, the network), or the disk. A disk
/// that cannot take the file stops a whole run; a request that fails stops only its id.
public enum MediaDownloadError: Error, Sendable {
    case request(RecordingsError)
    case disk(String)
}
