import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A thread of its own for calls that block — reading a pipe that may stay silent for
/// minutes, `fsync` — so that they never hold one of the few threads of Swift's cooperative
/// pool (two on this machine), where they would stall every request and outcome of a run.
///
/// Jobs run one at a time, in the order submitted. The thread starts with the first job and
/// ends when the worker is released and its queue is empty.
public final class BlockingWorker: Sendable {
    private let queue = JobQueue()

    public init() {}

    deinit {
        queue.stop()
    }

    /// Runs `job` on the worker's thread and returns its result.
    public func run<T: Sendable>(_ job: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            submit { continuation.resume(returning: job()) }
        }
    }

    /// Queues `job` without waiting for it.
    public func submit(_ job: @escaping @Sendable () -> Void) {
        if queue.push(job) { queue.startThread() }
    }
}

/// The jobs, shared by the worker and its thread (which holds it, not the worker).
private final class JobQueue: Sendable {
    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var started = false
        var stopped = false
    }
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    /// Adds a job; true when the thread must be started.
    func push(_ job: @escaping @Sendable () -> Void) -> Bool {
        let start = state.withLock { s -> Bool in
            s.jobs.append(job)
            defer { s.started = true }
            return !s.started
        }
        wake.signal()
        return start
    }

    func stop() {
        state.withLock { $0.stopped = true }
        wake.signal()
    }

    /// The next job, or nil when there is none now; `finished` when none will come.
    private func take() -> (job: (@Sendable () -> Void)?, finished: Bool) {
        state.withLock { s in
            if !s.jobs.isEmpty { return (s.jobs.removeFirst(), false) }
            return (nil, s.stopped)
        }
    }

    func runLoop() {
        while true {
            wake.wait()
            while true {
                let (job, finished) = take()
                if let job { job(); continue }
                if finished { return }
                break
            }
        }
    }

    func startThread() {
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { context in
            Unmanaged<JobQueue>.fromOpaque(context!).takeRetainedValue().runLoop()
            return nil
        }, context)
        if created == 0 {
            pthread_detach(thread)
        } else {
            // No thread to be had: run the queued jobs here rather than never, and try again
            // with the next job.
            Unmanaged<JobQueue>.fromOpaque(context).release()
            state.withLock { $0.started = false }
            while let job = take().job { job() }
        }
    }
}
