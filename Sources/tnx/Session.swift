import LineEditor
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
        let colour = colourAllowed(environment) && FileDescriptor.isTerminal(2)
        // The startup files next: like a script, a broken one stops everything before it runs.
        let startup: Startup
        switch Startup.load(command, environment: environment, colour: colour) {
        case .success(let loaded): startup = loaded
        case .failure(let error):
            // A startup file's `set base-url` may hold a key this run was given.
            let known = KnownSecrets([environment[ClientConfiguration.apiKeyVariable], command.apiKey].compactMap { $0 })
            FileOutput.standardError.write(known.redacted(error.diagnostics))
            Messages.error(known.redacted(error.message))
            return RunStatus.usage.exitCode
        }
        let settings = command.startingSettings(from: startup.settings)
        // `validate` refused a malformed -D before anything was read.
        let parameters = (try? command.scriptParameters(directory: Directories.current)) ?? ScriptParameters(directory: Directories.current)
        // A key among them would be quoted by diagnostics and sent as an id or a filter.
        if let error = parameters.holdingSecret([environment[ClientConfiguration.apiKeyVariable], command.apiKey].compactMap { $0 }) {
            Messages.error(error.message)
            return RunStatus.usage.exitCode
        }
        if command.check {
            return ScriptRunner.check(sources, parameters: parameters, settings: settings, colour: colour)
        }

        let connection: Connection
        switch runBlocking({ await Connection.open(command, startup: startup, environment: environment) }) {
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
                ConnectionInfo(
                    baseURL: client.baseURL, hasAPIKey: client.hasAPIKey, keySource: client.keyOrigin?.name,
                    baseURLSource: client.configuration.baseURLOrigin.shown, profile: startup.profile)
            })
        // Another tnx holding the journal: stop at once (exit 4), or queue behind it.
        interpreterEnvironment.journalLockWait = .seconds(command.waitLock ?? 0)
        // A purge by query keeps its snapshot beside the journal; without one, where it would be.
        if journal == nil { interpreterEnvironment.snapshotDirectory = Directories.containing(defaultJournal) + "/snapshots" }
        // --verbose writes lines of its own on stderr, which a redrawn progress line would garble.
        interpreterEnvironment.quiet = command.quiet || command.verbose
        // A script's --quiet is for the cron line that keeps stdout in a log; the shell's
        // outcomes are what its user is looking at.
        interpreterEnvironment.summariesOnly = command.quiet && !sources.isEmpty
        interpreterEnvironment.colourAllowed = colourAllowed(environment)
        // Once a run's loop has ended, no stop signal exits before its summary and journal flush.
        interpreterEnvironment.finishing = { signals.setFinishing($0) }
        interpreterEnvironment.parameters = parameters

        if sources.isEmpty {
            return REPL.run(
                command: command, settings: settings, profile: startup.profile, environment: interpreterEnvironment, connection: connection, processEnvironment: environment,
                signals: signals)
        }
        let interpreter = Interpreter(settings: settings, environment: interpreterEnvironment)
        return ScriptRunner.run(sources, parameters: parameters, interpreter: interpreter, signals: signals)
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
    /// Every key this run has seen, so that no shell history line ever holds one.
    let secrets: KnownSecrets

    private init(client: RecordingsClient, sandbox: SandboxProcess?, secrets: KnownSecrets) {
        self.client = client
        self.sandbox = sandbox
        self.secrets = secrets
    }

    struct Failure: Error {
        var message: String
    }

    static func open(_ command: TnxCommand, startup: Startup, environment: [String: String]) async -> Result<Connection, Failure> {
        let secrets = KnownSecrets([environment[ClientConfiguration.apiKeyVariable], command.apiKey].compactMap { $0 })
        do {
            var sandbox: SandboxProcess?
            var configuration: ClientConfiguration
            if command.sandbox {
                // The sandbox chooses its own base URL and key, whatever a startup file says,
                // and is reached direct: it is on loopback, where no proxy can reach it.
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
                configuration.keyOrigin = .sandbox
                configuration.baseURLOrigin = .sandbox
            } else {
                // A profile that names the base URL or the key is one account: neither comes from
                // the environment then, or a key left exported would go to the profile's URL, or
                // the profile's key to a URL left exported (a sandbox's, a staging one).
                let owner = startup.connectionOwner
                var environment = environment
                for variable in [ClientConfiguration.apiKeyVariable, ClientConfiguration.baseURLVariable] {
                    guard let owner, let value = environment[variable], !value.isEmpty else { continue }
                    if variable == ClientConfiguration.apiKeyVariable && command.apiKey != nil { continue }
                    if variable == ClientConfiguration.baseURLVariable && command.baseURL != nil { continue }
                    Messages.warning("\(variable) is set but not used: \(owner) names its own base URL or key (a profile is one account)")
                    environment[variable] = nil
                }
                let base = Self.baseURL(command, startup: startup, environment: environment)
                configuration = try ClientConfiguration(
                    apiKey: nil, baseURL: base?.url ?? ClientConfiguration.defaultBaseURL)
                let urlOrigin = base?.origin ?? .standard
                configuration.baseURLOrigin = urlOrigin
                let environmentKey = ClientConfiguration.normalisedKey(environment[ClientConfiguration.apiKeyVariable])
                if let key = ClientConfiguration.normalisedKey(command.apiKey) {
                    configuration.apiKey = try ClientConfiguration.validatedKey(key, origin: .option)
                    configuration.keyOrigin = .option
                } else if let keyCommand = startup.keyCommand, keyCommand.fromProfile || environmentKey == nil {
                    let runner = KeyCommand(
                        command: keyCommand.text, origin: keyCommand.keyOrigin,
                        interactive: FileDescriptor.isTerminal(2), timeout: command.keyCommandTimeoutMs.map { .milliseconds($0) })
                    // The key it gives is looked for in the base URL too, before any request.
                    let deferred = runner.deferredKey(onKey: { secrets.add($0) })
                    let (url, origin) = (base?.url ?? ClientConfiguration.defaultBaseURL, urlOrigin.shown ?? "the default")
                    configuration.deferredKey = DeferredKey(
                        origin: deferred.origin,
                        resolve: {
                            let result = await deferred.resolve()
                            guard case .success(let key) = result else { return result }
                            do throws(ConfigurationError) {
                                try ClientConfiguration.refuseKeys([key], inBaseURL: url, origin: origin)
                            } catch {
                                return .failure(error)
                            }
                            return result
                        }, cancel: deferred.cancel)
                } else if let key = environmentKey {
                    configuration.apiKey = try ClientConfiguration.validatedKey(key, origin: .environment)
                    configuration.keyOrigin = .environment
                }
                configuration.proxies = try ProxyEnvironment.from(environment)
                // Every key this run knows, not only the one it uses: a profile's base URL must
                // not carry the key left in the environment either.
                try ClientConfiguration.refuseKeys(
                    secrets.all, inBaseURL: base?.url ?? ClientConfiguration.defaultBaseURL, origin: urlOrigin.shown ?? "the default")
            }
            // The pool must never cap a bulk run, and `set concurrency` can raise the number of
            // requests in flight to its largest value mid-script. Connections are opened on
            // demand only.
            configuration.maximumConnections = TnxCommand.concurrencyRange.upperBound
            // --dry-run is final: the client itself refuses to send a delete.
            configuration.deletesAllowed = !command.dryRun
            if let wait = command.maxServerWaitMs {
                configuration.retryPolicy.maxServerDelay = .milliseconds(wait)
            }
            if command.verbose { configuration.trace = { Messages.trace($0) } }
            let client = RecordingsClient(configuration: configuration)
            return .success(Connection(client: client, sandbox: sandbox, secrets: secrets))
        } catch {
            return .failure(Failure(message: secrets.redacted("\(error)")))
        }
    }

    /// The base URL and where it came from (see `Startup`), or nil for the default.
    static func baseURL(_ command: TnxCommand, startup: Startup, environment: [String: String]) -> (url: String, origin: URLOrigin)? {
        func nonEmpty(_ s: String?) -> String? { s.flatMap { $0.allSatisfy { $0 == " " || $0 == "\t" } ? nil : $0 } }
        if let url = nonEmpty(command.baseURL) { return (url, .option) }
        if let set = startup.baseURL, set.fromProfile { return (set.text, set.urlOrigin) }
        if let url = nonEmpty(environment[ClientConfiguration.baseURLVariable]) { return (url, .environment) }
        if let set = startup.baseURL { return (set.text, set.urlOrigin) }
        return nil
    }

    func close() async {
        try? await client.shutdown()
        sandbox?.stop()
    }
}
