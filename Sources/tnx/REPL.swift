import LineEditor
import Synchronization
import TelnyxRecordings
import TnxInterpreter
import TnxLanguage
import TnxSystem

/// The interactive shell: libedit on the main thread, each entry run through the same
/// `Interpreter.run` as a script, in a Task that Ctrl-C cancels.
enum REPL {
    static func run(
        command: TnxCommand, settings: Settings, profile: String?, environment: InterpreterEnvironment, connection: Connection,
        processEnvironment: [String: String], signals: StopSignalWatcher
    ) -> Int32 {
        var environment = environment
        let client = connection.client
        // Keys this session knows, so that no history line ever holds one. (A class: a
        // `Mutex` is not copyable and cannot be captured by the escaping closures below.)
        let keys = connection.secrets
        environment.askConfirmation = { question in await TerminalQuestion.confirm(question) }
        environment.noKeyAdvice = KeyOrigin.missing(shell: true)
        environment.resumeAdvice = "type 'set resume on' and run it again to go on"
        environment.enterAPIKey = {
            // Whatever the statement printed before must be on the screen before the prompt,
            // which `readSecret` writes straight to the terminal.
            FileOutput.standardOutput.flush()
            guard let key = LineEditor.readSecret(prompt: "API key (input hidden): "), !key.isEmpty else { return .unchanged }
            keys.add(key)
            do throws(ConfigurationError) {
                try client.setAPIKey(key, origin: .entered)
            } catch {
                return .refused(error.message)
            }
            return .set
        }
        let interpreter = Interpreter(settings: settings, environment: environment)
        let editor: LineEditor
        do {
            editor = try LineEditor(programName: "tnx", historyFile: historyPath(processEnvironment), historySize: 1000)
        } catch {
            Messages.error("cannot start the line editor: \(error)")
            return RunStatus.usage.exitCode
        }
        if let problem = editor.historyError {
            Messages.warning("history will not be saved: \(problem)")
        }
        // Never keep a line that carries a secret.
        editor.historyFilter = { entry in
            !entry.contains("api-key") && !keys.appear(in: entry)
        }
        // The lines already typed for the entry being read (an open `{`), so that completion
        // knows the loop variables bound there.
        let entry = EntryInProgress()
        editor.completer = { line, cursor in
            let completion = Completer.complete(
                line: line, cursor: cursor, previousLines: entry.previousLines, parameters: environment.parameters.names)
            return .init(replaceStart: completion.replaceStart, candidates: completion.candidates)
        }

        printBanner(interpreter: interpreter, connection: connection, profile: profile)
        let colour = Session.colourAllowed(processEnvironment) && FileOutput.standardError.isTerminal
        while true {
            let dryRun = runBlocking { await interpreter.settings.dryRun }
            let prompt = dryRun ? "tnx[dry-run]> " : "tnx> "
            guard let text = readEntry(editor: editor, prompt: prompt, entry: entry, parameters: environment.parameters, colour: colour) else {
                // Ctrl-D: the line editor has already ended the line.
                FileOutput.standardOutput.flush()
                return 0
            }
            guard text.contains(where: { !$0.isWhitespace }) else { continue }
            editor.addToHistory(text)
            let source = SourceFile(name: "<shell>", text: text)
            let (result, stoppedBy) = TerminalState.withoutControlEcho {
                runBlocking(cancellingOn: signals, onStop: Session.endLineAfterInterrupt) { await interpreter.run(source, origin: .repl) }
            }
            // SIGTERM or SIGHUP stopped the entry the way Ctrl-C does; unlike Ctrl-C it also
            // ends the session.
            if let stoppedBy, stoppedBy != StopSignals.interrupt { return StopSignals.exitStatus(for: stoppedBy) }
            if result.exitRequested { return result.exitCode ?? 0 }
        }
    }

    /// Reads one entry: a line, or the lines of a `{` block up to its `}`. A line that has an
    /// error while the block is still open is shown with its diagnostic and left out, and the
    /// block stays open for the line to be typed again (psql keeps its query buffer the same
    /// way). Ctrl-C abandons the entry; nil at Ctrl-D on an empty first line.
    static func readEntry(editor: LineEditor, prompt: String, entry: EntryInProgress, parameters: ScriptParameters, colour: Bool) -> String? {
        var lines: [String] = []
        defer { entry.previousLines = [] }
        while true {
            entry.previousLines = lines
            switch editor.readLine(prompt: lines.isEmpty ? prompt : "...> ") {
            case .interrupted:
                lines = []
            case .endOfFile:
                // On a continuation line, the entry ends as typed (the parser then reports the
                // block unclosed, as at the end of a script file).
                if lines.isEmpty { return nil }
                return lines.joined(separator: "\n")
            case .line(let line):
                let candidate = (lines + [line]).joined(separator: "\n")
                let source = SourceFile(name: "<shell>", text: candidate)
                let parsed = Frontend.parse(source, parameters: parameters)
                if parsed.isIncomplete {
                    lines.append(line)
                    continue
                }
                let lineStart = candidate.utf8.count - line.utf8.count
                let errors = parsed.diagnostics.filter { $0.severity == .error && $0.id != .unterminatedBlock }
                if parsed.hasOpenBlock, !lines.isEmpty, !errors.isEmpty, errors.allSatisfy({ $0.location.offset >= lineStart }) {
                    FileOutput.standardError.write(DiagnosticPrinter.render(errors, source: source, colour: colour))
                    FileOutput.standardError.write("(that line was left out; the block is still open: type it again, or Ctrl-C to drop the block)\n")
                    continue
                }
                return candidate
            }
        }
    }

