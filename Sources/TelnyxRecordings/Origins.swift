/// Where the API key came from. Every message that tells the user what to check about the
/// key — refused by the API (401), not usable, or missing — is worded here, from this: it names
/// the place the key really came from (`--api-key`, a profile's `api-key-command`, …), never a
/// guess, and never the key.
public enum KeyOrigin: Sendable, Hashable {
    /// `TELNYX_API_KEY`.
    case environment
    /// `--api-key`.
    case option
    /// `set api-key-command` in a startup file: in the profile `profile`, or in init.tnx when
    /// nil; `place` is the file and line of the `set` (`…/profiles/prod.tnx:2`).
    case command(profile: String?, place: String)
    /// Typed at the shell's `set api-key`.
    case entered
    /// The sandbox's own key (`--sandbox`).
    case sandbox

    /// What `show settings` and the shell's banner say: `TELNYX_API_KEY`, `--api-key`,
    /// `api-key-command of profile prod (…/prod.tnx:2)`, `entered in this session`. The
    /// messages of the command itself start with it too ("the api-key-command of … exited").
    public var name: String {
        switch self {
        case .environment: ClientConfiguration.apiKeyVariable
        case .option: "--api-key"
        case .command(let profile?, let place): "api-key-command of profile \(profile) (\(place))"
        case .command(nil, let place): "api-key-command of init.tnx (\(place))"
        case .entered: "entered in this session"
        case .sandbox: "the sandbox's key"
        }
    }

    /// What to check when the key is refused or unusable: `check TELNYX_API_KEY`, `check the
    /// profile's api-key-command (profile prod, …/prod.tnx:2)`.
    public var check: String {
        switch self {
        case .environment: "check \(ClientConfiguration.apiKeyVariable)"
        case .option: "check --api-key"
        case .command(let profile?, let place): "check the profile's api-key-command (profile \(profile), \(place))"
        case .command(nil, let place): "check init.tnx's api-key-command (\(place))"
        case .entered: "check the key entered with 'set api-key', and enter it again"
        case .sandbox: "the sandbox refused its own key (a fault set on purpose?)"
        }
    }

    /// `origin.check`; for a key of unknown origin (a client made by hand), every place a
    /// key can come from.
    public static func check(_ origin: KeyOrigin?) -> String {
        origin?.check ?? "check the key (\(ClientConfiguration.apiKeyVariable), --api-key or a profile's api-key-command)"
    }

    /// The end of a 401's message: `the API key was refused; check --api-key`.
    public static func refused(_ origin: KeyOrigin?) -> String {
        "the API key was refused; " + check(origin)
    }

    /// Why a run stops on a 401 (`show last`, the summary).
    public static func refusedStop(_ origin: KeyOrigin?) -> String {
        "the API refused the key (401); " + check(origin)
    }

    /// No key at all, when one is needed: every way to give one. `shell`: the shell's words
    /// (`set api-key` first).
    public static func missing(shell: Bool = false) -> String {
        if shell {
            return "no API key: type 'set api-key' to enter one (or start tnx with \(ClientConfiguration.apiKeyVariable) set, or with a profile whose api-key-command gives it: tnx --profile NAME); nothing was sent"
        }
        return "no API key: set \(ClientConfiguration.apiKeyVariable) (export \(ClientConfiguration.apiKeyVariable)=KEY…), pass --api-key, or use a profile whose api-key-command gives it (tnx --profile NAME); nothing was sent"
    }

    /// `show settings` without a key: the short form of `missing`.
    public static let missingShort =
        "not set: export \(ClientConfiguration.apiKeyVariable)=…, --api-key, a profile's api-key-command (tnx --profile NAME), or 'set api-key' in the shell"
}

/// Where the base URL came from: what a message about a base URL that cannot be reached or is
/// not the API names, so that the user fixes the right one. Worded here, from this.
public enum URLOrigin: Sendable, Hashable {
    /// Nothing set it: `https://api.telnyx.com/v2`.
    case standard
    /// `TELNYX_BASE_URL`.
    case environment
    /// `--base-url`.
    case option
    /// `set base-url` in a startup file: the profile `profile`, or init.tnx when nil; `place`
    /// is the file and line.
    case startup(profile: String?, place: String)
    /// `--sandbox`.
    case sandbox

    /// What `show settings` puts after the URL; nil for the default.
    public var shown: String? {
        switch self {
        case .standard: nil
        case .environment: ClientConfiguration.baseURLVariable
        case .option: "--base-url"
        case .startup(let profile?, let place): "profile \(profile) (\(place))"
        case .startup(nil, let place): "init.tnx (\(place))"
        case .sandbox: "--sandbox"
        }
    }

    /// The URL with where it came from, as a message names it: `--base-url (http://…/v2)`,
    /// `TELNYX_BASE_URL (https://…)`, `the profile's base-url (profile prod, …/prod.tnx:1:
    /// https://…)`, `the default base URL (https://api.telnyx.com/v2)`.
    public func named(_ url: String) -> String {
        switch self {
        case .standard: "the default base URL (\(url))"
        case .environment: "\(ClientConfiguration.baseURLVariable) (\(url))"
        case .option: "--base-url (\(url))"
        case .startup(let profile?, let place): "the profile's base-url (profile \(profile), \(place): \(url))"
        case .startup(nil, let place): "init.tnx's base-url (\(place): \(url))"
        case .sandbox: "the sandbox's base URL (\(url))"
        }
    }

    /// What to check when the base URL cannot be reached: `check --base-url (http://…) and the
    /// network`; for the default, the network alone.
    public func checkReachable(_ url: String) -> String {
        switch self {
        case .standard: "check the network (the base URL is the default, \(url))"
        default: "check \(named(url)) and the network"
        }
    }

    /// What to check when what answers is not the API: `check --base-url (http://…)`.
    public func checkIsTheAPI(_ url: String) -> String {
        "check \(named(url))"
    }
}

/// Where a request's key and base URL came from: what the messages about its answer (a 401,
/// a redirect, a body that is not the API's) and about a failure to reach it tell to check.
struct RequestOrigins: Sendable {
    var key: KeyOrigin?
    var url: URLOrigin
    var baseURL: String

    init(key: KeyOrigin? = nil, url: URLOrigin = .standard, baseURL: String = ClientConfiguration.defaultBaseURL) {
        self.key = key
        self.url = url
        self.baseURL = baseURL
    }
}
