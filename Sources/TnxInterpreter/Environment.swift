import TelnyxRecordings
import TnxLanguage

/// Everything the interpreter talks to, handed in by the executable (or a test). The
/// interpreter never reaches for globals: the client, the terminal and the journal all
/// come through here.
public struct InterpreterEnvironment: Sendable {
    public var client: any RecordingsAPI
    public var stdout: any OutputSink
    public var stderr: any OutputSink
    /// nil with `--no-journal`.
    public var journal: Journal?
    /// Where a purge by query keeps its snapshot; nil: `snapshots/` beside the journal.
    public var snapshotDirectory: String?
    /// `--quiet`: no progress line.
    public var quiet = false
    /// `--quiet` too: stdout holds the summaries, not a line per id (failures are said on
    /// stderr whatever this says).
    public var summariesOnly = false
    /// Colour is allowed at all (`NO_COLOR` unset); each stream still needs a terminal.
    public var colourAllowed = true
    /// What `show settings` and the REPL banner say about the connection.
    public var connection: @Sendable () -> ConnectionInfo
    /// The REPL's `Delete 5,000 recordings? [y/N]`. nil in scripts: they refuse instead.
    public var askConfirmation: (@Sendable (String) async -> Bool)?
    /// The shell's `set api-key`: asks for the key without echo and hands it to the client.
    public var enterAPIKey: (@Sendable () async -> APIKeyEntry)?
    /// Told when a bulk run's loop has ended (true: its summary and the journal's flush follow)
    /// and when the next starts (false): the executable then lets no stop signal exit at once.
    public var finishing: @Sendable (Bool) -> Void = { _ in }
    /// The command line's `-D NAME=VALUE`, for the shell's entries and `run FILE` (a script's
    /// come with its `Interpreter.Input`).
    public var parameters = ScriptParameters()
    /// `--wait-lock SECONDS`: how long a run that will write the journal waits for another tnx
    /// that holds it; zero: not at all (it stops, exit 4).
    public var journalLockWait: Duration = .zero
    /// Opens stdin for `foreach id in -`.
    public var standardInputDescriptor: Int32 = 0
    /// What to do when a real delete is due and no key is set: the shell says `set api-key`,
    /// a script says TELNYX_API_KEY, --api-key and profiles (`KeyOrigin.missing`).
    public var noKeyAdvice = KeyOrigin.missing()
    /// How to go on after an interrupted run: `--resume` for a script, `set resume on` in the
    /// shell.
    public var resumeAdvice = "run again with --resume to go on"

    public init(
        client: any RecordingsAPI, stdout: any OutputSink, stderr: any OutputSink, journal: Journal?,
        connection: @escaping @Sendable () -> ConnectionInfo
    ) {
        self.client = client
        self.stdout = stdout
        self.stderr = stderr
        self.journal = journal
        self.connection = connection
    }
}

/// What `set api-key` did.
public enum APIKeyEntry: Sendable {
    case set
    /// Nothing was entered.
    case unchanged
    /// The key was refused (not printable ASCII); the reason never quotes it.
    case refused(String)
}

/// What the user should know about where requests go.
public struct ConnectionInfo: Sendable {
    public var baseURL: String
    public var hasAPIKey: Bool
    /// Where the key came from: `TELNYX_API_KEY`, `--api-key`, `the sandbox`, `entered`.
    public var keySource: String?
    /// Where the base URL came from, when not the default: `--base-url`, `profile prod`.
    public var baseURLSource: String?
    /// The profile this run started with (`--profile`, `TNX_PROFILE`), if any.
    public var profile: String?

    public init(baseURL: String, hasAPIKey: Bool, keySource: String? = nil, baseURLSource: String? = nil, profile: String? = nil) {
        self.baseURL = baseURL
        self.hasAPIKey = hasAPIKey
        self.keySource = keySource
        self.baseURLSource = baseURLSource
        self.profile = profile
    }
}

/// How a statement, an entry or a whole script ended, and so the exit code.
public enum RunStatus: Int32, Sendable, Comparable {
    case success = 0
    /// Some deletes failed.
    case failures = 1
    /// Usage or syntax error, or refused by the safety gate.
    case usage = 2
    /// Authentication failed: a bad key will not get better.
    case unauthorized = 3
    /// Another tnx holds the journal's lock (and `--wait-lock` did not wait long enough):
    /// nothing was sent.
    case journalBusy = 4
    /// Ctrl-C, SIGTERM or SIGHUP: the exit code is 128 + the signal (130, 143, 129), which
    /// the executable knows; 130 here.
    case interrupted = 130

    public var exitCode: Int32 { rawValue }

    /// Which of two statuses a script reports: the more serious one.
    public static func < (lhs: RunStatus, rhs: RunStatus) -> Bool { lhs.severity < rhs.severity }

    private var severity: Int {
        switch self {
        case .success: 0
        case .failures: 1
        case .usage: 2
        case .unauthorized: 3
        case .journalBusy: 4
        case .interrupted: 5
        }
    }
}

extension RunStatus {
    /// The status a failed request ends its statement with.
    init(failed error: RecordingsError) {
        switch error.kind {
        case .unauthorized: self = .unauthorized
        case .interrupted: self = .interrupted
        default: self = .failures
        }
    }
}
