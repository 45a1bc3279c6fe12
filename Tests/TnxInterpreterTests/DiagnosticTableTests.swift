import Foundation
import Testing
import TnxLanguage

@testable import TnxInterpreter

/// One bad script and exactly the diagnostics it must produce, each where a marker (1️⃣, 2️⃣, …)
/// stands in the source: the caret goes under the character after the marker. The markers are
/// taken out before the source is checked. (As swift-syntax's tests mark places, instead of
/// counting lines and columns.)
struct BadScript: CustomTestStringConvertible, Sendable {
    static let markers = ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣"]

    let name: String
    /// The source without its markers.
    let bytes: [UInt8]
    /// Byte offsets of the markers, in order.
    let places: [Int]
    /// The diagnostic at each marker, in order; a nil message is not checked.
    let expected: [(id: DiagnosticID, message: String?)]
    var origin: ScriptOrigin = .file
    /// Where the script's relative paths start.
    var directory = nowhere
    /// Checked as under `tnx --dry-run`.
    var dryRunLocked = false
    /// The expected diagnostics are all there are (false: the last ones of many).
    var firstOnly = true
    /// Compare without order or places (several diagnostics at one marker).
    var unordered = false
    /// The command line's `-D NAME=VALUE`, in order; a relative path among them starts in `nowhere`.
    var parameters: [String] = []

    init(
        _ name: String, _ marked: String, _ expected: [(DiagnosticID, String?)], origin: ScriptOrigin = .file,
        dryRunLocked: Bool = false, firstOnly: Bool = true, unordered: Bool = false, directory: String = nowhere,
        parameters: [String] = []
    ) {
        self.init(name, bytes: Array(marked.utf8), expected, origin: origin, dryRunLocked: dryRunLocked)
        self.firstOnly = firstOnly
        self.unordered = unordered
        self.directory = directory
        self.parameters = parameters
    }

    /// `bytes` may hold invalid UTF-8; markers are spliced in as their UTF-8 bytes
    /// (`BadScript.marker(1)`).
    init(_ name: String, bytes marked: [UInt8], _ expected: [(DiagnosticID, String?)], origin: ScriptOrigin = .file, dryRunLocked: Bool = false) {
        var bytes: [UInt8] = []
        var places: [Int?] = Array(repeating: nil, count: expected.count)
        var i = 0
        scan: while i < marked.count {
            for (n, marker) in Self.markers.enumerated() {
                let m = Array(marker.utf8)
                if marked[i...].starts(with: m) {
                    if n < places.count { places[n] = bytes.count }
                    i += m.count
                    continue scan
                }
            }
            bytes.append(marked[i])
            i += 1
        }
        self.name = name
        self.bytes = bytes
        self.places = places.map { $0 ?? -1 }
        self.expected = expected.map { (id: $0.0, message: $0.1) }
        self.origin = origin
        self.dryRunLocked = dryRunLocked
    }

    static func marker(_ n: Int) -> [UInt8] { Array(markers[n - 1].utf8) }

    var testDescription: String { name }
}

let settingsList = Language.settings.map(\.key.rawValue).joined(separator: ", ")
let statementsList = Language.keywords.joined(separator: ", ")
/// A directory that does not exist, for id files and scripts that cannot be read.
let nowhere = "/nonexistent-tnx-test-dir"

