/// The text of `help` and `help TOPIC`, generated from the `Language` table.
public enum Help {
    /// Every topic `help TOPIC` knows: the statements, `settings`, each setting, `ids`,
    /// `exit-codes` and `syntax`.
    public static var topics: [String] {
        var all = Language.keywords + ["settings"]
        for s in Language.settings where !all.contains(s.key.rawValue) { all.append(s.key.rawValue) }
        return all + ["ids", "exit-codes", "syntax"]
    }

    /// The help for `topic` (`nil`: the overview), or nil for an unknown topic; the caller then
    /// reports `unknown help topic 'x'; topics are: …` (see `unknownTopicMessage`).
    public static func text(topic: String?) -> String? {
        guard let topic else { return overview() }
        if let spec = Language.statement(topic) { return statementHelp(spec) }
        if let spec = Language.setting(topic) { return settingHelp(spec) }
        switch topic {
        case "settings": return settingsHelp()
        case "ids": return idsHelp
        case "exit-codes": return exitCodesHelp
        case "syntax": return syntaxHelp
        default: return nil
        }
    }

    /// `unknown help topic 'forech'; did you mean 'foreach'?`, else `…; topics are: delete, foreach, …`.
    public static func unknownTopicMessage(_ topic: String) -> String {
        let message = "unknown help topic \(Quote.single(topic))"
        if let guess = Suggest.closest(to: topic, in: topics) { return message + "; did you mean '\(guess)'?" }
        return message + "; topics are: " + topics.joined(separator: ", ")
    }

    static let exitCodesLine =
        "Exit codes: 0 all done; 1 some deletes failed; 2 usage or syntax error, journal or base URL unusable, or refused by the safety gate; 3 authentication failed or no key; 130, 143, 129 stopped by Ctrl-C, SIGTERM, SIGHUP."

