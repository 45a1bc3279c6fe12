import CEditLineShim
import CLibEdit
import TnxSystem

#if canImport(Glibc)
import Glibc  // setlocale, strdup and free around libedit's C interface
#endif

/// What one `readLine` produced.
public enum ReadResult: Equatable, Sendable {
    /// A line (without its trailing newline). It may contain newlines when a multi-line
    /// history entry was recalled and accepted.
    case line(String)
    /// Ctrl-C at the prompt: the line was abandoned (the screen shows it followed by `^C`).
    case interrupted
    /// Ctrl-D on an empty line (or end of input).
    case endOfFile
}

public enum LineEditorError: Error, Equatable, Sendable {
    /// `el_init` or `history_init` failed.
    case cannotInitialize(String)
}

/// libedit behind a small Swift type: prompt, emacs bindings (or whatever the user's editrc
/// chooses), UTF-8 input, history persisted to a file (mode 0600, saved after every entry),
/// TAB completion computed in Swift, and Ctrl-C at the prompt as a key that abandons the line.
///
/// Owned and used by one thread (the main thread of a synchronous `main`; see
/// `StopSignals` in TnxSystem for why `main` must not be async). Not `Sendable`.
///
/// History of multi-line entries: an entry typed over several lines (an open `{`) is stored as
/// ONE history entry whose lines are joined with `"\n"`. libedit's file format escapes the
/// newline (`strvis`), Up-arrow recalls the whole block at once and libedit draws it over
/// several screen lines; Return accepts the whole block, which `readLine` returns complete.
public final class LineEditor {
    /// Called with every entry before it is recorded; return `false` to keep it out of the
    /// history (e.g. lines that mention `api-key` or contain the current key).
    public var historyFilter: (String) -> Bool = { _ in true }

    /// TAB completion: given the whole line and the cursor (an index into that line), says what
    /// to replace (from `replaceStart` up to the cursor) and with which candidates.
    public var completer: ((_ line: String, _ cursor: String.Index) -> CompletionResult)?

    /// The history file, if any.
    public let historyFile: String?

    /// The last error met while creating, loading or saving the history file (nil when fine).
    /// The editor keeps working without a file.
    public private(set) var historyError: String?

    let editLine: OpaquePointer
    let history: OpaquePointer
    private var promptBuffer: UnsafeMutablePointer<CChar>
    /// The prompt as given to `readLine`, put back after a history search.
    private(set) var currentPrompt = ""
    /// Set by the ^C key function while `el_gets` runs.
    fileprivate var abandoned = false
    /// The line and cursor of the last TAB that found several candidates and nothing to
    /// insert: a second TAB there lists them (as readline does), the first only beeps.
    private var ambiguousAt: (line: String, cursor: Int)?

    /// - Parameters:
    ///   - programName: selects `programName:` lines in the user's `~/.editrc`.
    ///   - historyFile: loaded now, rewritten after every entry; its directory is created
    ///     (mode 0700) when missing. nil: history lives in memory only.
    ///   - historySize: the most entries kept (in memory and in the file).
    public init(programName: String = "tnx", historyFile: String?, historySize: Int = 1000) throws {
        // First: under the C locale libedit silently drops non-ASCII input.
        setlocale(LC_ALL, "")
        guard let editLine = cel_init(programName) else {
            throw LineEditorError.cannotInitialize("el_init failed")
        }
        guard let history = cel_history_init(Int32(clamping: max(1, historySize))) else {
            el_end(editLine)
            throw LineEditorError.cannotInitialize("history_init failed")
        }
        self.editLine = editLine
        self.history = history
        self.historyFile = historyFile
        self.promptBuffer = strdup("")!

        cel_history_setunique(history, 1)
        // The C callbacks find this object through EL_CLIENTDATA (unretained: `self` owns
        // `editLine`, and `deinit` ends it before `self` goes away).
        cel_set_clientdata(editLine, Unmanaged.passUnretained(self).toOpaque())
        cel_set_prompt(editLine, lineEditorPrompt)
        // No libedit signal handlers: they race libdispatch's (see StopSignals in TnxSystem).
        cel_set_signal(editLine, 0)
        cel_set_editor(editLine, "emacs")
        cel_set_hist(editLine, history)
        // The user's editrc, before our own bindings (a `bind -v` in it wipes earlier ones).
        _ = cel_source_default(editLine)
        cel_add_fn(editLine, "tnx-interrupt", "Abandon the line (Ctrl-C)", lineEditorInterrupt)
        cel_add_fn(editLine, "tnx-complete", "Complete the word before the cursor", lineEditorComplete)
        cel_add_fn(editLine, "tnx-search", "Search the history as you type (Ctrl-R)", lineEditorSearch)
        cel_bind(editLine, "^C", "tnx-interrupt")
        cel_bind(editLine, "^I", "tnx-complete")
        // libedit's own incremental search prompts `bck:`; this one says what it does.
        cel_bind(editLine, "^R", "tnx-search")
        // While editing, ^C is a key, not SIGINT; ISIG stays on (^Z still suspends).
        cel_setty(editLine, "-d", "-intr", nil)

        if let historyFile {
            loadHistory(from: historyFile)
        }
    }

