import TelnyxRecordings
import TnxInterpreter
import TnxLanguage

/// `tnx --experimental-dump-help`: swift-argument-parser's description of the command line,
/// which its `generate-manual` tool turns into the man page (`scripts/install`). Two changes
/// make it the man page's:
///
/// - its discussion gains what `--help` leaves to `help` inside tnx: the language summary
///   (`Help.text`, the same text as the shell's `help`), the files and the environment;
/// - swift-argument-parser 1.8.2 adds a `help` subcommand to that description of every command,
/// also of one without subcommands (a FIXME in its `DumpHelpGenerator.swift`); tnx has none
/// (`tnx help` would read a script named help), so the man page would show
/// `tnx subcommand …` and a `help` that does not exist. It is taken out here.
enum ToolInfo {
    static let dumpHelpFlag = "--experimental-dump-help"

    /// `json` for the man page; unchanged when it does not parse.
    static func forManual(_ json: String) -> String {
        guard case .object(var top)? = JSONValue.parse(Array(json.utf8)),
            let index = top.firstIndex(where: { $0.0 == "command" }),
            case .object(var command) = top[index].1
        else { return json }
        command.removeAll { field in
            guard field.0 == "subcommands", case .array(let list) = field.1 else { return false }
            return list.allSatisfy { $0["commandName"]?.string == "help" }
        }
        if let i = command.firstIndex(where: { $0.0 == "discussion" }), let text = command[i].1.string {
            command[i].1 = .string(text + "\n\n" + manualAdditions)
        }
        top[index].1 = .object(command)
        var out = ""
        write(.object(top), to: &out)
        return out
    }

    /// The man page's EXIT STATUS, in mdoc: swift-argument-parser's `generate-manual` writes
    /// only `.Ex -std` ("exits 0 on success, and >0 if an error occurs"); `scripts/install`
    /// puts this list in its place (`tnx --manual-exit-status`), from `Help.exitCodes`.
    static var manualExitStatus: String {
        var out = ".Bl -tag -width 6n\n"
        for (code, meaning) in Help.exitCodes { out += ".It \(code)\n\(meaning)\n" }
        return out + ".El\n"
    }

    /// The language, the files and the environment, as the man page's description goes on.
    static var manualAdditions: String {
        """
        THE LANGUAGE

        \(asciiPunctuation(Help.text(topic: nil) ?? ""))
        FILES
          $XDG_CONFIG_HOME/tnx/init.tnx    (~/.config/tnx/init.tnx) 'set' statements run before anything else; --no-init skips it.
          $XDG_CONFIG_HOME/tnx/profiles/NAME.tnx    A profile, run after init.tnx with --profile NAME or TNX_PROFILE=NAME: the settings, base-url and api-key-command of one account.
          $XDG_STATE_HOME/tnx/journal.jsonl    (~/.local/state/tnx/journal.jsonl) The journal: one JSON line per outcome; --resume reads it. sandbox-journal.jsonl with --sandbox.
          $XDG_STATE_HOME/tnx/snapshots/    One file per purge by query: exactly what it meant to delete.
          $XDG_STATE_HOME/tnx/history    The shell's history (never a line that holds a key).

        ENVIRONMENT
          TELNYX_API_KEY    The API key (--api-key and a profile's api-key-command win over it; it wins over init.tnx's).
          TELNYX_BASE_URL    The API's base URL, default https://api.telnyx.com/v2 (--base-url and a profile's base-url win over it).
          TNX_PROFILE    The profile to run when --profile is not given.
          https_proxy, HTTPS_PROXY, http_proxy, HTTP_PROXY    An HTTP proxy, http://[USER:PASSWORD@]HOST[:PORT], for https:// and http:// requests (the lowercase name wins; plain http only through a proxy on loopback); its credentials are never printed. Not used by --sandbox.
          no_proxy, NO_PROXY    Hosts reached direct: names (with their subdomains), .domains, IP addresses, IPv4 ranges (10.0.0.0/8), each with an optional :PORT, or *.
          XDG_CONFIG_HOME, XDG_STATE_HOME, HOME    Where the files above are.
          NO_COLOR    No colour, even on a terminal.
        """
    }

    /// `…` and `→` as `...` and `->`: groff, as man-db runs it, drops them from the page.
    static func asciiPunctuation(_ text: String) -> String {
        text.replacing("…", with: "...").replacing("→", with: "->")
    }

    private static func write(_ value: JSONValue, to out: inout String) {
        switch value {
        case .object(let fields):
            out += "{"
            for (i, (key, field)) in fields.enumerated() {
                if i > 0 { out += "," }
                out += JSONString.quoted(key)
                out += ":"
                write(field, to: &out)
            }
            out += "}"
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                write(item, to: &out)
            }
            out += "]"
        case .string(let text): out += JSONString.quoted(text)
        case .number(let text): out += text
        case .bool(let flag): out += flag ? "true" : "false"
        case .null: out += "null"
        }
    }
}
