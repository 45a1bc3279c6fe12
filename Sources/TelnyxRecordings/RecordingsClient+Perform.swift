import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import NIOHTTP1
import TnxSystem

extension RecordingsClient {
    /// One attempt's result: an answer (a status line arrived), or a failure before any.
    enum Attempt: Sendable {
        case answer(HTTPAnswer)
        case failure(TransportFailure)
    }

    /// Sends `request` until an answer settles it, as the retry policy and the shared rate
    /// limiter allow, and returns the final verdict: a retry is decided and carried out here,
    /// never seen by the caller.
    ///
    /// - If the calling task is cancelled, a request on the wire still finishes and its answer
    ///   is judged; no retry starts, backoff sleeps end at once, and the verdict is a failure of
    ///   kind `.interrupted` only when the outcome is unknown or nothing was sent.
    /// - `effect` names what the request does ("deleted"), for the messages about attempts
    ///   whose outcome is unknown; nil for requests that change nothing.
    /// - With `attempts.resendsUnknown` off, an attempt whose fate is unknown (a 5xx, a
    ///   connection lost after sending) ends the request: only failures that prove nothing was
    ///   done (could not connect, 408, 409, 429) are tried again.
    ///
    /// `bodyLimit` is the largest body read (a page of the list is larger than one recording).
    func perform(
        _ request: HTTPClient.Request, subject: ResponseVerdict.Subject, effect: String?, attempts: inout AttemptHistory,
        bodyLimit: Int = ResponseCollector.maximumBodySize
    ) async -> FinalVerdict {
        while true {
            if Task.isCancelled { return .failed(attempts.interrupted(effect: effect ?? "changed")) }
            do {
                try await rateLimiter.acquire()
            } catch {
                return .failed(attempts.interrupted(effect: effect ?? "changed"))
            }
            attempts.attempts += 1
            // Not cancelled with the caller: a request on the wire finishes and its real outcome
            // is reported (see `send`).
            let delay: Duration?
            let why: String
            waits.sending()
            let started = ContinuousClock.now
            var attempt = await send(request, bodyLimit: bodyLimit)
            // The key out of the answer before anything of it is shown, cut short or kept.
            if case .answer(let received) = attempt { attempt = .answer(attempts.redacting(received)) }
            if trace != nil {
                let (status, headers, failure): (Int?, HTTPHeaders?, String?) =
                    switch attempt {
                    case .answer(let a): (a.status, a.headers, nil)
                    case .failure(let f): (nil, nil, f.detail)
                    }
                traceExchange(
                    method: request.method.rawValue, url: request.url.absoluteString, status: status, failure: failure,
                    headers: headers, elapsed: ContinuousClock.now - started, attempt: attempts.attempts, sendsKey: true,
                    redact: { [attempts] in attempts.redact($0) })
            }
            switch attempt {
            case .answer(let answer):
                attempts.requestID = Self.requestID(in: answer.headers)
                let hints = Self.hints(answer.headers, status: answer.status)
                rateLimiter.release(status: answer.status, hints: hints)
                switch ResponseVerdict.judge(answer, hints: hints, subject: subject, attempts: &attempts, origins: origins) {
                case .success(let success): return .success(success)
                case .notFound(let apiErrors, let summary): return .notFound(apiErrors: apiErrors, summary: summary)
                case .failed(let error): return .failed(error)
                case .retry(let after): delay = after
                }
                why = "HTTP \(answer.status)"
            case .failure(let failure):
                attempts.requestID = nil
                rateLimiter.release(status: nil)
                if failure.maybeSent, effect != nil {
                    attempts.uncertain = "attempt \(attempts.attempts) \(failure.summary)"
                }
                let error = attempts.error(
                    failure.kind, status: nil,
                    failure.description(host: hostDescription, effect: effect.map { "it may or may not have been \($0)" }, origins: origins))
                attempts.last = error
                attempts.lastWasUncertain = failure.maybeSent && effect != nil
                guard failure.retryable, !(failure.maybeSent && !attempts.resendsUnknown),
                    let after = attempts.retryAfterFailure(hint: nil)
                else { return .failed(error) }
                delay = after
                why = failure.detail
            }
            if Task.isCancelled { return .failed(attempts.interrupted(effect: effect ?? "changed")) }
            waits.retrying(
                after: delay ?? .zero,
                reason: "\(subject.action): \(why); attempt \(attempts.attempts + 1) of at most \(configuration.retryPolicy.maxAttempts)")
            if let delay, delay > .zero {
                try? await Task.sleep(for: delay)
                if Task.isCancelled { return .failed(attempts.interrupted(effect: effect ?? "changed")) }
            }
        }
    }

    /// One request. It uses the future-based API on purpose: awaiting a future is not cancelled
    /// with the calling task, so a request on the wire always finishes (no extra Task per
    /// request to shield it), and the body is collected on the event loop.
    private func send(_ request: HTTPClient.Request, bodyLimit: Int) async -> Attempt {
        let collector = ResponseCollector(limit: bodyLimit)
        do {
            let deadline = NIODeadline.now() + .nanoseconds(configuration.requestTimeout.nanosecondsClamped)
            return .answer(try await http.execute(request: request, delegate: collector, deadline: deadline).futureResult.get())
        } catch {
            // Once the status line has arrived the answer is judged by it, whatever happened to
            // the body afterwards (too large, cut off, too slow).
            if let partial = collector.partialAnswer {
                var answer = partial
                answer.bodyComplete = false
                return .answer(answer)
            }
            return .failure(TransportFailure(error, requestTimeout: configuration.requestTimeout, connectTimeout: configuration.connectTimeout))
        }
    }

    static func hints(_ headers: HTTPHeaders, status: Int) -> ServerHints {
        // Cheap common case: a 2xx/4xx without any of the headers.
        let retryAfterMs = headers.first(name: "retry-after-ms")
        let retryAfter = headers.first(name: "retry-after")
        let remaining = headers.first(name: "x-ratelimit-remaining")
        if retryAfterMs == nil && retryAfter == nil && remaining == nil && status != 429 { return .none }
        return ServerHints.parse(
            retryAfterMs: retryAfterMs, retryAfter: retryAfter,
            limit: headers.first(name: "x-ratelimit-limit"), remaining: remaining,
            reset: headers.first(name: "x-ratelimit-reset"),
            now: Date().timeIntervalSince1970)
    }
}
