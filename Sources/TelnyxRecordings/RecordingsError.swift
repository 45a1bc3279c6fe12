/// Why a delete did not succeed, built from the API's error schema where there is one.
/// `description` says what happened and what to do next, and never contains the API key.
public struct RecordingsError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// 401: the key is missing or wrong. Stops a bulk run.
        case unauthorized
        /// 403: the key may not delete this recording.
        case forbidden
        /// 404.
        case notFound = "not_found"
        /// 429 after the retries allowed.
        case rateLimited = "rate_limited"
        /// Any other 4xx.
        case clientError = "client_error"
        /// 5xx after the retries allowed.
        case serverError = "server_error"
        /// Could not connect, connection reset, TLS failure.
        case transport
        /// No answer within the request deadline.
        case timeout
        /// A body that is not the JSON the contract promises (an HTML page from a proxy,
        /// truncated JSON).
        case unreadableResponse = "unreadable_response"
        /// The run was interrupted (Ctrl-C) before a retry could be sent.
        case interrupted
        /// The base URL does not answer like the recordings API (checked before deleting).
        case wrongBaseURL = "wrong_base_url"
    }

    /// One entry of the API's `errors` array.
    public struct APIError: Sendable, Hashable, Codable {
        public var code: String
        public var title: String
        public var detail: String?

        public init(code: String, title: String, detail: String? = nil) {
            self.code = code
            self.title = title
            self.detail = detail
        }
    }

    public var kind: Kind
    /// The HTTP status of the last response, when there was one.
    public var status: Int?
    public var apiErrors: [APIError]
    /// Requests sent for this id.
    public var attempts: Int
    /// What a person reads: what happened and what to do next.
    public var description: String
    /// The request id the API's last answer carried (`x-request-id`), for a support ticket.
    public var requestID: String?

    public init(kind: Kind, status: Int?, apiErrors: [APIError] = [], attempts: Int, requestID: String? = nil, description: String) {
        self.kind = kind
        self.status = status
        self.apiErrors = apiErrors
        self.attempts = attempts
        self.description = description
        self.requestID = requestID
    }
}
