import ArgumentParser
import TnxInterpreter
import TnxLanguage
import TnxSystem

/// The command line: options are declared once, with their help, and become the starting
/// values of the settings a script can change with `set`.
struct TnxCommand: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "tnx",
        abstract: "Delete Telnyx call recordings, safely: a shell and a tiny scripting language.",
        usage: """
            tnx [options] [SCRIPT.tnx ...]     run script files in order
            tnx [options] -c 'TEXT'            run TEXT as a script
            tnx [options] < script.tnx         read the script from stdin
            tnx [options]                      the interactive shell (stdin is a terminal)
            tnx --check SCRIPT.tnx ...         parse and validate only
            """,
        discussion: """
            Examples:
              tnx --sandbox -c 'delete 3fa85f64-5717-4562-b3fc-2c963f66afa6'
              tnx --dry-run cleanup.tnx        see exactly what would be deleted
              tnx --yes cleanup.tnx            delete for real, no question asked
              tnx -D caller=+12125551940 --dry-run erase.tnx    $caller in erase.tnx is that number
              jq -r '.data[].id' export.json | tnx --yes -c 'foreach id in - delete $id'

            Environment: TELNYX_API_KEY (the API key), TELNYX_BASE_URL (default https://api.telnyx.com/v2), TNX_PROFILE, HTTPS_PROXY, HTTP_PROXY, NO_PROXY, NO_COLOR, XDG_CONFIG_HOME (init.tnx and profiles/ live in $XDG_CONFIG_HOME/tnx/), XDG_STATE_HOME (the journal and the history live in $XDG_STATE_HOME/tnx/).

            Exit codes: 0 all done; 1 some deletes failed; 2 usage or syntax error, journal or base URL unusable, or refused by the safety gate; 3 authentication failed or no key; 4 \(Help.journalBusyMeaning); 130, 143, 129 stopped by Ctrl-C, SIGTERM, SIGHUP.

            Inside tnx, `help` lists the statements and settings.
            """,
        version: "tnx \(version)"
    )

    @Argument(
        help: ArgumentHelp("Script files to run in order ('-' for stdin).", valueName: "SCRIPT"),
        completion: .file(extensions: ["tnx"]))
    var scripts: [String] = []

    @Option(name: .customShort("c"), help: ArgumentHelp("Run TEXT as a script.", valueName: "TEXT"))
    var command: String?

    /// The help of `-D`, as README.md and docs/language.md say it, word for word (a test
    /// compares them).
    static let parameterHelp =
        "Make $NAME mean VALUE in the scripts (and the shell), wherever a value goes: an id, a file, a directory, a query's value or time, a setting's value; checked like the same text written there, before anything runs. Repeatable."

    @Option(
        name: [.customShort("D"), .customLong("set")],
        help: ArgumentHelp(TnxCommand.parameterHelp, valueName: "NAME=VALUE"))
    var parameters: [String] = []

    @Flag(help: "Parse and validate the scripts without running anything or touching the network.")
    var check = false

    @Flag(name: [.customShort("n"), .long], help: "Show every request that would be sent; delete nothing. Nothing in a script can turn it off.")
    var dryRun = false

    @Flag(name: [.short, .long], help: "Delete more than one recording without asking. Same as 'set confirm off'.")
    var yes = false

    @Option(name: [.short, .long], help: ArgumentHelp("text for people, json for one JSON object per line.", valueName: "text|json"))
    var output: OutputFormat?

    /// The numbers `--concurrency` takes: those of `set concurrency`, from the one table.
    static let concurrencyRange = Language.setting(.concurrency).values.range!

    @Option(
        help: ArgumentHelp(
            "Delete requests in flight during a foreach (\(TnxCommand.concurrencyRange.lowerBound) to \(TnxCommand.concurrencyRange.upperBound), default \(Language.setting(.concurrency).defaultValue)).",
            valueName: "N"))
    var concurrency: Int?

    @Option(help: ArgumentHelp("How a purge by query deletes: single, or batch (verified by listing again). Same as 'set method'.", valueName: "single|batch"))
    var method: DeleteMethod?

    @Option(
        help: ArgumentHelp(
            "What a batch purge reads back of the ids its listing says are gone: sample (a random \(Language.setting(.verifySample).defaultValue)) or all (one GET each). Same as 'set verify'.",
            valueName: "sample|all"))
    var verify: VerifyLevel?

    @Option(
        help: ArgumentHelp("Where to append the journal (default $XDG_STATE_HOME/tnx/journal.jsonl).", valueName: "PATH"),
        completion: .file())
    var journal: String?

    @Flag(help: "Keep no journal (and so no --resume).")
    var noJournal = false

    @Flag(help: "Skip ids that the journal says are already deleted or not found.")
    var resume = false

    /// The longest `--wait-lock` (a day).
    static let waitLockRange = 0...86_400

    @Option(
        help: ArgumentHelp(
            "When another tnx is using the journal, wait up to SECONDS for it (\(TnxCommand.waitLockRange.lowerBound) to \(TnxCommand.waitLockRange.upperBound)) instead of stopping with exit status 4.",
            valueName: "SECONDS"))
    var waitLock: Int?

    @Option(help: ArgumentHelp("The API key (prefer TELNYX_API_KEY: options show up in `ps`).", valueName: "KEY"))
    var apiKey: String?

    @Option(help: ArgumentHelp("The API's base URL (default $TELNYX_BASE_URL or https://api.telnyx.com/v2).", valueName: "URL"))
    var baseURL: String?

    @Flag(help: "Run against a local sandbox of the API with seeded recordings: safe to try anything.")
    var sandbox = false

    @Flag(name: [.short, .long], help: "No progress line on stderr.")
    var quiet = false

    @Option(
        help: ArgumentHelp(
            "Run $XDG_CONFIG_HOME/tnx/profiles/NAME.tnx after init.tnx: its settings, base URL and api-key-command (default $TNX_PROFILE).",
            valueName: "NAME"),
        completion: .custom { _, _, _ in Startup.profileNames(environment: Executable.environment) })
    var profile: String?

    @Flag(help: "Do not run $XDG_CONFIG_HOME/tnx/init.tnx (a profile named with --profile still runs).")
    var noInit = false

    @Flag(
        name: [.short, .long],
        help: "One line on stderr per HTTP exchange: method, URL, status, time, attempt, request id, rate-limit headers (the key shown as Bearer ***).")
    var verbose = false

    /// Prints the man page's EXIT STATUS list (mdoc) for `scripts/install`, and exits.
    @Flag(help: .hidden)
    var manualExitStatus = false

    @Option(help: .hidden)
    var latencyMs: Int = 0

    @Option(help: .hidden)
    var seed: Int = 1000

    /// How long an api-key-command may take (default 60 s, 10 min on a terminal): tests of a
    /// command that hangs shorten it.
    @Option(help: .hidden)
    var keyCommandTimeoutMs: Int?

    /// The longest wait a server's hint may impose (default 60 s): tests of hostile servers
    /// shorten it.
    @Option(help: .hidden)
    var maxServerWaitMs: Int?

    func validate() throws {
        if let concurrency, !Self.concurrencyRange.contains(concurrency) {
            throw ValidationError(
                "--concurrency must be a whole number from \(Self.concurrencyRange.lowerBound) to \(Self.concurrencyRange.upperBound), not \(concurrency)")
        }
        if let waitLock, !Self.waitLockRange.contains(waitLock) {
            throw ValidationError(
                "--wait-lock must be a whole number of seconds from \(Self.waitLockRange.lowerBound) to \(Self.waitLockRange.upperBound), not \(waitLock)")
        }
        if command != nil && !scripts.isEmpty {
            throw ValidationError("give either -c TEXT or script files, not both")
        }
        if noJournal && (journal != nil || resume) {
            throw ValidationError("--no-journal cannot be combined with --journal or --resume")
        }
        if sandbox && (baseURL != nil || apiKey != nil) {
            throw ValidationError("--sandbox chooses its own base URL and key; drop --base-url and --api-key")
        }
        do {
            _ = try scriptParameters(directory: "/")
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// The `-D NAME=VALUE` definitions; a relative path among their values starts from
    /// `directory` (the current one).
    func scriptParameters(directory: String) throws(ParameterError) -> ScriptParameters {
        try ScriptParameters(definitions: parameters, directory: directory)
    }

    /// The settings a script starts with: the startup files' (`base`), then the options.
    func startingSettings(from base: Settings = Settings()) -> Settings {
        var settings = base
        settings.dryRunLocked = dryRun
        if yes { settings.confirm = false }
        if resume { settings.resume = true }
        if let output { settings.output = output }
        if let concurrency { settings.concurrency = concurrency }
        if let method { settings.method = method }
        if let verify { settings.verify = verify }
        return settings
    }
}

extension OutputFormat: ExpressibleByArgument {}
extension DeleteMethod: ExpressibleByArgument {}
extension VerifyLevel: ExpressibleByArgument {}
