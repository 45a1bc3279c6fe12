import TnxLanguage

/// The values `set` changes. Command-line options give the starting values; a script or a
/// REPL session changes them statement by statement.
public struct Settings: Sendable, Hashable {
    public var dryRun = false
    public var concurrency = 16
    public var output: OutputFormat = .text
    public var onError: ErrorPolicy = .stop
    /// Ask (REPL) or refuse (script) before deleting more than one recording.
    public var confirm = true
    /// `--dry-run`: dry-run is on for the whole invocation, and `set dry-run off` cannot turn
    /// it off (the checker refuses it; `apply` ignores it as a second line of defence).
    public var dryRunLocked = false {
        didSet { if dryRunLocked { dryRun = true } }
    }

    /// Skip ids the journal says are done (`--resume`, `set resume on`).
    public var resume = false
    /// Which media file `download` saves.
    public var format: MediaFormat = .mp3
    /// A downloaded copy must play as long as the recording says (`set verify-duration`).
    public var verifyDuration = true
    /// How a purge by query deletes, and how many ids a batch request carries.
    public var method: DeleteMethod = .single
    public var batchSize = 1000
    /// What a batch purge reads back of the ids its listing says are gone, and how many for a
    /// sample.
    public var verify: VerifyLevel = .sample
    public var verifySample = 300
    /// How long a real purge keeps the snapshots in its snapshot directory.
    public var keepSnapshots: SnapshotRetention = .age(seconds: 30 * 86_400, text: "30d")

    public init() {}

    public mutating func apply(_ assignment: SettingAssignment) {
        switch assignment {
        case .dryRun(let on): dryRun = on || dryRunLocked
        case .concurrency(let n): concurrency = n
        case .output(let format): output = format
        case .onError(let policy): onError = policy
        case .confirm(let on): confirm = on
        case .resume(let on): resume = on
        case .format(let f): format = f
        case .verifyDuration(let on): verifyDuration = on
        case .method(let m): method = m
        case .batchSize(let n): batchSize = n
        case .verify(let level): verify = level
        case .verifySample(let n): verifySample = n
        case .keepSnapshots(let retention): keepSnapshots = retention
        case .apiKey: break  // handled by the interpreter: it needs the terminal
        // Startup files only, read before the client opens (the planner refuses them elsewhere).
        case .baseURL, .apiKeyCommand: break
        }
    }

    /// The value of a setting as `show settings` and `set` spell it.
    public func value(of key: SettingKey) -> String {
        switch key {
        case .dryRun: dryRun ? "on" : "off"
        case .concurrency: String(concurrency)
        case .output: output.rawValue
        case .onError: onError.rawValue
        case .confirm: confirm ? "on" : "off"
        case .resume: resume ? "on" : "off"
        case .format: format.rawValue
        case .verifyDuration: verifyDuration ? "on" : "off"
        case .method: method.rawValue
        case .batchSize: String(batchSize)
        case .verify: verify.rawValue
        case .verifySample: String(verifySample)
        case .keepSnapshots: keepSnapshots.text
        case .apiKey, .baseURL, .apiKeyCommand: ""
        }
    }
}
