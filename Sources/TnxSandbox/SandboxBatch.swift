import Foundation
import Hummingbird

extension Handler {
    /// The ids of a batch delete's body, `{"ids": ["…", …]}` (at most 4 MiB); nil when it is
    /// not that.
    static func batchIDs(in request: Request) async -> [String]? {
        guard let body = try? await request.body.collect(upTo: 4 << 20),
            let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let ids = object["ids"] as? [String]
        else { return nil }
        return ids
    }
}
