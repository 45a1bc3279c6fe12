import AsyncHTTPClient
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
    /// `HEAD` of a media link: the size it would download (`Content-Length`), for a dry-run.
    public func mediaSize(at url: String) async -> Result<Int, RecordingsError> {
        var attempts = AttemptHistory(key: keyForRedaction, policy: configuration.retryPolicy)
        if let refused = refuseMediaLink(url, attempts: attempts) { return .failure(refused) }
        while true {
            attempts.attempts += 1
            let answer = await sendMedia(url, method: .HEAD, to: nil, attempts: attempts)
            switch judgeMedia(answer, url: url, attempts: &attempts) {
            case .done(let media):
                guard let size = media.contentLength else {
                    return .failure(attempts.error(.unreadableResponse, status: media.status, "the media host did not say the size of \(Self.shown(url)) (no Content-Length)"))
                }
                return .success(size)
            case .failed(let error): return .failure(error)
            case .retry(let delay):
                if Task.isCancelled { return .failure(attempts.interrupted(effect: "downloaded")) }
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// Downloads a media link into the file `path` (created or emptied, mode 0600; never
    /// through a symbolic link), streaming: memory stays flat whatever the size. The file is
    /// complete only when this succeeds: every byte `Content-Length` announced arrived, and it
    /// is on the disk (`fsync`). The caller renames it into place.
    ///
    /// A file that cannot be written (disk full, no permission) fails with `MediaDownloadError`'s
    /// `.disk`; everything else is `.request`.
    public func downloadMedia(from url: String, to path: String) async -> Result<MediaDownload, MediaDownloadError> {
        var attempts = AttemptHistory(key: keyForRedaction, policy: configuration.retryPolicy)
        if let refused = refuseMediaLink(url, attempts: attempts) { return .failure(.request(refused)) }
        while true {
            if Task.isCancelled { return .failure(.request(attempts.interrupted(effect: "downloaded"))) }
            attempts.attempts += 1
            let file: MediaFileWriter
            switch MediaFileWriter.create(path) {
            case .success(let opened): file = opened
            case .failure(let error): return .failure(.disk("cannot write '\(path)': \(error)"))
            }
            let answer = await sendMedia(url, method: .GET, to: file, attempts: attempts)
            if let failure = file.failure {
                file.close()
                return .failure(.disk("cannot write '\(path)': \(failure)"))
            }
            switch judgeMedia(answer, url: url, attempts: &attempts) {
            case .done(let media):
                guard let announced = media.contentLength else {
                    file.close()
                    return .failure(.request(attempts.error(.unreadableResponse, status: 200, "the media host sent \(Self.shown(url)) without saying its size (no Content-Length), so the copy cannot be verified")))
                }
                let (bytes, digest) = file.finish()
                guard bytes == announced else {
                    file.close()
                    return .failure(.request(attempts.error(.transport, status: 200, "the download of \(Self.shown(url)) ended after \(bytes) of \(announced) bytes")))
                }
                if let error = await file.syncAndClose() { return .failure(.disk("cannot flush '\(path)' to the disk: \(error)")) }
                return .success(MediaDownload(bytes: bytes, sha256: digest, attempts: attempts.attempts))
            case .failed(let error):
                file.close()
                return .failure(.request(error))
            case .retry(let delay):
                file.close()
                if Task.isCancelled { return .failure(.request(attempts.interrupted(effect: "downloaded"))) }
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// The key, only to keep it out of what a media host says (never sent there).
    private var keyForRedaction: String { authorizedHeaders()?.key ?? "" }

    /// Why `url` must not be requested: not http(s), or it holds the key.
    private func refuseMediaLink(_ url: String, attempts: AttemptHistory) -> RecordingsError? {
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
            return attempts.error(.unreadableResponse, status: nil, "the recording's media link is not an http(s) URL; nothing was downloaded")
        }
        if url.hasPrefix("http://") {
            let rest = url.dropFirst("http://".count)
            let authority = rest.prefix(while: { $0 != "/" && $0 != "?" && $0 != "#" })
            let host = (try? ClientConfiguration.splitHostPort(authority) { ConfigurationError(message: $0) })?.host ?? ""
            if !ClientConfiguration.isLoopback(host) || authority.contains("@") {
                return attempts.error(.clientError, status: nil, "the recording's media link is plain http:// to \(host): the recording would travel in clear text; it was not requested")
            }
        }
        if attempts.redact(url) != url {
            return attempts.error(.clientError, status: nil, "the recording's media link holds the API key; it was not requested (a media request never carries the key)")
        }
        return nil
    }

    /// `https://host/path` of a link, without its query (the signature): for messages.
    static func shown(_ url: String) -> String {
        String(url.prefix(while: { $0 != "?" }).prefix(200))
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

    /// One request, without the API's headers: only `User-Agent`.
    private func sendMedia(_ url: String, method: HTTPMethod, to file: MediaFileWriter?, attempts: AttemptHistory) async -> MediaAttempt {
        var headers = HTTPHeaders()
        headers.add(name: "User-Agent", value: configuration.userAgent)
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: url, method: method, headers: headers)
        } catch {
            return .failure(TransportFailure(.clientError, maybeSent: false, retryable: false, "was not sent", "the media link is not a valid URL"))
        }
        let receiver = MediaReceiver(file: file, idleTimeout: configuration.requestTimeout)
        let task = http.execute(request: request, delegate: receiver, deadline: nil)
        receiver.watch(task)
        do {
            let answer = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
            return .answer(answer)
        } catch {
            if let partial = receiver.partialAnswer, partial.status != 200 { return .answer(partial) }
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
            case 200: return .done(answer)
            case 403:
                return .failed(attempts.error(.forbidden, status: 403, "the media host refused \(Self.shown(url)) (HTTP 403\(said)): the link has expired or is not valid"))
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

/// A verified download: every announced byte, on the disk.
public struct MediaDownload: Sendable, Hashable {
    public var bytes: Int
    /// SHA-256 of the file, 64 lowercase hex digits.
    public var sha256: String
    /// Requests sent (1 when the first one succeeded).
    public var attempts: Int

    public init(bytes: Int, sha256: String, attempts: Int) {
        self.bytes = bytes
        self.sha256 = sha256
        self.attempts = attempts
    }
}

/// Why a download failed: the request (the link, the host, the network), or the disk. A disk
/// that cannot take the file stops a whole run; a request that fails stops only its id.
public enum MediaDownloadError: Error, Sendable {
    case request(RecordingsError)
    case disk(String)
}
