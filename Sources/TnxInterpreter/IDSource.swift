import Synchronization
import TnxSystem

/// An id source read on a thread of its own, in batches, for the bulk engine and for loops
/// over files. Reading a pipe that stays silent never holds a thread of the cooperative pool,
/// never delays the outcome (and journal line) of a request that has finished, and ends within
/// 100 ms of `stop()` — Ctrl-C is honoured while tnx waits for input.
final class IDSource: Sendable {
    let name: String
    /// Whether the input can be read only once (a pipe, stdin, a FIFO): never counted ahead.
    let isStream: Bool
    private let reader: Mutex<IDLineReader>
    private let stopFlag: StopFlag
    private let worker: BlockingWorker

    /// What one `next` gives.
    enum Batch: Sendable {
        /// One or more lines, in order.
        case lines([IDLine])
        case end
        case failed(IDSourceError)
    }

    private final class StopFlag: Sendable {
        let raised = Atomic<Bool>(false)
    }

    private init(reader: sending IDLineReader, worker: BlockingWorker) {
        let flag = StopFlag()
        reader.shouldStop = { flag.raised.load(ordering: .relaxed) }
        self.name = reader.name
        self.isStream = reader.isStream
        self.stopFlag = flag
        self.worker = worker
        self.reader = Mutex(reader)
    }

    /// Opens `path` (`-`: the descriptor `standardInput`) on the source's own thread: opening a
    /// FIFO waits for its writer.
    static func open(_ path: String, standardInput: Int32) async -> Result<IDSource, IDSourceError> {
        let worker = BlockingWorker()
        if path == "-" {
            return .success(IDSource(reader: IDLineReader(descriptor: standardInput, name: "<stdin>"), worker: worker))
        }
        let opened: Result<IDSource, IDSourceError> = await worker.run {
            do throws(IDSourceError) {
                return .success(IDSource(reader: try IDLineReader(path: path), worker: worker))
            } catch {
                return .failure(error)
            }
        }
        return opened
    }

    /// The next lines, at most `limit`: whatever a stream has ready (at least one line, waiting
    /// for it if need be), or up to `limit` of a file. Cancelling the calling task stops the
    /// wait within 100 ms (then `.failed` with `stopped`).
    func next(limit: Int = 4096) async -> Batch {
        await withTaskCancellationHandler {
            await worker.run { [self] in
                reader.withLock { reader in
                    var lines: [IDLine] = []
                    do throws(IDSourceError) {
                        while lines.count < limit {
                            switch try reader.read(mayWait: lines.isEmpty) {
                            case .line(let line): lines.append(line)
                            case .needsInput: return .lines(lines)
                            case .end: return lines.isEmpty ? .end : .lines(lines)
                            }
                        }
                        return .lines(lines)
                    } catch {
                        return lines.isEmpty ? .failed(error) : .lines(lines)
                    }
                }
            }
        } onCancel: {
            stop()
        }
    }

    /// Ends a wait for input within 100 ms; later reads of a stream end at once. Any thread.
    func stop() {
        stopFlag.raised.store(true, ordering: .relaxed)
    }
}
