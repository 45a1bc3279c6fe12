import CEditLineShim
import CLibEdit

extension LineEditor {
    /// Ctrl-R: searches the history, newest first, for entries holding what is typed, showing
    /// `(search history: "text")` as the prompt and the match as the line. Ctrl-R again finds
    /// an older match; Return runs the match; Ctrl-G puts the line back as it was; Ctrl-C
    /// abandons it; any other key ends the search with the match to edit.
    func search() -> UInt8 {
        let original = currentLine()
        var query: [UInt8] = []
        var index: Int? = nil
        var failing = false

        func entry(_ i: Int) -> String? { cel_history_entry(history, Int32(i)).map { String(cString: $0) } }
        func find(from start: Int) -> Int? {
            let needle = String(decoding: query, as: UTF8.self)
            var i = start
            while let text = entry(i) {
                if needle.isEmpty || text.contains(needle) { return i }
                i += 1
            }
            return nil
        }
        func show() {
            let needle = String(decoding: query, as: UTF8.self)
            setShownPrompt(failing ? "(no earlier match: \"\(needle)\") " : "(search history: \"\(needle)\") ")
            replaceLine(with: index.flatMap(entry) ?? original)
            _ = cel_refresh(editLine)
        }
        func end() {
            setShownPrompt(currentPrompt)
            _ = cel_refresh(editLine)
        }

        show()
        while true {
            var c: CChar = 0
            guard el_getc(editLine, &c) == 1 else {
                end()
                return UInt8(CC_REFRESH)
            }
            switch UInt8(bitPattern: c) {
            case 0x12:  // ^R: an older match
                if let next = find(from: (index ?? -1) + 1) { index = next; failing = false } else { failing = true }
            case 0x7F, 0x08:  // Backspace
                if !query.isEmpty { query.removeLast() }
                index = query.isEmpty ? nil : find(from: 0)
                failing = !query.isEmpty && index == nil
            case 0x07:  // ^G: give up, the line as it was
                index = nil
                replaceLine(with: original)
                end()
                return UInt8(CC_REFRESH)
            case 0x03:  // ^C
                end()
                return interrupt()
            case 0x0D, 0x0A:  // Return: run the match
                end()
                el_push(editLine, "\n")
                return UInt8(CC_REFRESH)
            case let byte where byte >= 0x20:
                query.append(byte)
                if let match = find(from: index ?? 0) { index = match; failing = false } else { failing = true }
            default:  // any other key: stop searching, keep the match, and act on the key
                end()
                el_push(editLine, String(decoding: [UInt8(bitPattern: c)], as: UTF8.self))
                return UInt8(CC_REFRESH)
            }
            show()
        }
    }

    /// The whole line being edited.
    private func currentLine() -> String {
        let info = el_line(editLine)!.pointee
        let count = info.lastchar - info.buffer
        return String(decoding: UnsafeBufferPointer(
            start: UnsafeRawPointer(info.buffer!).assumingMemoryBound(to: UInt8.self), count: count), as: UTF8.self)
    }

    /// Replaces the whole line being edited with `text`, the cursor at its end.
    private func replaceLine(with text: String) {
        let info = el_line(editLine)!.pointee
        el_cursor(editLine, Int32(clamping: info.lastchar - info.cursor))
        let scalars = currentLine().unicodeScalars.count
        if scalars > 0 { el_deletestr(editLine, Int32(clamping: scalars)) }
        if !text.isEmpty { el_insertstr(editLine, text) }
    }
}