let badScripts: [BadScript] = [
    BadScript("unknown statement", "1️⃣delet 3fa8", [
        (.unknownStatement, "unknown statement 'delet'; did you mean 'delete'?"),
    ]),
    BadScript("unknown statement, nothing close", "1️⃣remove x", [
        (.unknownStatement, "unknown statement 'remove'; statements are: \(statementsList)"),
    ]),
    BadScript("missing in", "foreach id 1️⃣delete $id", [
        (.expectedIn, "expected 'in' after loop variable 'id'"),
    ]),
    BadScript("missing source", "foreach id in1️⃣\n", [
        (.missingValue, "expected a file after 'in' (a path, a \"quoted path\", or - for stdin), or a query (recordings where …), found the end of the line"),
    ]),
    BadScript("missing loop variable", "foreach1️⃣", [
        (.expectedVariableName, "expected a loop variable name after 'foreach', found the end of the input"),
    ]),
    BadScript("loop variable written with $", "foreach 1️⃣$id in x delete $id", [
        (.expectedVariableName, "write the loop variable without '$': foreach id in …"),
    ]),
    BadScript("body on the next line", "foreach id in x1️⃣\n2️⃣{\n delete $id\n}", [
        (.expectedBody, "expected a statement or '{' after the foreach source; the body starts on the same line"),
        (.unexpectedBrace, "unexpected '{'; a block '{ … }' can only follow a foreach header"),
    ]),
    BadScript("unknown setting", "set 1️⃣colour red", [
        (.unknownSetting, "unknown setting 'colour'; settings are: \(settingsList)"),
    ]),
    BadScript("misspelt setting", "set 1️⃣concurency 4", [
        (.unknownSetting, "unknown setting 'concurency'; did you mean 'concurrency'?"),
    ]),
    BadScript("concurrency 0", "set concurrency 1️⃣0", [
        (.invalidSettingValue, "concurrency must be a whole number from 1 to 256, not '0'"),
    ]),
    BadScript("concurrency 257", "set concurrency 1️⃣257", [
        (.invalidSettingValue, "concurrency must be a whole number from 1 to 256, not '257'"),
    ]),
    BadScript("concurrency abc", "set concurrency 1️⃣abc", [
        (.invalidSettingValue, "concurrency must be a whole number from 1 to 256, not 'abc'"),
    ]),
    BadScript("concurrency huge", "set concurrency 1️⃣99999999999999999999999", [
        (.invalidSettingValue, "concurrency must be a whole number from 1 to 256, not '99999999999999999999999'"),
    ]),
    BadScript("dry-run maybe", "set dry-run 1️⃣maybe", [
        (.invalidSettingValue, "dry-run must be on or off, not 'maybe'"),
    ]),
    BadScript("output xml", "set output 1️⃣xml", [
        (.invalidSettingValue, "output must be text or json, not 'xml'"),
    ]),
    BadScript("missing setting value", "set on-error1️⃣", [
        (.missingValue, "expected a value after 'set on-error': stop or continue"),
    ]),
    BadScript("set with a variable for a setting", "set 1️⃣$x\n", [
        (.missingSetting, "expected a setting after 'set', found '$x'; settings are: \(settingsList)"),
    ]),
    BadScript("api-key takes no value and never echoes it", "set api-key 1️⃣KEY0123secret", [
        (.unexpectedValue, "'set api-key' takes no value; the key is asked for without echo, or read from TELNYX_API_KEY"),
    ]),
    BadScript("setting value from a variable", "foreach c in x set concurrency 1️⃣$c", [
        (.invalidSettingValue, "concurrency must be a whole number from 1 to 256; a loop variable cannot be used here (a value given with -D NAME=VALUE can)"),
    ]),
    BadScript("setting value from a variable that is nothing", "set concurrency 1️⃣$n", [
        (.unknownVariable, "unknown variable '$n'; no foreach binds a variable here; to give it a value, run tnx -D n=VALUE"),
    ]),
    BadScript("setting value from a parameter, checked like the same text", "set concurrency 1️⃣$n", [
        (.invalidSettingValue, "concurrency must be a whole number from 1 to 256, not '0'"),
    ], parameters: ["n=0"]),
    BadScript("delete without id", "delete1️⃣", [
        (.missingValue, "expected an id after 'delete', found the end of the input"),
    ]),
    BadScript("extra tokens", "delete a 1️⃣b", [
        (.extraTokens, "unexpected 'b' after the end of the statement; end a statement with a new line or ';'"),
    ]),
    BadScript("extra tokens after exit", "exit 3 1️⃣4", [
        (.extraTokens, "unexpected '4' after the end of the statement; end a statement with a new line or ';'"),
    ]),
    BadScript("show without topic", "show1️⃣", [
        (.missingShowTopic, "expected what to show after 'show': last, settings or recording"),
    ]),
    BadScript("unknown show topic", "show 1️⃣everything", [
        (.unknownShowTopic, "unknown show topic 'everything'; topics are: last, settings, recording"),
    ]),
    BadScript("unbound variable", "delete 1️⃣$x", [
        (.unknownVariable, "unknown variable '$x'; no foreach binds a variable here; to give it a value, run tnx -D x=VALUE"),
    ]),
    BadScript("unbound variable inside a loop", "foreach id in f delete 1️⃣$ID", [
        (.unknownVariable, "unknown variable '$ID'; variables here: $id; to give it a value, run tnx -D ID=VALUE"),
    ]),
    BadScript("a misspelt parameter", "delete 1️⃣$calle", [
        (.unknownVariable, "unknown variable '$calle'; variables here: $caller; to give it a value, run tnx -D calle=VALUE"),
    ], parameters: ["caller=+12125551940"]),
    BadScript("a variable whose name no -D can give", "delete 1️⃣$my-id", [
        (.unknownVariable, "unknown variable '$my-id'; no foreach binds a variable here"),
    ]),
    BadScript("a variable in a startup file, which takes no -D", "set output 1️⃣$format", [
        (.unknownVariable, "unknown variable '$format'; no foreach binds a variable here"),
    ], origin: .startup, parameters: ["format=json"]),
    BadScript("a loop variable named like a parameter", "foreach 1️⃣caller in f delete $caller", [
        (.shadowedParameter, "loop variable 'caller' has the name of the parameter given with -D caller=…, so $caller would mean two things; choose another name"),
    ], parameters: ["caller=+12125551940"]),
    BadScript("a parameter that is no recording id", "delete 1️⃣$id_param", [
        (.invalidRecordingID, nil),
    ], parameters: ["id_param=../../v2/numbers"]),
    BadScript("a parameter is one value, never more script", "delete 1️⃣$id", [
        (.invalidRecordingID, nil),
    ], parameters: ["id=3fa85f64-5717-4562-b3fc-2c963f66afa6; delete 0b4e2f7a-5717-4562-b3fc-2c963f66afa6"]),
    BadScript("a parameter that names an id file that is not there", "foreach id in 1️⃣$file delete $id", [
        (.unreadableIDFile, "cannot read id file '/nonexistent-tnx-test-dir/missing.txt': No such file or directory"),
    ], parameters: ["file=missing.txt"]),
    BadScript("a parameter that is no time", "count recordings where created before 1️⃣$cutoff", [
        (.invalidTime, "'yesterday' is not a time: \(Language.timeSyntax)"),
    ], parameters: ["cutoff=yesterday"]),
    BadScript("a parameter that is a time in the future", "foreach id in recordings where created before 1️⃣$cutoff delete $id", [
        (.futureTime, nil),
    ], parameters: ["cutoff=2999-01-01"]),
    BadScript("a parameter that is empty, for a query's value", "count recordings where from 1️⃣$caller", [
        (.missingValue, nil),
    ], parameters: ["caller="]),
    BadScript("a parameter that is no limit", "list recordings limit 1️⃣$n", [
        (.invalidLimit, "a limit is a whole number from 1 to 1000000, not 'all'"),
    ], parameters: ["n=all"]),
    BadScript("a parameter that names a file as a download directory", "download 3fa85f64-5717-4562-b3fc-2c963f66afa6 to 1️⃣$dir", [
        (.downloadDirectory, "'/dev/null' exists and is not a directory; download into a directory"),
    ], parameters: ["dir=/dev/null"]),
    BadScript("shadowed loop variable", "foreach id in a {\n  foreach 1️⃣id in b delete $id\n}", [
        (.shadowedVariable, "loop variable 'id' is already bound by the foreach at line 1; choose another name"),
    ]),
    BadScript("empty block", "foreach id in a 1️⃣{}", [
        (.emptyBody, "empty foreach body; put at least one statement between '{' and '}'"),
    ]),
    BadScript("block with only comments", "foreach id in a 1️⃣{\n  # nothing\n}", [
        (.emptyBody, nil),
    ]),
    BadScript("unterminated string", "delete 1️⃣\"3fa8\nexit", [
        (.unterminatedString, "unterminated string; a string ends with '\"' on the same line"),
    ]),
    BadScript("unknown escape", "delete \"a1️⃣\\qb\"", [
        (.unknownEscape, "unknown escape '\\q' in a string; the escapes are \\\" \\\\ \\n \\t"),
    ]),
    BadScript("unterminated block", "foreach id in a 1️⃣{\n  delete $id\n", [
        (.unterminatedBlock, "unterminated block; this '{' is never closed with '}'"),
    ]),
    BadScript("stray closing brace", "delete a\n1️⃣}\nexit", [
        (.unexpectedBrace, "unexpected '}' with no open block"),
    ]),
    BadScript("statement starting with a string", "1️⃣\"delete\" x", [
        (.expectedStatement, "expected a statement, found string \"delete\"; statements are: \(statementsList)"),
    ]),
    BadScript("dollar without name", "foreach id in x delete 1️⃣$", [
        (.invalidVariable, "expected a variable name after '$'"),
    ]),
    BadScript("a variable name that is no name", "help 1️⃣$9x", [
        (.invalidVariable, "invalid variable name '$9x'; a name is a letter or '_' followed by letters, digits, '_' or '-'"),
    ]),
    BadScript("a loop variable name that is no name", "foreach 1️⃣9id in x delete $id", [
        (.expectedVariableName, "invalid loop variable name '9id'; a name is a letter or '_' followed by letters, digits, '_' or '-'"),
    ]),
    BadScript("a string where the body starts", "foreach id in x 1️⃣\"delete\"", [
        (.expectedBody, "expected a statement or '{' after the foreach source, found string \"delete\""),
    ]),
    BadScript("download without id", "download1️⃣", [
        (.missingValue, "expected an id after 'download', found the end of the input"),
    ]),
    BadScript("download without directory", "download 3fa85f64-5717-4562-b3fc-2c963f66afa6 to1️⃣", [
        (.missingValue, "expected a directory after 'to' (a path or a \"quoted path\"), found the end of the input"),
    ]),
    BadScript("show recording without id", "show recording1️⃣", [
        (.missingValue, "expected a recording id after 'show recording', found the end of the input"),
    ]),
    BadScript("run without script", "run1️⃣", [
        (.missingValue, "expected a script file after 'run' (a path or a \"quoted path\"), found the end of the input"),
    ], origin: .repl),
    BadScript("escape sequence in a word", "delete a1️⃣\u{1B}[2J", [
        (.controlCharacter, "control character U+001B is not allowed here"),
    ]),
    BadScript("help with a variable", "foreach t in x help 1️⃣$t", [
        (.expectedHelpTopic, "expected a help topic after 'help', found '$t'"),
    ]),
    BadScript("invalid UTF-8", bytes: Array("delete 3fa".utf8) + BadScript.marker(1) + [0xC3, 0x28] + Array("\nexit".utf8), [
        (.invalidUTF8, "invalid UTF-8 byte 0xC3; tnx source must be UTF-8"),
    ]),
    BadScript("NUL byte", bytes: Array("show last\ndel".utf8) + BadScript.marker(1) + [0] + Array("ete x".utf8), [
        (.nulByte, "NUL byte in the source"),
    ]),
    BadScript("too deep nesting", deepNest(70, markingLine: 65), [
        (.tooDeep, "blocks nested too deeply (more than 64)"),
    ]),
    BadScript("too many errors", String(repeating: "bogus\n", count: 50) + "1️⃣bogus\n", [
        (.tooManyErrors, "too many errors (more than 50); stopping"),
    ], firstOnly: false),
    BadScript("an exit status outside 0…255", "exit 1️⃣300", [
        (.invalidExitStatus, "an exit status is a whole number from 0 to 255, not '300'"),
    ]),
    // The checks of what parsed.
    BadScript("invalid literal id", "delete 1️⃣not/an", [
        (.invalidRecordingID, "invalid recording id \"not/an\": it contains a path separator"),
    ]),
    BadScript("missing id file", "foreach id in 1️⃣missing.txt delete $id", [
        (.unreadableIDFile, "cannot read id file '\(nowhere)/missing.txt': No such file or directory"),
    ]),
    BadScript("missing script for run", "run 1️⃣nothing.tnx", [
        (.unreadableScript, "cannot read script '\(nowhere)/nothing.tnx': No such file or directory"),
    ], origin: .repl),
    BadScript("run in a script", "1️⃣run other.tnx", [
        (.runOutsideShell, "'run' runs a script file from the shell; in a script, give the files on the command line instead: tnx a.tnx b.tnx"),
    ]),
    BadScript("delete of a variable outside its loop body", "foreach id in /dev/null { show last; delete 1️⃣$id }", [
        (.deleteOutsideLoopBody, "'delete $id' must be the whole body of the foreach that reads 'id': foreach id in FILE delete $id"),
        (.loopBodyNotDelete, "the body of a foreach over recording ids is steps on $id, run for each id concurrently: download $id to DIR, show recording $id, delete $id; move other statements out of the loop"),
    ], unordered: true),
    BadScript("delete of a file variable", "foreach f in /dev/null { foreach id in $f delete $id; delete 1️⃣$f }", [
        (.fileVariableDeleted, "'$f' holds the names of id files, not recording ids; delete the ids inside them with 'foreach id in $f delete $id'"),
    ]),
    BadScript("download of a file variable", "foreach f in /dev/null { foreach id in $f delete $id; download 1️⃣$f to a }", [
        (.fileVariableDeleted, "'$f' holds the names of id files, not recording ids; download the ids inside them with 'foreach id in $f download $id to DIR'"),
    ]),
    BadScript("loop variable never used", "foreach 1️⃣id in /dev/null show last", [
        (.unusedLoopVariable, "loop variable 'id' is not used in the body; write 'foreach id in FILE delete $id'"),
    ]),
    BadScript("stdin while the script comes from stdin", "foreach id in 1️⃣- delete $id", [
        (.stdinIsScript, "'-' reads ids from stdin, but the script itself comes from stdin; put the script in a file or use -c"),
    ], origin: .standardInput),
    BadScript("stdin in the shell", "foreach id in 1️⃣- delete $id", [
        (.stdinInShell, "'-' reads ids from stdin, which is the terminal here; put the ids in a file"),
    ], origin: .repl),
    BadScript("stdin read twice", "foreach id in - delete $id\nforeach id in 1️⃣- delete $id", [
        (.stdinReadTwice, "stdin can be read by one foreach only (the first is at t.tnx:1:15)"),
    ]),
    BadScript("stdin inside a loop over files", "foreach f in /dev/null { foreach id in $f delete $id; foreach x in 1️⃣- delete $x }", [
        (.stdinInFileLoop, "'-' inside a loop over files would read stdin once per file; read it outside the loop"),
    ]),
    BadScript("set api-key in a script", "1️⃣set api-key", [
        (.apiKeyInScript, "'set api-key' asks for the key at the terminal, so it only works in the shell; scripts use TELNYX_API_KEY or --api-key"),
    ]),
    BadScript("set api-key in a startup file", "set output json\n1️⃣set api-key", [
        (.apiKeyInScript, "'set api-key' asks at the terminal, so it cannot run from a startup file; give the profile an api-key-command \"COMMAND\" instead"),
    ], origin: .startup),
    BadScript("a statement other than set in a startup file", "set output json\n1️⃣delete 3fa85f64-5717-4562-b3fc-2c963f66afa6\n2️⃣count recordings", [
        (.startupNotSet, "a startup file holds only 'set' statements (like 'set output json' or 'set api-key-command \"pass show telnyx/prod\"'); run other statements from a script"),
        (.startupNotSet, nil),
    ], origin: .startup),
    BadScript("confirm off in a startup file", "1️⃣set confirm off", [
        (.startupConfirmOff, "'set confirm off' in a startup file would let every script delete in bulk without asking; pass --yes to the run that should"),
    ], origin: .startup),
    BadScript("base-url in a script", "1️⃣set base-url \"https://api.telnyx.com/v2\"", [
        (.startupOnlySetting, "'set base-url' belongs in a startup file (init.tnx or a profile), read before anything connects; for one run use --base-url URL or TELNYX_BASE_URL"),
    ]),
    BadScript("api-key-command in the shell", "1️⃣set api-key-command \"pass show telnyx\"", [
        (.startupOnlySetting, "'set api-key-command' belongs in a startup file (init.tnx or a profile), read before anything connects; for one run use --api-key, TELNYX_API_KEY or a profile: tnx --profile NAME"),
    ], origin: .repl),
    BadScript("dry-run off under --dry-run", "1️⃣set dry-run off", [
        (.dryRunLocked, "tnx was started with --dry-run, which nothing can turn off: 'set dry-run off' is refused; run tnx without --dry-run to delete"),
    ], dryRunLocked: true),
    BadScript("unknown help topic", "help 1️⃣bogus", [
        (.unknownHelpTopic, "unknown help topic 'bogus'; topics are: \(Help.topics.joined(separator: ", "))"),
    ]),
    // Queries.
    BadScript("count without recordings", "count 1️⃣recording where created before 90d", [
        (.expectedQuery, "expected 'recordings' after 'count', found 'recording': count recordings [where CONDITION {and CONDITION}]"),
    ]),
    BadScript("conditions without where", "list recordings 1️⃣created before 90d", [
        (.expectedWhere, "expected 'where' before the conditions: recordings where created …"),
    ]),
    BadScript("where with nothing after it", "count recordings where1️⃣", [
        (.expectedCondition, "expected a condition, found the end of the input: created before|after TIME, or one of from, to, connection, conference, call-leg, call-session, call-control or sip-call followed by a value"),
    ]),
    BadScript("and with nothing after it", "count recordings where from \"+1555\" and 1️⃣{", [
        (.expectedCondition, nil),
    ]),
    BadScript("unknown query field, with a guess", "count recordings where 1️⃣conection 1494404757140276705", [
        (.unknownQueryField, "unknown query field 'conection'; did you mean 'connection'?"),
    ]),
    BadScript("unknown query field, no guess", "count recordings where 1️⃣colour red", [
        (.unknownQueryField, "unknown query field 'colour'; fields are: created, from, to, connection, conference, call-leg, call-session, call-control, sip-call"),
    ]),
    BadScript("created without before or after", "count recordings where created 1️⃣since 90d", [
        (.expectedBeforeOrAfter, "expected 'before' or 'after' after 'created', found 'since'"),
    ]),
    BadScript("a time that is no time", "count recordings where created before 1️⃣90days and created after 2025-02-30", [
        (.invalidTime, "'90days' is not a time: \(Language.timeSyntax)"),
    ]),
    BadScript("an impossible date", "list recordings where created after 1️⃣2025-02-30", [
        (.invalidTime, "'2025-02-30' is not a time: \(Language.timeSyntax)"),
    ]),
    BadScript("a time without its zone", "list recordings where created after 1️⃣2025-01-31T12:00:00", [
        (.invalidTime, "'2025-01-31T12:00:00' is not a time: \(Language.timeSyntax)"),
    ]),
    BadScript("no time after before", "count recordings where created before 1️⃣{", [
        (.invalidTime, "expected a time, found '{': \(Language.timeSyntax)"),
    ]),
    BadScript("the same condition twice", "count recordings where from a and 1️⃣from b", [
        (.repeatedCondition, "'from' is already given at column 24; a query holds each condition once"),
    ]),
    BadScript("a variable in a query", "foreach f in /dev/null { count recordings where from 1️⃣$f }", [
        (.variableInQuery, "a query's values are written out (or given with -D NAME=VALUE); the loop variable '$f' cannot be used after 'from'"),
    ]),
    BadScript("a variable as a query's time", "foreach t in /dev/null { count recordings where created before 1️⃣$t }", [
        (.variableInQuery, "a query's times are written out (or given with -D NAME=VALUE); the loop variable '$t' cannot be used here"),
    ]),
    BadScript("show recording of a variable outside a body of steps", "foreach id in /dev/null { 1️⃣show last; show recording 2️⃣$id }", [
        (.loopBodyNotDelete, nil),
        (.variableInQuery, "'show recording' takes an id written out; to see the recordings of a query, use 'list'"),
    ]),
    BadScript("a limit that is no number", "list recordings limit 1️⃣ten", [
        (.invalidLimit, "a limit is a whole number from 1 to 1000000, not 'ten'"),
    ]),
    BadScript("a limit of zero", "list recordings where created before 90d limit 1️⃣0", [
        (.invalidLimit, "a limit is a whole number from 1 to 1000000, not '0'"),
    ]),
    BadScript("limit without a number", "list recordings limit1️⃣", [
        (.invalidLimit, "expected how many recordings to list after 'limit': a whole number from 1 to 1000000"),
    ]),
    BadScript("a date in the future", "count recordings where created before 1️⃣2999-01-01", [
        (.futureTime, nil),
    ]),
    BadScript("before earlier than after", "count recordings where created before 1️⃣2025-01-01 and created after 2025-06-01", [
        (.emptyTimeRange, "created before 2025-01-01T00:00:00Z and after 2025-06-01T00:00:00Z: no recording can match; is 'before' meant to be the later time?"),
    ]),
    BadScript("ages the wrong way round", "foreach id in recordings where created after 30d and created before 1️⃣90d delete $id", [
        (.emptyTimeRange, nil),
    ]),
    BadScript("a query loop that does more than steps on its id", "foreach id in recordings where created before 90d { download $id to a; 1️⃣show last }", [
        (.queryLoopBody, "the body of a foreach over a query is steps on $id: download $id to DIR, show recording $id, delete $id; move other statements out of the loop (to look first, use 'list', or set dry-run on)"),
    ]),
    BadScript("download without its directory", "download 3fa85f64-5717-4562-b3fc-2c963f66afa6 1️⃣archive", [
        (.expectedTo, "expected 'to DIR' after the id: download ID to DIR (the directory the files go to)"),
    ]),
    BadScript("a step after delete", "foreach id in /dev/null {\n  1️⃣delete $id\n  download $id to archive\n}", [
        (.deleteNotLast, "'delete' must be the last step of the loop body: nothing can run on a recording once it is deleted"),
    ]),
    BadScript("a download directory that is a variable", "foreach f in /dev/null { foreach id in $f download $id to 1️⃣$f }", [
        (.downloadDirectory, "the directory of a download is written out (or given with -D NAME=VALUE), not a loop variable ('$f'): download $id to archive/"),
    ]),
    BadScript("an empty download directory", "download 3fa85f64-5717-4562-b3fc-2c963f66afa6 to 1️⃣\"\"", [
        (.downloadDirectory, "the directory of a download is empty; write a path: download $id to archive/"),
    ]),
    BadScript("a download directory that is a file", "foreach id in /dev/null download $id to 1️⃣/dev/null", [
        (.downloadDirectory, "'/dev/null' exists and is not a directory; download into a directory"),
    ]),
    BadScript("download of a variable outside its loop body", "foreach id in /dev/null { show last; download 1️⃣$id to a }", [
        (.deleteOutsideLoopBody, "'download $id' must be a step of the body of the foreach that reads 'id': foreach id in FILE { download $id to DIR; delete $id }"),
        (.loopBodyNotDelete, nil),
    ], unordered: true),
    BadScript("a purge by sip-call", "foreach id in recordings where created before 90d and 1️⃣sip-call abc delete $id", [
        (.unverifiableQueryField, "a purge cannot use 'sip-call': a recording does not say its SIP Call-ID, so tnx could not check that each one listed really matches; list them ('list recordings where sip-call …'), then delete them by id"),
    ]),
    BadScript("an empty value", "count recordings where from 1️⃣\"\"", [
        (.missingValue, "'from' needs a value that is not empty (the calling number, as the API has it (\"+15551234567\"))"),
    ]),
    BadScript("recordings beside a file named recordings", "foreach id in 1️⃣recordings delete $id", [
        (.ambiguousRecordings, "'recordings' here is a query, every recording of the account, but a file named recordings is in \(recordingsDirectory): write \"recordings\" (quoted) to read the ids in the file, or add 'where …' to the query"),
    ], directory: recordingsDirectory),
    BadScript("a literal id of show recording", "show recording 1️⃣../etc", [
        (.invalidRecordingID, nil),
    ]),
]

