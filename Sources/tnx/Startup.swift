import TelnyxRecordings
import TnxInterpreter
import TnxLanguage
import TerminalText
import TnxSystem

/// The startup files, in tnx's own language, like `.psqlrc`: `$XDG_CONFIG_HOME/tnx/init.tnx`
/// (`~/.config/tnx/init.tnx` without it), then with `--profile NAME` or `TNX_PROFILE` the
/// profile `profiles/NAME.tnx` beside it. Each holds `set` statements only, checked like any
/// script before anything runs.
///
/// What they set, and where each value wins (the more specific source first):
/// - a setting such as `output`: the command line's option, then the profile, then init.tnx;
/// - the base URL: `--base-url`, then the profile's `base-url`, then `TELNYX_BASE_URL`, then
///   init.tnx's;
/// - the key: `--api-key`, then the profile's `api-key-command`, then `TELNYX_API_KEY`, then
///   init.tnx's `api-key-command`.
/// A profile is named for this run, so it wins over the environment; the environment wins
/// over init.tnx, which holds defaults for every run.
struct Startup {
    /// The settings the files set, before the command line's options.
    var settings = Settings()
    var profile: String?
    var baseURL: Value?
    var keyCommand: Value?
    /// A value of `base-url` or `api-key-command`, with the file and line that set it (`place`)
    /// and whether the profile did (it then wins over the environment).
    struct Value {
        var text: String
        var place: String
        var fromProfile: Bool
        /// The profile's name, when the profile set it.
        var profile: String?

        /// Where a key its command gives comes from, for messages.
        var keyOrigin: KeyOrigin { .command(profile: fromProfile ? profile ?? "" : nil, place: place) }
        /// Where the base URL comes from, for messages.
        var urlOrigin: URLOrigin { .startup(profile: fromProfile ? profile ?? "" : nil, place: place) }
    }

    /// The profile, when it sets the base URL or the key command: it then owns the connection.
    var connectionOwner: String? {
        guard baseURL?.fromProfile == true || keyCommand?.fromProfile == true, let profile else { return nil }
        return "profile \(profile)"
    }

    struct LoadError: Error {
        var message: String
        /// The file's diagnostics, rendered (and sanitised) by `DiagnosticPrinter`.
        var diagnostics = ""
    }

    static let profileVariable = "TNX_PROFILE"

    /// `$XDG_CONFIG_HOME/tnx` (absolute values only, as the XDG spec says) or `~/.config/tnx`,
    /// with `~` from `HOME` or else the password database; nil when there is no home at all
    /// (never the current directory: a file another user left in /tmp must not run).
    static func directory(environment: [String: String]) -> String? {
        if let config = environment["XDG_CONFIG_HOME"], config.hasPrefix("/") { return config + "/tnx" }
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.config/tnx" }
        return Directories.userHome.map { $0 + "/.config/tnx" }
    }

    /// Where the directories that must be trusted end: the home directory when the tnx
    /// directory is under it (whoever may write to `~` or `~/.config` may replace `tnx/`), else
    /// the directory that holds it (`$XDG_CONFIG_HOME` elsewhere).
    static func trustRoot(of directory: String, environment: [String: String]) -> String {
        var home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? Directories.userHome ?? "/"
        while home.count > 1, home.hasSuffix("/") { home.removeLast() }
        if home == "/" || directory.hasPrefix(home + "/") { return home }
        return Directories.containing(directory)
    }

    /// Why `path` (a startup file) or a directory above it, up to `root`, must not run; nil
    /// when it may.
    static func untrusted(_ path: String, upTo root: String) -> String? {
        var place = path
        while true {
            if let problem = Directories.notTrusted(place) { return "\(place): \(problem)" }
            if place == root || place == "/" || !place.hasPrefix(root == "/" ? "/" : root + "/") { return nil }
            place = Directories.containing(place)
        }
    }

