import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// `GET {base}/recordings?page[number]=N&page[size]=S&filter[…]=…`: one page of the recordings
/// that match, and the totals of `meta`.
extension RecordingsClient {
    /// The largest page the API serves.
    public static let maximumPageSize = 250
    /// The largest page body read: 250 recordings with two presigned download links each are
    /// about 1 MB; 16 MiB leaves room and still bounds what a server can make tnx hold.
    static let maximumPageBody = 16 << 20

    public func listRecordings(_ filter: RecordingFilter, page: Int, size: Int) async -> Result<RecordingPage, RecordingsError> {
        let (key, headers): (String, HTTPHeaders)
        do { (key, headers) = try await authorizedHeaders() } catch { return .failure(error) }
        var attempts = AttemptHistory(key: key, policy: configuration.retryPolicy)
        let asked = min(max(size, 1), Self.maximumPageSize)
        let items = ["page%5Bnumber%5D=\(max(page, 1))", "page%5Bsize%5D=\(asked)"] + filter.queryItems
        let url = recordingsURL + "?" + items.joined(separator: "&")
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: url, method: .GET, headers: headers)
        } catch {
            return .failure(attempts.error(.transport, status: nil, "could not build the request to list recordings; nothing was sent"))
        }
        let subject = ResponseVerdict.Subject(action: "list recordings", id: nil)
        switch await perform(request, subject: subject, effect: nil, attempts: &attempts, bodyLimit: Self.maximumPageBody) {
        case .success(let answer):
            guard answer.bodyComplete else {
                return .failure(
                    attempts.error(
                        .unreadableResponse, status: answer.status,
                        "GET /recordings answered HTTP \(answer.status), but its body was cut off or larger than \(Self.maximumPageBody >> 20) MiB, so the page could not be read"))
            }
            guard var page = RecordingListEnvelope.decode(answer.body) else {
                return .failure(
                    attempts.error(
                        .unreadableResponse, status: answer.status,
                        "GET /recordings answered HTTP \(answer.status) but not with a list of recordings (\(ErrorText.excerpt(answer))): \(baseURLNamed) may not point at the Telnyx recordings API"))
            }
            // More than was asked for is not a page: whatever it adds, a listing that does not
            // keep to its own paging cannot be trusted to say what matches (nor what is gone).
            guard page.recordings.count <= asked else {
                return .failure(
                    attempts.error(
                        .unreadableResponse, status: answer.status,
                        "GET /recordings answered \(page.recordings.count) recordings for a page of \(asked) (page[size]=\(asked)): a server that does not keep to the page size it was asked for cannot be trusted to list what matches"))
            }
            page.recordings = page.recordings.map { $0.redacting(attempts.redact) }
            return .success(page)
        case .notFound(let apiErrors, let summary):
            return .failure(
                attempts.error(
                    .wrongBaseURL, status: 404,
                    "GET /recordings answered HTTP 404 Not Found\(summary): \(baseURLNamed) does not point at the Telnyx recordings API",
                    apiErrors: apiErrors))
        case .failed(let error):
            return .failure(error)
        }
    }

    /// How many recordings match: one request of one recording, and `meta.total_results`.
    public func countRecordings(_ filter: RecordingFilter) async -> Result<Int, RecordingsError> {
        switch await listRecordings(filter, page: 1, size: 1) {
        case .failure(let error): return .failure(error)
        case .success(let page):
            guard let total = page.totalResults else {
                return .failure(
                    RecordingsError(
                        kind: .unreadableResponse, status: 200, attempts: 1,
                        description: "GET /recordings answered without meta.total_results, so the count is not known"))
            }
            return .success(total)
        }
    }
}