/// A directory holding a file named `recordings` (what an id file was called before queries).
let recordingsDirectory: String = {
    let directory = NSTemporaryDirectory() + "tnx-recordings-file"
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    _ = FileManager.default.createFile(atPath: directory + "/recordings", contents: Data("3fa85f64-5717-4562-b3fc-2c963f66afa6\n".utf8))
    return directory
}()

/// `n` nested foreach blocks, one per line, each binding its own variable; a marker starts
/// line `markingLine`.
func deepNest(_ n: Int, markingLine: Int) -> String {
    var text = ""
    for i in 0..<n { text += (i + 1 == markingLine ? "1️⃣" : "") + "foreach v\(i) in f {\n" }
    text += "delete $v0\n" + String(repeating: "}\n", count: n)
    return text
}

@Suite("Every diagnostic, at its place, with its words")
struct DiagnosticTableTests {
    /// What `tnx --check` reports for `bad`: the parser's diagnostics and the planner's checks.
    static func diagnose(_ bad: BadScript) -> [Diagnostic] {
        var settings = Settings()
        settings.dryRunLocked = bad.dryRunLocked
        let parameters = try! ScriptParameters(definitions: bad.parameters, directory: nowhere)
        return ScriptChecker.diagnose(
            SourceFile(name: "t.tnx", bytes: bad.bytes), context: ScriptContext(origin: bad.origin, directory: bad.directory, parameters: parameters),
            settings: settings
        ).1
    }