    /// `$XDG_STATE_HOME/tnx/history` (or `~/.local/state/tnx/history`).
    static func historyPath(_ environment: [String: String]) -> String {
        let journal = Journal.defaultPath(environment: environment)
        return String(journal.dropLast("journal.jsonl".count)) + "history"
    }

    private static func printBanner(interpreter: Interpreter, connection: Connection, profile: String?) {
        let client = connection.client
        let dryRun = runBlocking { await interpreter.settings.dryRun }
        let key = client.hasAPIKey
            ? "API key set (\(client.keyOrigin?.name ?? "given"))"
            : "no API key (export TELNYX_API_KEY or 'set api-key')"
        let profileText = profile.map { "profile \($0) · " } ?? ""
        let text = "tnx \(TnxCommand.version) · \(profileText)\(key) · \(client.baseURL) · dry-run \(dryRun ? "on" : "off")\n"
            + "Type 'help' for the statements, Ctrl-D to leave.\n"
        FileOutput.standardOutput.write(text)
        FileOutput.standardOutput.flush()
    }
}

/// The API keys this session has seen (environment, `--api-key`, `set api-key`).
final class KnownSecrets: Sendable {
    private let keys: Mutex<[String]>

    init(_ keys: [String]) {
        self.keys = Mutex(keys.filter { !$0.isEmpty })
    }

    func add(_ key: String) {
        guard !key.isEmpty else { return }
        keys.withLock { $0.append(key) }
    }

    var all: [String] { keys.withLock { $0 } }

    /// Whether any of them appears in `text`, as is or percent-encoded.
    func appear(in text: String) -> Bool {
        keys.withLock { $0.contains { key in LinkText.forms(of: key).contains { text.contains($0) } } }
    }

    /// `text` with each of them, in each form, written `***`: for a message built before the
    /// client (whose errors are redacted already) exists, such as a refused base URL's.
    func redacted(_ text: String) -> String {
        var text = text
        for key in all {
            for form in LinkText.forms(of: key) where text.contains(form) { text = text.replacing(form, with: "***") }
        }
        return text
    }
}

/// Shared between `readEntry`'s incompleteness check and the completer (both run on the main
/// thread, inside the line editor).
final class EntryInProgress {
    var previousLines: [String] = []
}

/// TAB completion from the language's own tables (`TnxLanguage.Completion`), plus file names
/// where a file goes. The language speaks in UTF-8 offsets, the line editor in `String.Index`.
enum Completer {
    static func complete(
        line: String, cursor: String.Index, previousLines: [String] = [], parameters: [String] = []
    ) -> (replaceStart: String.Index, candidates: [String]) {
        let utf8 = line.utf8
        let cursorOffset = utf8.distance(from: utf8.startIndex, to: cursor)
        let completion = Completion.candidates(line: line, cursor: cursorOffset, previousLines: previousLines, parameters: parameters)
        let from = min(max(0, completion.replaceFrom), cursorOffset)
        var start = utf8.index(utf8.startIndex, offsetBy: from)
        switch completion.kind {
        case .none:
            return (cursor, [])
        case .words(let words):
            return (start, words.map { $0 + " " })
        case .filePath:
            // The path as typed; for a quoted one the language starts after the quote, while
            // file-name completion wants the quote (it answers with quoted, escaped names).
            var typed = String(decoding: Array(utf8[start..<cursor]), as: UTF8.self)
            if from > 0, utf8[utf8.index(before: start)] == UInt8(ascii: "\"") {
                start = utf8.index(before: start)
                typed = "\"" + typed
            }
            return (start, completion.alsoWords.map { $0 + " " } + FilePathCompletion.candidates(prefix: typed))
        }
    }
}

/// Questions asked while an operation runs (the line editor is idle then): the safety gate's
/// `[y/N]`. Reads straight from the terminal and gives up when the operation is cancelled.
enum TerminalQuestion {
    static func confirm(_ question: String) async -> Bool {
        FileOutput.standardOutput.flush()
        FileOutput.standardError.write(question)
        FileOutput.standardError.flush()
        var answer: [UInt8] = []
        while !Task.isCancelled {
            guard FileDescriptor.waitForInput(0, milliseconds: 100) else { continue }
            var byte: UInt8 = 0
            let n = FileDescriptor.read(0, into: &byte, count: 1)
            if n <= 0 {
                FileOutput.standardError.write("\n")  // end of input: end the question's line
                break
            }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { break }
            answer.append(byte)
        }
        if Task.isCancelled {
            FileOutput.standardError.write("\n")  // the terminal echoed ^C after the question
            return false
        }
        let text = String(decoding: answer, as: UTF8.self).trimmingWhitespace.lowercased()
        return text == "y" || text == "yes"
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
