import AsyncHTTPClient
import NIOCore
import TerminalText
import TnxSystem

/// Why an attempt got no HTTP status line, and what that means for the recording.
///
/// The text never quotes an HTTP library's own error description: some of them carry the
/// request's header values, the API key among them. Only fixed phrases, `errno` texts and
/// the library's bounded `shortDescription` are shown.
struct TransportFailure: Sendable {
    var kind: RecordingsError.Kind
    /// Whether the request may have reached the server (so it may have deleted the recording).
    var maybeSent: Bool
    /// Whether asking again may help. False when the request could not be built or sent at
    /// all (a header the HTTP library refuses): it will fail the same way every time.
    var retryable: Bool
    /// Short phrase: "timed out", "lost its connection".
    var summary: String
    var detail: String

    init(_ error: any Error, requestTimeout: Duration, connectTimeout: Duration) {
        let typeName = String(reflecting: type(of: error))
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                self.init(.timeout, maybeSent: true, "timed out", "no answer within \(requestTimeout.shortText)")
            case .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
                self.init(.timeout, maybeSent: false, "could not connect", "could not connect within \(connectTimeout.shortText)")
            case .remoteConnectionClosed:
                self.init(.transport, maybeSent: true, "lost its connection", "the server closed the connection before answering")
            case .proxyAuthenticationRequired:
                self.init(
                    .transport, maybeSent: false, retryable: false, "was not sent",
                    "the proxy asked for credentials (HTTP 407): put them in the proxy variable, http://USER:PASSWORD@HOST:PORT, or check them")
            case .invalidProxyResponse:
                self.init(.transport, maybeSent: false, "could not connect", "the proxy refused to open a tunnel to the host (check NO_PROXY and the proxy's rules)")
            case .httpProxyHandshakeTimeout:
                self.init(.timeout, maybeSent: false, "could not connect", "the proxy did not open a tunnel within \(connectTimeout.shortText)")
            case .alreadyShutdown, .cancelled:
                self.init(.transport, maybeSent: false, "was not sent", "the HTTP client is shut down")
            default:
                // The header-validation cases carry the refused values (the key among them), so
                // they are told apart by their bounded short description only.
                if e.shortDescription.hasPrefix("Invalid header field") {
                    self.init(
                        .transport, maybeSent: false, retryable: false, "was not sent",
                        "a request header holds a character HTTP does not allow (check the API key)")
                } else {
                    self.init(.transport, maybeSent: true, "failed", "HTTP error: \(e.shortDescription)")
                }
            }
        } else if let io = error as? IOError {
            let system = SystemError(io.errnoCode)
            if system.isConnectionRefused {
                self.init(.transport, maybeSent: false, "could not connect", "connection refused")
            } else if system.isUnreachable {
                self.init(.transport, maybeSent: false, "could not connect", "network unreachable")
            } else if system.isConnectionLost {
                self.init(.transport, maybeSent: true, "lost its connection", "connection reset by peer")
            } else {
                self.init(.transport, maybeSent: true, "failed", system.description)
            }
        } else if typeName.contains("NIOConnectionError") {
            let text = "\(error)"
            let reason = text.contains("refused") || text.contains("111") ? "connection refused" : "could not connect"
            self.init(.transport, maybeSent: false, "could not connect", reason)
        } else if let channel = error as? ChannelError {
            switch channel {
            case .connectTimeout:
                self.init(.timeout, maybeSent: false, "could not connect", "could not connect within \(connectTimeout.shortText)")
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed:
                self.init(.transport, maybeSent: true, "lost its connection", "the connection closed before an answer")
            default:
                self.init(.transport, maybeSent: true, "failed", "connection error")
            }
        } else if typeName.contains("SSL") || typeName.contains("TLS") || typeName.contains("Certificate") {
            self.init(.transport, maybeSent: false, "could not connect", "TLS failure (\(Self.shortTypeName(typeName)))")
        } else {
            self.init(.transport, maybeSent: true, "failed", "unexpected error (\(Self.shortTypeName(typeName)))")
        }
    }

    init(
        _ kind: RecordingsError.Kind, maybeSent: Bool, retryable: Bool = true, _ summary: String, _ detail: String
    ) {
        self.kind = kind
        self.maybeSent = maybeSent
        self.retryable = retryable
        self.summary = summary
        self.detail = detail
    }

    /// What a person reads. `effect` says what the request would have done ("the recording
    /// may or may not have been deleted"); nil for requests that change nothing. `origins`:
    /// where the base URL came from, which a server that cannot be reached tells to check.
    func description(host: String, effect: String?, origins: RequestOrigins = RequestOrigins()) -> String {
        let check = origins.url.checkReachable(origins.baseURL)
        let unknown = effect.map { ": \($0); run this id again (a 404 then confirms it is gone)" } ?? ""
        let nothing = effect == nil ? "" : "; nothing was deleted"
        switch kind {
        case .timeout where maybeSent:
            return "\(detail) from \(host)\(unknown)"
        case .timeout:
            return "\(detail) to \(host): \(check)\(nothing)"
        case .transport where !retryable:
            return "the request to \(host) \(summary): \(detail)\(nothing)"
        case .transport where !maybeSent:
            return "could not reach \(host) (\(detail)): \(check)\(nothing)"
        default:
            return "request to \(host) \(summary) (\(detail))\(unknown)"
        }
    }

    /// `NIOSSLError` for `NIOSSL.NIOSSLError`: a type name says what failed without quoting
    /// anything the error holds.
    static func shortTypeName(_ name: String) -> String {
        TerminalText.sanitized(String(name.split(separator: ".").last ?? Substring(name)), limit: 60, oneLine: true)
    }
}
