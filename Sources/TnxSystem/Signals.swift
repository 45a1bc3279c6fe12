import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The signals that stop tnx the way Ctrl-C does: SIGINT (Ctrl-C), SIGTERM (what `timeout`,
/// systemd and cron supervisors send) and SIGHUP (the terminal went away).
///
/// Done the one way that was measured to be reliable on Linux:
///
/// 1. `StopSignals.blockOnMainThread()` as the very first statement of a *synchronous*
///    `main.swift` (no top-level `await`: with async main the OS main thread parks in
///    `sigsuspend` with an empty mask and the work runs on other threads, undoing the mask).
///    Every thread created later inherits the blocked mask, so these signals are never
///    delivered to a thread asynchronously, and libedit (EL_SIGNAL off) never touches them.
/// 2. One permanent `StopSignalWatcher`, created once at startup: a libdispatch signal source
///    (signalfd on Linux) per signal, whose `@Sendable` handler runs on a private queue and calls
///    the current action (typically `task.cancel()` of the running operation).
/// 3. At the shell's prompt, ^C is a key (`LineEditor`); during an operation the terminal is in
///    its normal mode and ^C is SIGINT, which the watcher turns into cancellation.
/// 4. Each operation runs in a `Task`, waited for synchronously: `runBlocking`.
public enum StopSignals {
    public static let all: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    public static let interrupt = SIGINT
    /// A stop signal this soon after the first is a duplicate of it (GNU `timeout` sends
    /// SIGTERM to tnx and then to its process group), never the "second signal" that exits at
    /// once.
    public static let duplicateWindow: Duration = .seconds(1)
    /// Ignored by `ignoreSignalsThatInterruptWrites`.
    public static let ignoredWhileWriting: [Int32] = [SIGPIPE, SIGXFSZ]

    /// Blocks the stop signals on the calling thread (call it on the main thread before any
    /// other thread exists, i.e. first thing in `main.swift`).
    public static func blockOnMainThread() {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in all { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Ignores the signals whose default action kills the process in the middle of a write,
    /// between a delete and its journal line: SIGPIPE (stdout's reader went away, as with
    /// `tnx … | head`) and SIGXFSZ (a write past `ulimit -f`). The write fails instead (EPIPE,
    /// EFBIG): output to a vanished reader is dropped and the run goes on; a journal write that
    /// fails stops the run.
    public static func ignoreSignalsThatInterruptWrites() {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
    }

    /// Whether SIGINT is blocked on the calling thread.
    public static var isBlockedOnCurrentThread: Bool {
        var current = sigset_t()
        pthread_sigmask(SIG_BLOCK, nil, &current)
        return sigismember(&current, SIGINT) == 1
    }

    /// The exit status of a process ended by `signal`, as shells report it: 128 + the number
    /// (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).
    public static func exitStatus(for signal: Int32) -> Int32 { 128 + signal }

    /// `SIGTERM`, for messages.
    public static func name(of signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: "signal \(signal)"
        }
    }
}

/// The one permanent watcher of the stop signals. Thread-safe; the action can be replaced at
/// any time from any thread.
///
/// Registration of a libdispatch signal source is asynchronous (a signal sent right after
/// `resume()` can be missed), so `init` waits (at most `registrationTimeout`) until every
/// source reports that it is registered: create the watcher once at startup, never per
/// operation, and check `isRegistered`.
public final class StopSignalWatcher: Sendable {
    /// The state the signal handlers share with the callers; it does not reference the
    /// sources, so there is no reference cycle through the handlers.
    private final class Core: Sendable {
        struct State {
            var action: (@Sendable (Int32) -> Void)?
            /// Signals received since the current action was set.
            var sinceActionSet = 0
            /// The first signal received while an action was set (what stopped the operation).
            var stoppedBy: Int32?
            /// When it arrived.
            var stoppedAt: ContinuousClock.Instant?
            /// The operation is finishing (its summary, the journal's flush): no forced exit.
            var finishing = false
        }
        let state = Mutex(State())
        let idleAction: @Sendable (Int32) -> Void
        let exitAfter: Int?
        let beforeForcedExit: @Sendable () -> Void

        init(idleAction: @escaping @Sendable (Int32) -> Void, exitAfter: Int?, beforeForcedExit: @escaping @Sendable () -> Void) {
            self.idleAction = idleAction
            self.exitAfter = exitAfter
            self.beforeForcedExit = beforeForcedExit
        }

        func arrived(_ signal: Int32) {
            let now = ContinuousClock.now
            let (action, exitNow) = state.withLock { state -> ((@Sendable (Int32) -> Void)?, Bool) in
                guard let action = state.action else { return (nil, false) }
                state.sinceActionSet += 1
                if state.stoppedBy == nil {
                    state.stoppedBy = signal
                    state.stoppedAt = now
                }
                // Within a second of the first, a signal is the same request again (`timeout`
                // signals tnx and then its process group); while finishing, the run is already
                // doing what a stop asks. Neither may cut the journal short.
                let deliberate = state.stoppedAt.map { now - $0 > StopSignals.duplicateWindow } ?? false
                if let exitAfter, state.sinceActionSet >= exitAfter, deliberate, !state.finishing { return (action, true) }
                return (action, false)
            }
            if exitNow {
                beforeForcedExit()
                FileDescriptor.writeAll(STDERR_FILENO, "\n")
                _exit(StopSignals.exitStatus(for: signal))
            }
            if let action { action(signal) } else { idleAction(signal) }
        }
    }

    private let core: Core
    // Mutex<…> is Sendable whatever its value; the sources are only touched under the lock.
    private let sources: Mutex<[DispatchSourceSignal]>
    /// Whether every signal source confirmed its registration within the timeout. When false,
    /// a stop signal may kill the process instead of stopping it cleanly: say so.
    public let isRegistered: Bool

    /// - Parameters:
    ///   - forceExitAfter: with an action set, the Nth stop signal (default: the second) ends
    ///     the process at once with `_exit(128 + signal)` (a user who presses Ctrl-C twice
    ///     wants out even if the operation is slow to honour cancellation), but only when it
    ///     comes more than `StopSignals.duplicateWindow` after the first and the operation is
    ///     not `finishing`. nil: never.
    ///   - beforeForcedExit: runs just before that exit (e.g. flush what was printed).
    ///   - whenIdle: called for a signal that arrives with no action set (e.g. `kill -INT`
    ///     while at the prompt, where ^C is a key and never a signal).
    ///   - registrationTimeout: how long `init` waits for the sources' registration.
    public init(
        forceExitAfter: Int? = 2,
        beforeForcedExit: @escaping @Sendable () -> Void = {},
        whenIdle: @escaping @Sendable (Int32) -> Void,
        registrationTimeout: DispatchTimeInterval = .seconds(2)
    ) {
        let core = Core(idleAction: whenIdle, exitAfter: forceExitAfter, beforeForcedExit: beforeForcedExit)
        let queue = DispatchQueue(label: "tnx.stop-signals")
        let registered = DispatchSemaphore(value: 0)
        var made: [DispatchSourceSignal] = []
        for signal in StopSignals.all {
            let source = DispatchSource.makeSignalSource(signal: signal, queue: queue)
            // Explicitly @Sendable: an unannotated closure written in main.swift is inferred
            // @MainActor and traps (`_dispatch_assert_queue_fail`) when it runs on `queue`.
            source.setRegistrationHandler(handler: { @Sendable in registered.signal() })
            // Signals that arrive together are coalesced into one event: counted as one.
            source.setEventHandler(handler: { @Sendable in core.arrived(signal) })
            source.resume()
            made.append(source)
        }
        var all = true
        let deadline = DispatchTime.now() + registrationTimeout
        for _ in made where registered.wait(timeout: deadline) != .success { all = false }
        self.isRegistered = all
        self.core = core
        self.sources = Mutex(made)
    }

    /// Replaces the action called for each stop signal (nil: none; signals then go to
    /// `whenIdle`). Resets the count used by `forceExitAfter` and `stoppedBy`.
    public func setAction(_ action: (@Sendable (Int32) -> Void)?) {
        core.state.withLock {
            $0.action = action
            $0.sinceActionSet = 0
            $0.stoppedBy = nil
            $0.stoppedAt = nil
            $0.finishing = false
        }
    }

    /// The operation is finishing (true: its loop has ended; its summary and the journal's
    /// flush follow) or has started a new run (false): a stop signal while finishing never
    /// exits at once. Reset when the action is replaced.
    public func setFinishing(_ finishing: Bool) {
        core.state.withLock { $0.finishing = finishing }
    }

    /// The first signal that arrived since the action was set, if any: what stopped the
    /// operation, which decides its exit status (130, 143 or 129).
    public var stoppedBy: Int32? { core.state.withLock { $0.stoppedBy } }

    deinit {
        sources.withLock { sources in sources.forEach { $0.cancel() } }
    }
}

/// Runs `body` in a detached `Task` and blocks the calling thread until it finishes. For a
/// synchronous `main` that runs one operation at a time.
///
/// `body` must not need the main actor (the main thread is blocked while it runs: that would
/// deadlock). It runs detached, so it inherits no actor.
public func runBlocking<T: Sendable>(_ body: @Sendable @escaping () async -> T) -> T {
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox<T>()
    Task.detached {
        let value = await body()
        box.value.withLock { $0 = .some(value) }
        done.signal()
    }
    done.wait()
    return box.value.withLock { $0! }
}

/// `runBlocking`, with each stop signal cancelling the task while it runs (through
/// `watcher`'s action, restored to none afterwards; `onStop` first). `body` sees the cancellation
/// (`Task.isCancelled`, a `Task.sleep` that throws) and decides what to return. The signal that
/// stopped it is `watcher.stoppedBy` until the next operation starts.
///
/// The action is installed before the task starts, so a signal that arrives as early as the
/// first instruction of `body` (or even before the task exists) still cancels it.
public func runBlocking<T: Sendable>(
    cancellingOn watcher: StopSignalWatcher, onStop: (@Sendable (Int32) -> Void)? = nil, _ body: @Sendable @escaping () async -> T
) -> (value: T, stoppedBy: Int32?) {
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox<T>()
    let handle = CancellationHandle()
    watcher.setAction { signal in
        onStop?(signal)
        handle.cancel()
    }
    let task = Task.detached {
        let value = await body()
        box.value.withLock { $0 = .some(value) }
        done.signal()
    }
    handle.attach(task)
    done.wait()
    let stoppedBy = watcher.stoppedBy
    watcher.setAction(nil)
    return (box.value.withLock { $0! }, stoppedBy)
}

/// A task to cancel that may not exist yet when the cancellation arrives.
private final class CancellationHandle: Sendable {
    private let state = Mutex<(cancel: (@Sendable () -> Void)?, cancelled: Bool)>((nil, false))

    func attach<T>(_ task: Task<T, Never>) {
        let cancelNow = state.withLock { state -> Bool in
            state.cancel = { task.cancel() }
            return state.cancelled
        }
        if cancelNow { task.cancel() }
    }

    func cancel() {
        let cancel = state.withLock { state -> (@Sendable () -> Void)? in
            state.cancelled = true
            return state.cancel
        }
        cancel?()
    }
}

private final class ResultBox<T: Sendable>: Sendable {
    let value = Mutex<T?>(nil)
}
