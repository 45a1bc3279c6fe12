import TelnyxRecordings
import TnxSystem

/// Ids a purge sent whose fate no later line of the journal settled: a `batch_sent` line
/// followed by no `deleted` or `not_found` (nothing, as after `kill -9`, or `failed` or
/// `skipped`, as after Ctrl-C or SIGTERM stopped the verification), or a single delete's
/// `sending` line followed by no answer at all (`kill -9`, a deliberate second Ctrl-C). The
/// request may have deleted them; a later purge no longer lists them, so only reading each
/// back settles them.
///
/// Kept apart from `completedIDs` (what `--resume` skips) on purpose: it answers another
/// question, and is read only by a purge that settles them (`EarlierBatches.settle`).
struct UnsettledBatchIDs {
    /// In the order they were first sent.
    var ids: [String] = []
    /// Those whose last request was a single delete (`sending`), not a batch.
    var singles: Set<String> = []
    /// The snapshot's metadata of each, when a line after `batch_sent` carried it (the
    /// `failed` line of a stopped verification does): the `deleted` line written on a 404
    /// keeps it.
    var recordings: [String: Recording] = [:]
}

extension Journal {
    /// Reads the journal at `path` for the ids of `UnsettledBatchIDs`, counting only lines of
    /// `baseURL` that parse whole (as `completedIDs` does). A missing journal has none.
    /// Blocking: call it off the cooperative pool.
    static func unsettledBatchIDs(at path: String, baseURL: String) throws(JournalError) -> UnsettledBatchIDs {
        var result = UnsettledBatchIDs()
        guard let reader = try openForReading(path) else { return result }
        // id → its metadata, if known; present while unsettled.
        var pending: [String: Recording?] = [:]
        var order: [String] = []
        var singles: Set<String> = []
        do {
            while let line = try reader.next() {
                guard line.text.utf8.count < maximumLineLength,
                    let json = JSONValue.parse(line.text.utf8), case .object = json,
                    json["base_url"]?.string == baseURL,
                    let id = json["id"]?.string, let outcome = json["outcome"]?.string
                else { continue }
                switch outcome {
                case "batch_sent", "sending":
                    if pending[id] == nil {
                        pending[id] = .some(nil)
                        order.append(id)
                    }
                    if outcome == "batch_sent" { singles.remove(id) } else { singles.insert(id) }
                case OutcomeKind.deleted.rawValue, OutcomeKind.notFound.rawValue:
                    pending[id] = nil
                case OutcomeKind.failed.rawValue where singles.contains(id):
                    // A single delete that was answered: its outcome is known, and the id is
                    // not done (`--resume` deletes it again).
                    pending[id] = nil
                default:
                    // `failed` or `skipped` after its batch: still unsettled; keep what it says
                    // the recording was.
                    if pending[id] != nil, let r = json["recording"], case .object = r {
                        pending[id] = .some(Self.recording(r, id: id))
                    }
                }
            }
        } catch {
            throw JournalError(path: path, reason: error.description)
        }
        for id in order {
            guard let known = pending.removeValue(forKey: id) else { continue }
            result.ids.append(id)
            if singles.contains(id) { result.singles.insert(id) }
            if let known { result.recordings[id] = known }
        }
        return result
    }

    /// The fields of a journaled `recording` object that a `deleted` line shows (those a
    /// snapshot keeps), under the id of its line.
    private static func recording(_ json: JSONValue, id: String) -> Recording {
        var r = SnapshotFile.recording(json)
        r.id = id
        return r
    }
}
