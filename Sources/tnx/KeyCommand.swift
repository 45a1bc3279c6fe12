import TelnyxRecordings
import TnxSystem

/// `set api-key-command "pass show telnyx/prod"`: a command whose first line of output is the
/// API key.
///
/// It runs with `/bin/sh -c`, once, when a request first needs the key (the client asks; see
/// `DeferredKey`), on a thread of its own: it may wait minutes for a passphrase. It stays in
/// tnx's process group with the terminal as its stderr, so a password manager can ask there
/// and Ctrl-C reaches it. Its stdin is empty: it must not eat a script or ids read from stdin.
/// What it prints is read through a pipe and never shown, logged or kept; its messages never
/// quote that output.
struct KeyCommand: Sendable {
    var command: String
    /// `api-key-command of profile prod (…/profiles/prod.tnx:2)`.
    var origin: String

    /// More than any key, less than anything worth holding in memory.
    static let outputLimit = 64 << 10

    func deferredKey(onKey: @escaping @Sendable (String) -> Void) -> DeferredKey {
        DeferredKey(origin: origin) { [self] in
            let worker = BlockingWorker()
            let result = await worker.run { run() }
            if case .success(let key) = result { onKey(key) }
            return result
        }
    }

    /// Runs the command and returns the key (blocking).
    func run() -> Result<String, ConfigurationError> {
        func failure(_ what: String) -> Result<String, ConfigurationError> {
            .failure(ConfigurationError(message: "the \(origin) \(what); nothing was sent. Run the command yourself to see what it prints"))
        }
        let child: ChildProcess
        switch ChildProcess.spawn(["/bin/sh", "-c", command], resetting: StopSignals.all + StopSignals.ignoredWhileWriting, ownGroup: false) {
        case .success(let started): child = started
        case .failure(let error): return failure("could not start /bin/sh: \(error)")
        }
        FileDescriptor.close(child.stdin)
        let output = FileDescriptor.readToEnd(child.stdout, limit: Self.outputLimit)
        FileDescriptor.close(child.stdout)
        guard case .success(let bytes) = output else {
            child.waitOrKill(after: .zero)
            return failure("printed more than 64 KiB, or its output could not be read")
        }
        let status = child.waitForExit()
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
