import Synchronization
import TelnyxRecordings
import TnxSystem

/// `set api-key-command "pass show telnyx/prod"`: a command whose first line of output is the
/// API key.
///
/// It runs with `/bin/sh -c` when a request first needs the key (see `DeferredKey`), on a
/// thread of its own: it may wait minutes for a passphrase. With a terminal on stderr it stays
/// in tnx's process group, so a password manager can ask there (a background group that reads
/// the terminal is stopped) and Ctrl-C reaches it; without one (cron) it gets a process group
/// of its own, so that stopping it stops whatever it started too. It writes to tnx's stderr;
/// its stdin is empty: it must not eat a script or ids read from stdin. What it prints is read
/// through a pipe and never shown, logged or kept; no message quotes it.
///
/// It is done when it has exited and its output has ended: what it prints after the key (`pass
/// show` prints more lines) is read and dropped, never cut off with SIGPIPE. A background
/// process it started may keep the pipe open for good, so reading stops `exitGrace` after it
/// exits whatever the pipe does. It cannot hold tnx forever: it is stopped (SIGTERM, then
/// SIGKILL) when every request waiting for it is cancelled (Ctrl-C, SIGTERM to tnx), and when it
/// has not printed its first line and exited within `timeout` (10 minutes when someone may be
/// typing a passphrase at a terminal, 60 s otherwise: a cron job must not hang).
final class KeyCommand: Sendable {
    let command: String
    /// The `set` that named it: `api-key-command of profile prod (…/profiles/prod.tnx:2)`.
    let origin: KeyOrigin
    let timeout: Duration
    /// Whether someone may answer a prompt on the terminal (stderr is one).
    let interactive: Bool
    /// The running child, for `cancel`; and whether it was cancelled.
    private let state = Mutex<(child: ChildProcess?, cancelled: Bool)>((nil, false))

    /// More than any key, less than anything worth holding in memory: what is kept of the
    /// output (the rest is read and dropped).
    static let outputLimit = 64 << 10
    /// How long the output is still read after the command exits: what it printed last is in
    /// the pipe by then, and a background process that holds the pipe does not hold tnx.
    static let exitGrace: Duration = .milliseconds(250)

    /// `timeout` nil: 10 minutes with a terminal on stderr (a passphrase may be typed), else 60 s.
    init(command: String, origin: KeyOrigin, interactive: Bool, timeout: Duration?) {
        self.command = command
        self.origin = origin
        self.interactive = interactive
        self.timeout = timeout ?? (interactive ? .seconds(600) : .seconds(60))
    }

    func deferredKey(onKey: @escaping @Sendable (String) -> Void) -> DeferredKey {
        DeferredKey(
            origin: origin,
            resolve: { [self] in
                let worker = BlockingWorker()
                let result = await worker.run { self.run() }
                if case .success(let key) = result { onKey(key) }
                return result
            },
            cancel: { [self] in cancel() })
    }

    /// Stops the command in progress, if any.
    func cancel() {
        let child = state.withLock { s -> ChildProcess? in
            s.cancelled = true
            return s.child
        }
        child?.terminate(group: !interactive)
    }

    /// Runs the command and returns the key (blocking).
    func run() -> Result<String, ConfigurationError> {
        func failure(_ what: String) -> Result<String, ConfigurationError> {
            .failure(ConfigurationError(message: "the \(origin.name) \(what); nothing was sent. Run the command yourself to see what it prints"))
        }
        state.withLock { $0.cancelled = false }
        let child: ChildProcess
        switch ChildProcess.spawn(["/bin/sh", "-c", command], resetting: StopSignals.all + StopSignals.ignoredWhileWriting, ownGroup: !interactive) {
        case .success(let started): child = started
        case .failure(let error): return failure("could not start /bin/sh: \(error)")
        }
        // A cancel from now on stops the child; one from before is seen by the loop below.
        state.withLock { $0.child = child }
        FileDescriptor.close(child.stdin)
        defer { state.withLock { $0.child = nil } }
        func stop() {
            child.terminate(group: !interactive)
            if child.exitStatus(within: .seconds(2)) == nil {
                child.kill(group: !interactive)
                child.waitOrKill(after: .zero)
            } else if !interactive {
                child.kill(group: true)  // what it started and left behind
            }
        }
        var cancelled: Bool { state.withLock { $0.cancelled } }

        // Its output to the end, or until a short grace after it exits: a background process it
        // started may hold the pipe open for good. Only the first 64 KiB are kept (the key is
        // its first line); the rest is read and dropped, so that a command printing more after
        // its key is not killed by SIGPIPE. All of it before the deadline.
        let deadline = ContinuousClock.now + timeout
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var status: Int32?
        var graceEnds: ContinuousClock.Instant?
        while !cancelled {
            let now = ContinuousClock.now
            if let graceEnds, now >= graceEnds { break }
            guard now < deadline || status != nil else {
                stop()
                FileDescriptor.close(child.stdout)
                return failure(
                    bytes.contains(UInt8(ascii: "\n"))
                        ? "did not exit within \(timeout.shortText) and was stopped" : "printed no key within \(timeout.shortText) and was stopped")
            }
            if status == nil, let ended = child.exitStatus(within: .zero) {
                status = ended
                graceEnds = now + Self.exitGrace
            }
            guard FileDescriptor.waitForInput(child.stdout, milliseconds: status == nil ? 100 : 20) else { continue }
            let n = chunk.withUnsafeMutableBytes { FileDescriptor.read(child.stdout, into: $0.baseAddress!, count: $0.count) }
            if n <= 0 { break }
            guard bytes.count < Self.outputLimit else { continue }
            bytes += chunk[..<min(n, Self.outputLimit - bytes.count)]
            if bytes.count == Self.outputLimit, !bytes.contains(UInt8(ascii: "\n")) {
                if status == nil { stop() }  // once reaped, its pid may be another process's
                FileDescriptor.close(child.stdout)
                return failure("printed more than 64 KiB without a line end and was stopped")
            }
        }
        FileDescriptor.close(child.stdout)
        if cancelled {
            stop()
            return failure("was stopped (interrupted)")
        }
        if status == nil {
            // The output ended (EOF); its exit status, before the same deadline.
            let remaining = max(deadline - ContinuousClock.now, .milliseconds(100))
            status = child.exitStatus(within: remaining)
        }
        guard let status else {
            stop()
            return failure("did not exit within \(timeout.shortText) and was stopped")
        }
        if status != 0 {
            return failure(status > 128 ? "was ended by signal \(status - 128)" : "exited with status \(status) (its own messages, if any, are above)")
        }
        let firstLine = bytes.prefix { $0 != UInt8(ascii: "\n") }
        var key = Substring(String(decoding: firstLine, as: UTF8.self))
        while let last = key.last, last == "\r" || last == " " || last == "\t" { key = key.dropLast() }
        while let first = key.first, first == " " || first == "\t" { key = key.dropFirst() }
        guard !key.isEmpty else { return failure("printed no key on its first line") }
        for (index, scalar) in key.unicodeScalars.enumerated() where !(0x21...0x7E).contains(scalar.value) {
            let what = scalar == " " ? "a space" : scalar.value < 0x20 || scalar.value == 0x7F ? "a control character" : "a character that is not ASCII"
            return failure("printed a first line with \(what) at position \(index + 1), which no API key has: the key must be alone on the first line")
        }
        return .success(String(key))
    }
}
