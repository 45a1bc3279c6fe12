import TelnyxRecordings
import TnxSystem

/// The write-ahead half of the journal: every id is journaled `sending` before its delete
/// request goes, so a journal always names every recording that may be gone, even after a
/// `kill -9` or a forced exit with requests on the wire. The outcome line follows when the
/// answer arrives; an id whose latest line is `sending` was sent and never settled, and
/// `--resume` reads it back (`SentSettlement`).
///
/// The lines of the ids started together (one pass of the bulk loop) go in one `write`, like
/// a batch's `batch_sent` lines: the cost is one `write(2)` per pass, not per id.
extension Journal {
    /// What a `sending` line says.
    static let sendingNote = "its delete is being sent; the outcome follows (--resume reads it back when none does)"

    /// One `sending` line per id, in one write, before their delete requests go.
    func recordSending(_ ids: [String]) throws(JournalError) {
        guard !ids.isEmpty else { return }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 230)
        let time = WallClock.iso8601Now()
        for id in ids {
            var line = lineStart(time: time)
            line.field("id", id)
            line.field("outcome", "sending")
            line.field("note", Self.sendingNote)
            bytes += line.finishBytes()
            bytes.append(UInt8(ascii: "\n"))
        }
        try append(bytes)
    }
}

extension ResumeSet {
    /// Follows one journal line of `id` for `unsettled`: a `sending` line makes the id
    /// unsettled; a later outcome of a request (`deleted`, `not_found`, `failed`) settles it.
    /// A line of an id that sent nothing (`skipped` by a later run, `duplicate`) says nothing
    /// of the earlier send.
    mutating func noteWriteAhead(id: String, outcome: String) {
        switch outcome {
        case "sending": unsettled.insert(id)
        case OutcomeKind.deleted.rawValue, OutcomeKind.notFound.rawValue, OutcomeKind.failed.rawValue: unsettled.remove(id)
        default: break
        }
    }
}

/// How `--resume` settles an id whose delete was sent by a run that ended before its answer
/// (its latest journal line is `sending`): the delete may or may not have been carried out.
///
/// It reads the recording back first: a `404` means the earlier delete did its work, journaled
/// `deleted` with a note that says how it is known (a second delete would answer `404` too,
/// but `not_found` would hide that tnx deleted it); a `200` means it is still there, and it is
/// deleted again normally.
enum SentSettlement {
    static let absentNote = "sent before tnx stopped (no answer journaled); verified absent by a read (404)"

    /// The outcome when the read settles `id` (deleted, or why it could not be read); nil when
    /// the recording is still there and must be deleted.
    static func readBack(_ id: RecordingID, origin: String?, client: any RecordingsAPI) async -> Outcome? {
        switch await client.retrieveRecording(id) {
        case .success:
            return nil
        case .failure(let error) where error.kind == .notFound:
            return Outcome(
                kind: .deleted, id: id.rawValue, origin: origin, httpStatus: error.status ?? 404, message: absentNote,
                attempts: error.attempts)
        case .failure(let error) where error.kind == .interrupted && error.attempts == 0:
            return Outcome(kind: .skipped, id: id.rawValue, origin: origin, message: "not read back: interrupted")
        case .failure(let error):
            return Outcome(
                kind: .failed, id: id.rawValue, origin: origin, httpStatus: error.status,
                message: "its delete was sent by an earlier run that stopped before the answer, and reading it back failed: \(error.description)",
                error: error, attempts: error.attempts)
        }
    }

    /// `--resume` for an id the journal left `sending`: read back, then deleted if still there.
    static func settle(_ id: RecordingID, origin: String?, client: any RecordingsAPI) async -> Outcome {
        if let settled = await readBack(id, origin: origin, client: client) { return settled }
        return Outcome(await client.deleteRecording(id, dryRun: false), id: id, origin: origin)
    }
}