    /// Reads and checks the files. A missing init.tnx is fine; a missing profile that was asked
    /// for is an error, as is any diagnostic in either file.
    static func load(_ command: TnxCommand, environment: [String: String], colour: Bool) -> Result<Startup, LoadError> {
        var startup = Startup()
        let named = command.profile ?? environment[profileVariable].flatMap { $0.isEmpty ? nil : $0 }
        guard let directory = directory(environment: environment) else {
            if named != nil { return .failure(LoadError(message: "no home directory (HOME is not set), so no profiles: set HOME or XDG_CONFIG_HOME")) }
            return .success(startup)
        }
        if !command.noInit {
            let path = directory + "/init.tnx"
            switch FileDescriptor.readFile(path, limit: 1 << 20) {
            case .success(let bytes):
                if let problem = untrusted(path, upTo: trustRoot(of: directory, environment: environment)) {
                    return .failure(LoadError(message: "refusing to run the startup file \(problem); it can set the command that gives your API key. Fix it (chmod go-w), or run with --no-init"))
                }
                if let error = startup.apply(SourceFile(name: path, bytes: bytes), profile: false, colour: colour) { return .failure(error) }
            case .failure(.system(let error)) where error.isNoSuchFile:
                break
            case .failure(let error):
                return .failure(LoadError(message: "cannot read the startup file \(path): \(error); fix it, or run with --no-init"))
            }
        }
        if let name = named {
            let source = command.profile != nil ? "--profile" : profileVariable
            guard isValidName(name) else {
                return .failure(LoadError(message: "\(source) \(TerminalText.quoted(name)) is not a profile name: use letters, digits, '.', '_' and '-' (the file is profiles/NAME.tnx)"))
            }
            let path = directory + "/profiles/\(name).tnx"
            switch FileDescriptor.readFile(path, limit: 1 << 20) {
            case .success(let bytes):
                if let problem = untrusted(path, upTo: trustRoot(of: directory, environment: environment)) {
                    return .failure(LoadError(message: "refusing to run the profile '\(name)': \(problem); it can set the command that gives your API key. Fix it (chmod go-w)"))
                }
                startup.profile = name
                if let error = startup.apply(SourceFile(name: path, bytes: bytes), profile: true, colour: colour) { return .failure(error) }
            case .failure(let error):
                let known = profileNames(environment: environment)
                let list = known.isEmpty ? "there are none yet" : "there are: " + known.joined(separator: ", ")
                return .failure(LoadError(message: "no profile '\(name)' (from \(source)): cannot read \(path): \(error); \(list)"))
            }
        }
        return .success(startup)
    }

    /// Applies one file's assignments, or returns its rendered diagnostics.
    private mutating func apply(_ file: SourceFile, profile: Bool, colour: Bool) -> LoadError? {
        switch StartupFile.read(file) {
        case .failure(let problems):
            let rendered = DiagnosticPrinter.render(problems.diagnostics, source: file, colour: colour)
            return LoadError(
                message: "the startup file \(file.name) has errors: fix them, or run \(profile ? "without the profile" : "with --no-init")",
                diagnostics: rendered)
        case .success(let assignments):
            for set in assignments {
                switch set.assignment {
                case .baseURL(let url):
                    // Checked here, so that the error names the file and line.
                    do {
                        _ = try ClientConfiguration(baseURL: url)
                    } catch {
                        return LoadError(message: "\(set.place): \(error.message); fix the startup file, or run \(profile ? "without the profile" : "with --no-init")")
                    }
                    baseURL = Value(text: url, place: set.place, fromProfile: profile, profile: profile ? self.profile : nil)
                case .apiKeyCommand(let text):
                    keyCommand = Value(text: text, place: set.place, fromProfile: profile, profile: profile ? self.profile : nil)
                default: settings.apply(set.assignment)
                }
            }
            return nil
        }
    }

    /// Profile names: letters, digits, `.`, `_`, `-`, not starting with a dot.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) }
    }

    /// The profiles in the profiles directory, for completion and messages.
    static func profileNames(environment: [String: String]) -> [String] {
        guard let directory = directory(environment: environment) else { return [] }
        return Directories.entries(of: directory + "/profiles")
            .filter { !$0.isDirectory && $0.name.hasSuffix(".tnx") }
            .map { String($0.name.dropLast(4)) }
            .filter(isValidName)
            .sorted()
    }
}
