import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ctrl-C during an operation, done the one way that was measured to be reliable on Linux
/// (see `shared/notes/libedit-and-signals.md`):
///
/// 1. `InterruptSignal.blockOnMainThread()` as the very first statement of a *synchronous*
///    `main.swift` (no top-level `await`: with async main the OS main thread parks in
///    `sigsuspend` with an empty mask and the work runs on other threads, undoing the mask).
///    Every thread created later inherits the blocked mask, so SIGINT is never delivered to a
///    thread asynchronously; libedit (EL_SIGNAL off) never touches SIGINT's disposition.
/// 2. One permanent `InterruptWatcher`, created once at startup: a libdispatch signal source
///    (signalfd on Linux) whose `@Sendable` handler runs on a private queue and calls the
///    current action (typically `task.cancel()` of the running operation).
/// 3. At the prompt, ^C is a key (`LineEditor`); during an operation the terminal is back in
///    its normal mode and ^C is SIGINT, which the watcher turns into cancellation.
/// 4. Each operation runs in a `Task`, waited for synchronously: `runBlocking`.
public enum InterruptSignal {
    /// Blocks SIGINT on the calling thread (call it on the main thread before any other thread
    /// exists, i.e. first thing in `main.swift`).
    public static func blockOnMainThread() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Whether SIGINT is blocked on the calling thread.
    public static var isBlockedOnCurrentThread: Bool {
        var current = sigset_t()
        pthread_sigmask(SIG_BLOCK, nil, &current)
        return sigismember(&current, SIGINT) == 1
    }
}

/// The one permanent SIGINT watcher of the process. Thread-safe; the action can be replaced at
/// any time from any thread.
///
/// Registration of a libdispatch signal source is asynchronous (a SIGINT sent right after
/// `resume()` can be missed), so `init` waits (at most `registrationTimeout`) until the source
/// reports that it is registered: create the watcher once at startup, never per operation.
public final class InterruptWatcher: Sendable {
    /// The state the signal handler shares with the callers; it does not reference the source,
    /// so there is no reference cycle through the handler.
    private final class Core: Sendable {
        struct State {
            var action: (@Sendable () -> Void)?
            /// SIGINTs received since the current action was set.
            var sinceActionSet = 0
            var total = 0
        }
        let state = Mutex(State())
        let idleAction: @Sendable () -> Void
        let exitAfter: Int?
        let exitStatus: Int32

        init(idleAction: @escaping @Sendable () -> Void, exitAfter: Int?, exitStatus: Int32) {
            self.idleAction = idleAction
            self.exitAfter = exitAfter
            self.exitStatus = exitStatus
        }

        func signalArrived(count: Int) {
            let count = max(count, 1)
            let (action, exitNow) = state.withLock { state -> ((@Sendable () -> Void)?, Bool) in
                state.total += count
                guard let action = state.action else { return (nil, false) }
                state.sinceActionSet += count
                if let exitAfter, state.sinceActionSet >= exitAfter { return (action, true) }
                return (action, false)
            }
            if exitNow {
                writeAll(STDERR_FILENO, "\n")
                _exit(exitStatus)
            }
            if let action { action() } else { idleAction() }
        }
    }

    private let core: Core
    // Mutex<…> is Sendable whatever its value; the source is only touched under the lock.
    private let source: Mutex<DispatchSourceSignal?>
    /// Whether the signal source confirmed its registration within the timeout.
    public let isRegistered: Bool

    /// - Parameters:
    ///   - forceExitAfter: with an action set, the Nth SIGINT (default: the second) ends the
    ///     process at once with `_exit(exitStatus)` (a user who presses Ctrl-C twice wants out
    ///     even if the operation is slow to honour cancellation). nil: never.
    ///   - exitStatus: the status of that forced exit (130 = 128 + SIGINT).
    ///   - whenIdle: called for a SIGINT that arrives with no action set (e.g. `kill -INT` while
    ///     at the prompt, where ^C is a key and never a signal). Default: ignore it.
    ///   - registrationTimeout: how long `init` waits for the source's registration.
    public init(
        forceExitAfter: Int? = 2,
        exitStatus: Int32 = 130,
        whenIdle: @escaping @Sendable () -> Void = {},
        registrationTimeout: DispatchTimeInterval = .seconds(2)
    ) {
        let core = Core(idleAction: whenIdle, exitAfter: forceExitAfter, exitStatus: exitStatus)
        let queue = DispatchQueue(label: "tnx.interrupt-watcher")
        let signalSource = DispatchSource.makeSignalSource(signal: SIGINT, queue: queue)
        let registered = DispatchSemaphore(value: 0)
        // Explicitly @Sendable: an unannotated closure written in main.swift is inferred
        // @MainActor and traps (`_dispatch_assert_queue_fail`) when it runs on `queue`.
        signalSource.setRegistrationHandler(handler: { @Sendable in registered.signal() })
        // Signals that arrive together are coalesced into one event: counted as one.
        signalSource.setEventHandler(handler: { @Sendable in core.signalArrived(count: 1) })
        signalSource.resume()
        self.isRegistered = registered.wait(timeout: .now() + registrationTimeout) == .success
        self.core = core
        self.source = Mutex(signalSource)
    }

    /// Replaces the action called for each SIGINT (nil: none; SIGINTs then go to `whenIdle`).
    /// Resets the count used by `forceExitAfter`.
    public func setAction(_ action: (@Sendable () -> Void)?) {
        core.state.withLock {
            $0.action = action
            $0.sinceActionSet = 0
        }
    }

    /// Runs `body` with `action` as the SIGINT action, then clears it.
    public func withAction<T>(_ action: @escaping @Sendable () -> Void, do body: () throws -> T) rethrows -> T {
        setAction(action)
        defer { setAction(nil) }
        return try body()
    }

    /// SIGINTs received since the watcher started.
    public var interruptCount: Int { core.state.withLock { $0.total } }

    /// Stops watching (SIGINT stays blocked, so it is then simply pending and ignored).
    public func cancel() {
        source.withLock { source in
            source?.cancel()
            source = nil
        }
    }

    deinit {
        source.withLock { $0?.cancel() }
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

/// `runBlocking`, with each SIGINT cancelling the task while it runs (through `watcher`'s
/// action, restored to none afterwards). `body` sees the cancellation (`Task.isCancelled`,
/// `Task.checkCancellation()`, a `Task.sleep` that throws) and decides what to return.
///
/// The action is installed before the task starts, so a SIGINT that arrives as early as the
/// first instruction of `body` (or even before the task exists) still cancels it.
public func runBlocking<T: Sendable>(
    cancellingOn watcher: InterruptWatcher, _ body: @Sendable @escaping () async -> T
) -> T {
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox<T>()
    let handle = CancellationHandle()
    return watcher.withAction({ handle.cancel() }) {
        let task = Task.detached {
            let value = await body()
            box.value.withLock { $0 = .some(value) }
            done.signal()
        }
        handle.attach(task)
        done.wait()
        return box.value.withLock { $0! }
    }
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