    deinit {
        el_end(editLine)  // restores the terminal
        history_end(history)
        free(promptBuffer)
    }

    // MARK: Reading

    /// Reads one line with `prompt` (ANSI colour sequences in it are handled).
    public func readLine(prompt: String) -> ReadResult {
        setPrompt(prompt)
        abandoned = false
        el_resize(editLine)  // EL_SIGNAL is off: pick up a window resized since last time
        // Edit mode before the prompt appears, not at the first key (see cel_prep_term).
        let editing = cel_get_editmode(editLine) != 0  // `edit off` in editrc: no raw mode
        if editing { cel_prep_term(editLine, 1) }
        var count: Int32 = 0
        let pointer = el_gets(editLine, &count)
        // Copy at once: libedit reuses the buffer.
        let bytes: [UInt8]
        if let pointer, count > 0 {
            bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: Int(count)))
        } else {
            bytes = []
        }
        if abandoned {
            abandoned = false
            return .interrupted
        }
        if bytes.isEmpty {
            // Ctrl-D leaves the cursor after the prompt: end the line for whatever comes next.
            if editing { cel_write_output(editLine, "\n") }
            return .endOfFile
        }
        var end = bytes.count
        while end > 0, bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return .line(String(decoding: bytes[..<end], as: UTF8.self))
    }

    /// Reads a line with echo off, straight from the terminal, never touching the history.
    /// nil on Ctrl-C, Ctrl-D or end of input. When stdin is not a terminal, reads a plain line.
    public func readSecret(prompt: String) -> String? {
        LineEditor.readSecret(prompt: prompt)
    }

    /// `readSecret` without an editor (e.g. before the REPL starts).
    public static func readSecret(prompt: String) -> String? {
        let capacity = 8192
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: capacity)
        defer {
            memset(buffer, 0, capacity)  // do not leave the secret lying in freed memory
            buffer.deallocate()
        }
        let length = cel_read_secret(STDIN_FILENO, STDOUT_FILENO, prompt, buffer, capacity)
        if length == -3 {
            FileDescriptor.writeAll(STDOUT_FILENO, prompt)
            return readPlainLine()
        }
        FileDescriptor.writeAll(STDOUT_FILENO, "\n")
        guard length >= 0 else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: buffer, count: Int(length)), as: UTF8.self)
    }

    // MARK: History

    /// Records `entry` (trailing newlines dropped) and saves the history file at once.
    /// Not recorded: empty or blank entries, entries starting with a space (as HISTCONTROL
    /// ignorespace), and entries `historyFilter` refuses. Multi-line entries are stored whole.
    public func addToHistory(_ entry: String) {
        var entry = entry
        while entry.last == "\n" || entry.last == "\r\n" || entry.last == "\r" { entry.removeLast() }
        guard !entry.isEmpty, !entry.hasPrefix(" "), !entry.hasPrefix("\t"),
              entry.contains(where: { !$0.isWhitespace }),
              historyFilter(entry)
        else { return }
        cel_history_enter(history, entry)
        saveHistory()
    }

    private func loadHistory(from path: String) {
        if let error = Directories.createParent(of: path) {
            historyError = error
            return
        }
        guard FileKind.of(path).isRegular else { return }  // no file yet
        Directories.restrictToOwner(path)
        if cel_history_load(history, path) < 0 {
            historyError = "cannot read history file \(path)"
        }
    }

    private func saveHistory() {
        guard let historyFile else { return }
        let temporary = "\(historyFile).\(getpid()).tmp"
        if cel_history_save_atomic(history, historyFile, temporary) < 0 {
            historyError = "cannot save history file \(historyFile): \(SystemError(errno))"
        } else {
            historyError = nil
        }
    }

    // MARK: Prompt

    private func setPrompt(_ prompt: String) {
        currentPrompt = prompt
        setShownPrompt(prompt)
    }

    /// Changes what the prompt shows (a search shows its own) without forgetting the prompt.
    func setShownPrompt(_ prompt: String) {
        free(promptBuffer)
        promptBuffer = strdup(LineEditor.bracketEscapes(prompt))!
    }

    /// Brackets ANSI escape sequences with libedit's zero-width marker so the cursor column is
    /// computed from the visible characters only.
    static func bracketEscapes(_ prompt: String) -> String {
        guard prompt.utf8.contains(0x1B) else { return prompt }
        let marker = Character(Unicode.Scalar(UInt8(CEL_PROMPT_ESCAPE)))
        var result = ""
        var inEscape = false
        for scalar in prompt.unicodeScalars {
            if scalar == "\u{1B}", !inEscape {
                result.append(marker)
                inEscape = true
                result.unicodeScalars.append(scalar)
            } else if inEscape {
                result.unicodeScalars.append(scalar)
                // CSI sequences end with a letter (e.g. `m`); `[` is part of the introducer.
                if scalar != "[" && (("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar)) {
                    result.append(marker)
                    inEscape = false
                }
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        if inEscape { result.append(marker) }
        return result
    }

    // MARK: Callbacks (run on the thread inside el_gets)

    fileprivate static func from(_ editLine: OpaquePointer) -> LineEditor? {
        guard let data = cel_get_clientdata(editLine) else { return nil }
        return Unmanaged<LineEditor>.fromOpaque(data).takeUnretainedValue()
    }

    fileprivate var prompt: UnsafeMutablePointer<CChar> { promptBuffer }

    func interrupt() -> UInt8 {
        abandoned = true
        // Show `^C` after the whole line, then end it.
        let info = el_line(editLine)!.pointee
        el_cursor(editLine, Int32(clamping: info.lastchar - info.cursor))
        el_insertstr(editLine, "^C")
        el_push(editLine, "\n")
        return UInt8(CC_REFRESH)
    }

    fileprivate func complete() -> UInt8 {
        guard let completer else { return UInt8(CC_REFRESH_BEEP) }
        let info = el_line(editLine)!.pointee
        let total = info.lastchar - info.buffer
        let cursorOffset = info.cursor - info.buffer
        let bytes = Array(UnsafeBufferPointer(
            start: UnsafeRawPointer(info.buffer!).assumingMemoryBound(to: UInt8.self), count: total))
        let line = String(decoding: bytes, as: UTF8.self)
        // The cursor is a byte offset; it counts the same UTF-8 bytes as `line.utf8` unless the
        // buffer held invalid UTF-8 (replaced by U+FFFD), so clamp.
        let cursor = line.utf8.index(line.utf8.startIndex, offsetBy: min(cursorOffset, line.utf8.count))
        let result = completer(line, cursor)
        let start = min(max(result.replaceStart, line.startIndex), cursor)
        let typed = String(line.unicodeScalars[start..<cursor])

        var seen = Set<String>()
        let candidates = result.candidates.filter { seen.insert($0).inserted }
        guard !candidates.isEmpty else { return UInt8(CC_REFRESH_BEEP) }

        let replacement = candidates.count == 1 ? candidates[0] : CompletionResult.commonPrefix(of: candidates)
        if replacement != typed {
            if replacement.hasPrefix(typed) {
                let rest = String(replacement.unicodeScalars.dropFirst(typed.unicodeScalars.count))
                el_insertstr(editLine, rest)
                return UInt8(CC_REFRESH)
            }
            if candidates.count == 1 {
                el_deletestr(editLine, Int32(typed.unicodeScalars.count))
                el_insertstr(editLine, replacement)
                return UInt8(CC_REFRESH)
            }
        }
        if candidates.count == 1 { return UInt8(CC_REFRESH) }
        // Several candidates and nothing more to insert: the first TAB beeps, the second in
        // the same place lists them below the line.
        let here = (line: line, cursor: cursorOffset)
        guard let previous = ambiguousAt, previous.line == here.line, previous.cursor == here.cursor else {
            ambiguousAt = here
            return UInt8(CC_REFRESH_BEEP)
        }
        ambiguousAt = nil
        let listing = CompletionResult.columns(
            candidates.map(CompletionResult.display(of:)), width: Int(cel_terminal_columns(editLine)))
        cel_write_output(editLine, "\n" + listing)
        return UInt8(CC_REDISPLAY)
    }
}

/// Owned by one thread: libedit is not thread-safe, and the callbacks run inside `el_gets`.
@available(*, unavailable)
extension LineEditor: Sendable {}

// The C callbacks. They find their `LineEditor` through EL_CLIENTDATA, never a global.

private let lineEditorPrompt: cel_prompt_fn = { editLine in
    LineEditor.from(editLine)?.prompt
}

private let lineEditorInterrupt: cel_command_fn = { editLine, _ in
    LineEditor.from(editLine)?.interrupt() ?? UInt8(CC_ERROR)
}

private let lineEditorComplete: cel_command_fn = { editLine, _ in
    LineEditor.from(editLine)?.complete() ?? UInt8(CC_ERROR)
}

private let lineEditorSearch: cel_command_fn = { editLine, _ in
    LineEditor.from(editLine)?.search() ?? UInt8(CC_ERROR)
}

// MARK: - Small helpers

/// Reads bytes from stdin up to a newline (not included); nil at end of input with nothing read.
func readPlainLine() -> String? {
    var bytes: [UInt8] = []
    var byte: UInt8 = 0
    while true {
        let n = FileDescriptor.read(STDIN_FILENO, into: &byte, count: 1)
        if n <= 0 { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
        if byte == UInt8(ascii: "\n") { break }
        bytes.append(byte)
    }
    if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
    return String(decoding: bytes, as: UTF8.self)
}
