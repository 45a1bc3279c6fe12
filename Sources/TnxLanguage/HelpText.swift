/// The text of `help` and `help TOPIC`, generated from the `Language` table. Every line fits
/// in 80 columns (`Help.width`; a test holds every topic to it).
public enum Help {
    /// The widest line of any help text.
    public static let width = 80

    /// Every topic `help TOPIC` knows: the statements, `settings`, each setting, `ids`,
    /// `exit-codes` and `syntax`.
    public static var topics: [String] {
        var all = Language.keywords + ["settings"]
        for s in Language.settings where !all.contains(s.key.rawValue) { all.append(s.key.rawValue) }
        return all + ["queries", "ids", "exit-codes", "syntax"]
    }

    /// The help for `topic` (`nil`: the overview), or nil for an unknown topic; the caller then
    /// reports `unknown help topic 'x'; topics are: …` (see `unknownTopicMessage`).
    public static func text(topic: String?) -> String? {
        guard let topic else { return overview() }
        if let spec = Language.statement(topic) { return statementHelp(spec) }
        if let spec = Language.setting(topic) { return settingHelp(spec) }
        switch topic {
        case "settings": return settingsHelp()
        case "queries", "query", Language.queryWord: return queriesHelp()
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

    /// Exit status 4, in the same words wherever it is explained (help, `--help`, the man page,
    /// the README, docs/language.md).
    public static let journalBusyMeaning = "another tnx is using the journal, so nothing was sent (wait, or use --wait-lock SECONDS)"

    static let exitCodesLine =
        "Exit codes: 0 all done; 1 some deletes failed; 2 usage or syntax error, journal or base URL unusable, or refused by the safety gate; 3 authentication failed or no key; 4 " + journalBusyMeaning + "; 130, 143, 129 stopped by Ctrl-C, SIGTERM, SIGHUP."

    /// `text` wrapped at word boundaries to `width` columns: the first line starts with
    /// `prefix` (kept as it is), the others with `hanging` spaces.
    static func wrap(_ text: String, prefix: String = "", hanging: Int = 0, width: Int = Help.width) -> String {
        var lines: [String] = []
        var line = prefix
        var lineHasWord = false
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if lineHasWord, line.count + 1 + word.count > width {
                lines.append(line)
                line = String(repeating: " ", count: hanging)
                lineHasWord = false
            }
            line += (lineHasWord ? " " : "") + word
            lineHasWord = true
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }

    /// Two columns: `left` indented by two and padded to `column`, then `right` wrapped
    /// under itself; a `left` too wide for the column gets a line of its own.
    static func row(_ left: String, _ right: String, column: Int) -> String {
        let head = "  " + left
        if head.count + 2 > column {
            return head + "\n" + wrap(right, prefix: String(repeating: " ", count: column), hanging: column)
        }
        return wrap(right, prefix: head + String(repeating: " ", count: column - head.count), hanging: column)
    }

    static func overview() -> String {
        var out = wrap("tnx deletes Telnyx call recordings, one at a time or in bulk. Deletion is permanent: try a script with `set dry-run on` (or `tnx --dry-run`) first.") + "\n\n"
        out += "Statements (end each with a new line or ';'; '#' starts a comment):\n"
        let column = min((Language.statements.map(\.usage.count).max() ?? 0) + 4, 30)
        for s in Language.statements {
            out += row(s.usage, s.summary, column: column) + "\n"
        }
        out += "\nSettings (set SETTING VALUE):\n"
        out += settingLines()
        out += "\n" + wrap(exitCodesLine) + "\n\n"
        out += wrap("More: help TOPIC, where TOPIC is one of: " + topics.joined(separator: ", ") + ".") + "\n"
        return out
    }

    private static func settingLines() -> String {
        let rows: [(String, String)] = Language.settings.map { s in
            let syntax = s.values.syntax
            let left = syntax.isEmpty ? s.key.rawValue : s.key.rawValue + " " + syntax
            return (left, s.summary + " Default: \(s.defaultValue).")
        }
        let column = min((rows.map(\.0.count).max() ?? 0) + 4, 30)
        return rows.map { row($0.0, $0.1, column: column) + "\n" }.joined()
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
        var out = "usage: \(spec.usage)\n\n" + wrap(spec.summary) + "\n"
        switch spec.keyword {
        case .delete:
            out += """

            ID is a recording id (a word, a "quoted string", or a loop variable such as
            $id). The id is sent as one path segment of DELETE /v2/recordings/{id}; an id
            that is not a plausible recording id is refused and never sent. A recording
            that is already gone is reported as not_found, which is not a failure.

            """
        case .foreach:
            out += """

            NAME is the loop variable (written without '$' here, used as $NAME in the body).
            FILE is a path, a "quoted path", or - for stdin; it is read as a stream, one id
            per line (see `help ids`); a relative path in a script file is relative to the
            script's directory. BODY is one statement on the same line, or a block '{ … }'
            whose '{' is on the same line. Every id read ends with exactly one outcome:
            deleted, not_found, failed, invalid, duplicate, skipped, or would_delete in a
            dry-run. Up to `concurrency` requests are in flight at once; a failed id never
            stops the others (an authentication failure does). Loops nest at most \(Parser.maxDepth) deep,
            and an inner loop variable must not reuse an outer one's name.

            Over a QUERY (see `help queries`), tnx first reads every match into a snapshot
            file beside the journal, then asks (the shell) or needs --yes (a script), then
            deletes exactly the snapshot, and at the end counts the query again.

            The body may hold several steps on $NAME, run in order for each id while the
            ids run concurrently: `download $NAME to DIR`, `show recording $NAME`, and
            `delete $NAME` (last). When a step fails, that id's later steps do not run: a
            recording is never deleted unless its download finished and was verified.

            """
        case .download:
            out += """

            The media (`set format mp3|wav` picks which link) is streamed to a hidden
            .partial file without the API key (the link is presigned), checked against
            Content-Length, flushed to the disk and renamed to DIR/ID.EXT; DIR/ID.json
            holds the recording as the API returned it, with the size and SHA-256. DIR
            is created (mode 0700) when missing; a relative DIR in a script file is
            relative to the script's directory. A link that expired is fetched fresh
            once. A disk that is full or a DIR that cannot be written stops the run: no
            more ids are started. A dry-run reads each recording and the size of its
            media, and writes nothing.

            """
        case .count, .list:
            out += "\n" + wrap("QUERY is `recordings [where CONDITION {and CONDITION}]`; see `help queries`. With `set output json` each result is one JSON object a line.") + "\n"
            if spec.keyword == .list {
                out += "\n" + wrap("Recordings come in the order the API gives them (it promises none). In the shell, a list without a limit stops at \(Language.shellListLimit) and says how many more match; a script lists every match unless it gives a limit.") + "\n"
            }
        case .show:
            out += "\nTopics:\n"
            for t in Language.showTopics { out += row(t.topic.rawValue, t.summary, column: 14) + "\n" }
        case .set:
            out += "\nSettings:\n" + settingLines()
            out += "\n" + wrap("A setting value is checked before the script runs: a bad one is a syntax error. `set` alone lists the settings, as `show settings` does.") + "\n"
        case .help:
            out += "\n" + wrap("Topics: " + topics.joined(separator: ", ") + ".") + "\n"
        case .run:
            out += """

            FILE is checked whole before anything in it runs, and the safety gate counts
            what it would delete, as for `tnx FILE`. It starts from the shell's settings,
            and what it changes stays for the session. Relative id files in it are read
            from its directory. A script cannot run another: give script files on the
            command line instead.

            """
        case .exit:
            out += "\n" + wrap("In a script, `exit` stops it; without N the exit status reflects what happened so far. In the shell it ends the session with status N (default 0).") + "\n\n" + wrap(exitCodesLine) + "\n"
        default:
            break
        }
        return out + examples(spec.examples)
    }

    static func settingHelp(_ spec: SettingSpec) -> String {
        let syntax = spec.values.syntax
        var out = "usage: set \(spec.key.rawValue)\(syntax.isEmpty ? "" : " " + syntax)\n\n"
        out += wrap(spec.summary) + "\nDefault: \(spec.defaultValue).\n"
        switch spec.key {
        case .dryRun:
            out += """

            With dry-run on, every delete goes through the same client and builds the exact
            request (method, URL, headers with the key redacted), shows it, and records the
            outcome would_delete without sending anything. A dry-run may read; it never
            deletes: `count`, `list` and a foreach over a query still read the API (so
            they need the key). The summary counts what a real run would delete.
            `tnx --dry-run FILE` runs a whole script this way, and then nothing in it can
            turn dry-run off.

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
            out += "\n" + wrap("stop (the default in scripts) ends the script at the first failed statement with its exit code, and says which statements were not run; continue goes on. Inside one foreach a failed id never stops the other ids.") + "\n"
            out += "\nExample:\n  set on-error continue\n"
        case .confirm:
            out += "\n" + wrap("With confirm on, the shell asks `Delete 5,000 recordings? [y/N]` and a script refuses (exit 2) to delete more than one recording unless run with --yes.") + "\n"
            out += "\nExample:\n  set confirm off\n"
        case .resume:
            out += "\n" + wrap("With resume on, a foreach skips (outcome skipped) every id whose latest journal line at this API says deleted or not_found: run a stopped purge again and it goes on where it stopped. `tnx --resume` starts with it on.") + "\n"
            out += "\nExample:\n  set resume on\n"
        case .format:
            out += "\nExample:\n  set format wav\n"
        case .verifyDuration:
            out += "\n" + wrap("Every downloaded copy is read as it arrives: an MP3 must be MPEG audio frames from its first byte to its last (an ID3 tag allowed), a WAV chunks that add up to the file. With verify-duration on, the frames (or the data chunk) must also play as long as the recording's duration_millis, within 2 seconds or 2 % (the larger); otherwise the copy is not kept and the recording is not deleted. When the API gives no duration_millis the outcome says `duration not checked`. Turn it off only for an account whose media and metadata disagree by design.") + "\n"
            out += "\nExample:\n  set verify-duration off\n"
        case .method:
            out += "\n" + wrap("With method batch, a purge by query whose body is just `delete $id` sends the snapshot's ids in chunks (POST /v2/recordings/actions/delete), then lists the query again and reads back a sample of the ids it no longer lists (see `help verify`): if none is still there, those ids are deleted (\"batch; absent from the listing; 300 of 20,000 read back, none present\"); an id still listed, or every id when the sample finds one still there, is deleted on its own. With batches of 1,000 (the default), about 2 requests per 100 recordings for 20,000, 0.8 for 100,000 and 0.53 for 1,000,000, instead of 101. The API promises no per-id result for a batch, which is why tnx verifies. Id files always use single deletes.") + "\n"
            out += "\nExample:\n  set method batch\n"
        case .batchSize:
            out += "\nExample:\n  set batch-size 250\n"
        case .verify:
            out += "\n" + wrap("After a batch purge's listing says which ids are gone, sample reads back a uniform random sample of them (verify-sample, 300 by default; all of them when fewer): a clean sample of k supports \"at most 3/k of them kept, at 95 % confidence\" (1 % for 300), for 300 requests whatever the size of the purge. Any still there and the listing is not believed: every id is deleted on its own. all reads back every one (one GET a recording, about 1.014 requests a recording in all), for when each deletion must be proven. `tnx --verify all` starts with it.") + "\n"
            out += "\nExample:\n  set verify all\n"
        case .verifySample:
            out += "\nExample:\n  set verify-sample 1000\n"
        case .keepSnapshots:
            out += "\n" + wrap("Each real purge by query keeps its snapshot, the list of what it meant to delete, in snapshots/ beside the journal. When it creates its own, it removes from that directory the snapshots older than keep-snapshots, counted from the time in their names: only files named as tnx names them (2026-11-29T23-11-16Z-RUN.jsonl), never anything else, and says on stderr how many it removed. A dry-run removes nothing. off keeps every snapshot.") + "\n"
            out += "\nExample:\n  set keep-snapshots 90d\n"
        case .apiKey:
            out += "\nThe key never appears in output, errors, the journal or the history file.\n"
            out += "\nExample:\n  set api-key\n"
        case .baseURL:
            out += "\n" + wrap("Only in a startup file: $XDG_CONFIG_HOME/tnx/init.tnx, or a profile, profiles/NAME.tnx beside it, which `tnx --profile NAME` runs after it. --base-url wins over it; it wins over TELNYX_BASE_URL when a profile sets it, and TELNYX_BASE_URL wins over init.tnx.") + "\n"
            out += "\nExample:\n  set base-url \"https://api.telnyx.com/v2\"\n"
        case .apiKeyCommand:
            out += "\n" + wrap("Only in a startup file. The command runs with /bin/sh, once, when a request first needs the key (never for --check or `help`); the first line it prints is the key. Its stderr is yours (a password manager may ask there); its output is never shown, logged or kept in the history. A command that fails, prints nothing or prints a line that is no key stops what needed the key, with exit status 3, and nothing is sent. --api-key wins over it; it wins over TELNYX_API_KEY when a profile sets it, and TELNYX_API_KEY wins over init.tnx.") + "\n"
            out += "\nExample:\n  set api-key-command \"pass show telnyx/prod\"\n"
        }
        return out
    }

    static func settingsHelp() -> String {
        "usage: set SETTING VALUE\n\nSettings:\n" + settingLines()
            + "\n" + wrap("`set` alone (or `show settings`) prints the current values. `help SETTING` tells more about one.") + "\n"
    }

    static func queriesHelp() -> String {
        var out = "usage: recordings [where CONDITION {and CONDITION}]\n\n"
        out += wrap("A query names the recordings that `count`, `list` and `foreach NAME in` read from the API (GET /v2/recordings). Every condition must hold. It needs an API key, also in a dry-run: a dry-run may read; it never deletes.") + "\n\nConditions:\n"
        out += row("created before TIME", "created strictly before TIME", column: 26) + "\n"
        out += row("created after TIME", "created strictly after TIME", column: 26) + "\n"
        for field in Language.queryFields {
            out += row("\(field.word) VALUE", field.summary + "; exact, case-sensitive", column: 26) + "\n"
        }
        out += "\n" + wrap("TIME is " + Language.timeSyntax + ". An age is fixed when the statement starts, and summaries print it as a UTC time. A time in the future, or `before` at or before `after`, is an error before anything runs.") + "\n"
        out += "\n" + wrap("An unquoted `recordings` after `in` is a query: a file named recordings is written \"recordings\".") + "\n"
        return out + examples([
            "count recordings where created before 2025-01-01",
            "list recordings where from \"+15551234567\" and created after 30d limit 20",
            "foreach id in recordings where created before 90d delete $id",
        ])
    }

    static let idsHelp = """
        An id file (the FILE of `foreach NAME in FILE`) holds one recording id per line:
          - blank lines and '#' comment lines are skipped;
          - CRLF line ends, a UTF-8 byte order mark and spaces around an id are
            tolerated;
          - `-` reads the ids from stdin (when the script came from a file or -c);
          - a line that is not a plausible recording id is reported as FILE:LINE and
            never sent, and makes the exit status 1;
          - an id listed twice is deleted once (the repeat is counted as duplicate).
        The file is read as a stream, so millions of ids are fine.

        Example file:
          # recordings from March
          3fa85f64-5717-4562-b3fc-2c963f66afa6
          7c9e6679-7425-40de-944b-e07fc1f90ae7

        Example use:
          jq -r '.data[].id' export.json | tnx -c 'foreach id in - delete $id'

        """

    /// Every exit status of a script, the one table `help exit-codes` and the man page's
    /// EXIT STATUS (`ToolInfo.manualExitStatus`) are made from.
    public static let exitCodes: [(code: String, meaning: String)] = [
        ("0", "all done (a recording that was already gone counts as done)"),
        ("1", "some deletes failed, some ids were invalid, or the journal could not be written mid-run"),
        ("2", "usage or syntax error, a journal that cannot be written, a base URL that is not the API, or refused by the safety gate (confirm)"),
        ("3", "authentication failed, or no API key for a real delete or a query"),
        ("4", journalBusyMeaning),
        ("130", "interrupted (Ctrl-C)"),
        ("143", "terminated (SIGTERM)"),
        ("129", "hung up (SIGHUP)"),
    ]

    static var exitCodesHelp: String {
        var out = "Exit codes of a script (tnx FILE, tnx -c TEXT, or a script on stdin):\n"
        for (code, meaning) in exitCodes {
            out += wrap(meaning, prefix: "  " + code + String(repeating: " ", count: 5 - code.count), hanging: 7) + "\n"
        }
        return out + "A syntax error anywhere in a script means nothing runs and nothing is sent.\n"
    }

    static let syntaxHelp = """
        A script is a list of statements, each ended by a new line or ';'.
          - '#' starts a comment that runs to the end of the line, also right after a
            word;
          - a word is any run of characters except spaces and  # ; { } " $
          - a "string" holds spaces or special characters, on one line, with the
            escapes \\" \\\\ \\n \\t; a '$' inside a string is just a '$';
          - $name is a loop variable bound by an enclosing foreach, or a parameter
            given on the command line: tnx -D name=VALUE (one value, checked like
            the same text written there);
          - a foreach body is one statement on the same line, or { … } opened on that
            line.
        The whole script is checked before anything runs; errors point at the place:
          cleanup.tnx:3:12: error: expected 'in' after loop variable 'id'

        """
}