    private static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + "  " : s + String(repeating: " ", count: width - s.count)
    }

    static func overview() -> String {
        var out = "tnx deletes Telnyx call recordings, one at a time or in bulk. Deletion is permanent:\n"
        out += "try a script with `set dry-run on` (or `tnx --dry-run`) first.\n\n"
        out += "Statements (end each with a new line or ';'; '#' starts a comment):\n"
        let width = (Language.statements.map(\.usage.count).max() ?? 0) + 3
        for s in Language.statements {
            out += "  " + pad(s.usage, width) + s.summary + "\n"
        }
        out += "\nSettings (set SETTING VALUE):\n"
        out += settingLines()
        out += "\n" + exitCodesLine + "\n\n"
        out += "More: help TOPIC, where TOPIC is one of: " + topics.joined(separator: ", ") + ".\n"
        out += "The full reference is docs/language.md.\n"
        return out
    }

    private static func settingLines() -> String {
        let rows: [(String, String)] = Language.settings.map { s in
            let syntax = s.values.syntax
            let left = syntax.isEmpty ? s.key.rawValue : s.key.rawValue + " " + syntax
            return (left, s.summary + "\n" + String(repeating: " ", count: 0) + "Default: \(s.defaultValue).")
        }
        let width = (rows.map(\.0.count).max() ?? 0) + 3
        let indent = String(repeating: " ", count: width + 2)
        return rows.map { row in
            let parts = row.1.split(separator: "\n")
            return "  " + pad(row.0, width) + parts[0] + "\n" + indent + parts[1] + "\n"
        }.joined()
    }

    private static func examples(_ list: [String]) -> String {
        guard !list.isEmpty else { return "" }
        var out = "\nExamples:\n"
        for e in list {
            out += e.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n"
        }
        return out
    }

    static func statementHelp(_ spec: StatementSpec) -> String {
        var out = "usage: \(spec.usage)\n\n\(spec.summary)\n"
        switch spec.keyword {
        case "delete":
            out += """

            ID is a recording id (a word, a "quoted string", or a loop variable such as $id).
            The id is sent as one path segment of DELETE /v2/recordings/{id}; an id that is not
            a plausible recording id is refused and never sent. A recording that is already gone
            is reported as not_found, which is not a failure.

            """
        case "foreach":
            out += """

            NAME is the loop variable (written without '$' here, used as $NAME in the body).
            FILE is a path, a "quoted path", or - for stdin; it is read as a stream, one id per
            line (see `help ids`). BODY is one statement on the same line, or a block
            '{ … }' whose '{' is on the same line. Every id read ends with exactly one outcome:
            deleted, not_found, failed, invalid, duplicate, skipped, or would_delete in a dry-run.
            Up to `concurrency` requests are in flight at once; a failed id never stops the
            others (an authentication failure does). Loops nest at most \(Parser.maxDepth) deep, and an
            inner loop variable must not reuse an outer one's name.

            """
        case "show":
            out += "\nTopics:\n"
            for t in Language.showTopics { out += "  " + pad(t.topic.rawValue, 12) + t.summary + "\n" }
        case "set":
            out += "\nSettings:\n" + settingLines()
            out += "\nA setting value is checked before the script runs: a bad one is a syntax error.\n"
        case "help":
            out += "\nTopics: " + topics.joined(separator: ", ") + ".\n"
        case "exit":
            out += "\nIn a script, `exit` stops it; the exit code reflects what happened so far.\n" + exitCodesLine + "\n"
        default:
            break
        }
        return out + examples(spec.examples)
    }

    static func settingHelp(_ spec: SettingSpec) -> String {
        let syntax = spec.values.syntax
        var out = "usage: set \(spec.key.rawValue)\(syntax.isEmpty ? "" : " " + syntax)\n\n"
        out += "\(spec.summary)\nDefault: \(spec.defaultValue).\n"
        switch spec.key {
        case .dryRun:
            out += """

            With dry-run on, every delete goes through the same client and builds the exact
            request (method, URL, headers with the key redacted), shows it, and records the
            outcome would_delete without sending anything. The summary counts what a real run
            would delete. `tnx --dry-run FILE` runs a whole script this way.

            Examples:
              set dry-run on
              foreach id in old-recordings.txt delete $id
              set dry-run off

            """
        case .concurrency:
            out += "\nExample:\n  set concurrency 32\n"
        case .output:
            out += "\nExample:\n  set output json\n"
        case .onError:
            out += "\nstop (the default in scripts) ends the script at the first failed statement with its exit\ncode; continue goes on. Inside one foreach a failed id never stops the other ids.\n"
            out += "\nExample:\n  set on-error continue\n"
        case .confirm:
            out += "\nWith confirm on, the REPL asks `Delete 5,000 recordings? [y/N]` and a script refuses\n(exit 2) to delete more than one recording unless run with --yes.\n"
            out += "\nExample:\n  set confirm off\n"
        case .apiKey:
            out += "\nThe key never appears in output, errors, the journal or the history file.\n"
            out += "\nExample:\n  set api-key\n"
        }
        return out
    }

    static func settingsHelp() -> String {
        "usage: set SETTING VALUE\n\nSettings:\n" + settingLines()
            + "\n`show settings` prints the current values. `help SETTING` tells more about one.\n"
    }

    static let idsHelp = """
        An id file (the FILE of `foreach NAME in FILE`) holds one recording id per line:
          - blank lines and '#' comment lines are skipped;
          - CRLF line ends, a UTF-8 byte order mark and spaces around an id are tolerated;
          - `-` reads the ids from stdin (when the script came from a file or -c);
          - a line that is not a plausible recording id is reported as FILE:LINE and never sent;
          - an id listed twice is deleted once (the repeat is counted as duplicate).
        The file is read as a stream, so millions of ids are fine.

        Example file:
          # recordings from March
          3fa85f64-5717-4562-b3fc-2c963f66afa6
          7c9e6679-7425-40de-944b-e07fc1f90ae7

        Example use:
          jq -r '.data[].id' export.json | tnx -c 'foreach id in - delete $id'

        """

    static let exitCodesHelp = """
        Exit codes of a script (tnx FILE, tnx -c TEXT, or a script on stdin):
          0    all done (a recording that was already gone counts as done)
          1    some deletes failed, or the journal could not be written mid-run
          2    usage or syntax error, a journal that cannot be written, a base URL
               that is not the API, or refused by the safety gate (confirm)
          3    authentication failed, or no API key for a real delete
          130  interrupted (Ctrl-C); 143 terminated (SIGTERM); 129 hung up (SIGHUP)
        A syntax error anywhere in a script means nothing runs and nothing is sent.

        """

    static let syntaxHelp = """
        A script is a list of statements, each ended by a new line or ';'.
          - '#' starts a comment that runs to the end of the line, also right after a word;
          - a word is any run of characters except spaces and  # ; { } " $
          - a "string" holds spaces or special characters, on one line, with the escapes
            \\" \\\\ \\n \\t; a '$' inside a string is just a '$';
          - $name is a loop variable bound by an enclosing foreach;
          - a foreach body is one statement on the same line, or { … } opened on that line.
        The whole script is checked before anything runs; errors point at the place:
          cleanup.tnx:3:12: error: expected 'in' after loop variable 'id'

        """
}
