import LineEditor
import Synchronization
import TnxSystem
import TelnyxRecordings
import TnxInterpreter
import TnxLanguage

/// Wires the modules together for one invocation: the client (or the sandbox), the journal,
/// the interpreter, then the script runner or the REPL. Everything it starts, it stops.
///
/// It runs on the main thread, synchronously: the REPL's line editor must own that thread,
/// and each operation runs in a Task that Ctrl-C can cancel (see `Operation`).
enum Session {
    static func run(_ command: TnxCommand, signals: StopSignalWatcher) -> Int32 {
        let environment = Executable.environment

        // What to run. Reading the scripts first means a missing file fails before anything
        // else starts.
        let sources: [ScriptSource]
        switch ScriptSource.load(command, standardInputIsTerminal: FileDescriptor.isTerminal(0)) {
        case .success(let loaded): sources = loaded
        case .failure(let error):
            Messages.error(error.message)
            return RunStatus.usage.exitCode
        }
        if command.check {
            return ScriptRunner.check(
                sources, settings: command.startingSettings, colour: colourAllowed(environment) && FileDescriptor.isTerminal(2))
        }

        let connection: Connection
        switch runBlocking({ await Connection.open(command, environment: environment) }) {
        case .success(let opened): connection = opened
        case .failure(let error):
            Messages.error(error.message)
            return RunStatus.usage.exitCode
        }
        defer { runBlocking { await connection.close() } }

        let client = connection.client
        // The sandbox keeps a journal of its own: ids tried there must never be skipped by a
        // later --resume against the real API (and --resume trusts only lines of its base URL).
        let defaultJournal = Journal.defaultPath(environment: environment, name: command.sandbox ? "sandbox-journal.jsonl" : "journal.jsonl")
        let journal: Journal? = command.noJournal ? nil : Journal(path: command.journal ?? defaultJournal, baseURL: client.baseURL)
        var interpreterEnvironment = InterpreterEnvironment(
            client: client, stdout: FileOutput.standardOutput, stderr: FileOutput.standardError, journal: journal,
            connection: {
                ConnectionInfo(baseURL: client.baseURL, hasAPIKey: client.hasAPIKey, keySource: connection.keySource.withLock { $0 })
            })
        // A purge by query keeps its snapshot beside the journal; without one, where it would be.
        if journal == nil { interpreterEnvironment.snapshotDirectory = Directories.containing(defaultJournal) + "/snapshots" }
        interpreterEnvironment.quiet = command.quiet
        interpreterEnvironment.colourAllowed = colourAllowed(environment)

        if sources.isEmpty {
            return REPL.run(
                command: command, environment: interpreterEnvironment, connection: connection, processEnvironment: environment,
                signals: signals)
        }
        let interpreter = Interpreter(settings: command.startingSettings, environment: interpreterEnvironment)
        return ScriptRunner.run(sources, interpreter: interpreter, signals: signals)
    }

    static func colourAllowed(_ environment: [String: String]) -> Bool {
        environment["NO_COLOR"].map(\.isEmpty) ?? true
    }

    /// Ctrl-C during an operation, whose echo the terminal does not show then (see
    /// `TerminalState.withoutControlEcho`): a `^C` line of its own, written whole between the
    /// lines of output.
    static let endLineAfterInterrupt: @Sendable (Int32) -> Void = { signal in
        if signal == StopSignals.interrupt, FileOutput.standardOutput.isTerminal { FileOutput.standardOutput.write("^C\n") }
    }
}

/// The client and, with `--sandbox`, the sandbox it talks to.
final class Connection: Sendable {
    let client: RecordingsClient
    let sandbox: SandboxProcess?
    /// Where the key came from, for `show settings`; the REPL's `set api-key` changes it.
    let keySource: Mutex<String?>

    private init(client: RecordingsClient, sandbox: SandboxProcess?, keySource: String?) {
        self.client = client
        self.sandbox = sandbox
        self.keySource = Mutex(keySource)
    }

    struct Failure: Error {
        var message: String
    }

    static func open(_ command: TnxCommand, environment: [String: String]) async -> Result<Connection, Failure> {
        do {
            var sandbox: SandboxProcess?
            var configuration: ClientConfiguration
            let keySource: String?
            if command.sandbox {
                switch SandboxProcess.start(seed: command.seed, latencyMs: command.latencyMs) {
                case .success(let started): sandbox = started
                case .failure(let failure): return .failure(Failure(message: failure.message))
                }
                do {
                    configuration = try ClientConfiguration(apiKey: sandbox!.apiKey, baseURL: sandbox!.baseURL)
                } catch {
                    sandbox?.stop()
                    throw error
                }
                keySource = "the sandbox's key"
            } else {
                configuration = try ClientConfiguration.fromEnvironment(environment, apiKey: command.apiKey, baseURL: command.baseURL)
                keySource = command.apiKey != nil ? "--api-key" : (configuration.apiKey != nil ? "TELNYX_API_KEY" : nil)
            }
            // The pool must never cap a bulk run, and `set concurrency` can raise the number of
            // requests in flight to 256 mid-script. Connections are opened on demand only.
            configuration.maximumConnections = 256
            // --dry-run is final: the client itself refuses to send a delete.
            configuration.deletesAllowed = !command.dryRun
            if let wait = command.maxServerWaitMs {
                configuration.retryPolicy.maxServerDelay = .milliseconds(wait)
            }
            let client = RecordingsClient(configuration: configuration)
            return .success(Connection(client: client, sandbox: sandbox, keySource: keySource))
        } catch {
            return .failure(Failure(message: "\(error)"))
        }
    }

    func close() async {
        try? await client.shutdown()
        sandbox?.stop()
    }
}