    @Test(arguments: badScripts)
    func badScriptReportsExactly(_ bad: BadScript) {
        var got = Self.diagnose(bad).filter { $0.severity == .error }
        if !bad.firstOnly { got = Array(got.suffix(bad.expected.count)) }
        #expect(got.count == bad.expected.count, "got \(got)")
        var expected = Array(zip(bad.expected, bad.places))
        if bad.unordered {
            expected.sort { $0.0.id.rawValue < $1.0.id.rawValue }
            got.sort { $0.id.rawValue < $1.id.rawValue }
        }
        for (g, (e, place)) in zip(got, expected) {
            #expect(g.id == e.id)
            if !bad.unordered { #expect(g.location.offset == place, "place of \(g.id.rawValue): \(g.location)") }
            if let message = e.message { #expect(g.message == message) }
            #expect(g.location.file == "t.tnx")
        }
    }

    @Test("a date in the future, said against the moment of the check")
    func futureTimeAgainstNow() {
        let source = SourceFile(name: "t.tnx", text: "count recordings where created before 2999-01-01")
        let now: Int64 = 1_735_689_600_000  // 2025-01-01T00:00:00Z
        let diagnostics = Planner.check(Frontend.parse(source).script, context: ScriptContext(origin: .file, directory: nowhere), now: now)
        #expect(diagnostics.map(\.id) == [.futureTime])
        #expect(
            diagnostics.map(\.message) == [
                "2999-01-01T00:00:00Z is in the future (it is 2025-01-01T00:00:00Z now); a query's times are in the past: check the date"
            ])
    }

    @Test("every diagnostic id has a bad script in the table")
    func everyIDHasAnExample() {
        let covered = Set(badScripts.flatMap { $0.expected.map(\.id) })
        for id in DiagnosticID.allCases { #expect(covered.contains(id), "no bad script produces \(id.rawValue)") }
    }
}
