import TerminalText

/// Draws diagnostics the way compilers do:
///
///     cleanup.tnx:3:12: error: expected 'in' after loop variable 'id'
///     foreach id delete $id
///                ^~~~~~
///
/// The echoed line is made safe for a terminal: tabs are expanded (tab stops of 8), control
/// characters and bidirectional overrides are shown as `<U+001B>`, invalid bytes as `<FF>`.
/// A line wider than `maxWidth` columns is clipped around the caret with `…`.
public enum DiagnosticPrinter {
    public static let maxWidth = 100


    /// Every diagnostic, each followed by its source line and caret.
    public static func render(_ diagnostics: [Diagnostic], source: SourceFile?, colour: Bool = false) -> String {
        diagnostics.map { render($0, source: source, colour: colour) }.joined()
    }

    /// One diagnostic: the `file:line:column: severity: message` line, then (when the source
    /// is given and the place lies in it) the source line and a caret line. Ends with "\n".
    public static func render(_ d: Diagnostic, source: SourceFile?, colour: Bool = false) -> String {
        let message = TerminalText.sanitized(d.message)
        let style = ANSIStyle(on: colour)
        let severityColour: ANSIStyle.Code = switch d.severity {
        case .error: .boldRed
        case .warning: .boldYellow
        case .note: .boldCyan
        }
        var out = style.paint(TerminalText.sanitized(d.location.description, limit: 300) + ": ", .bold)
            + style.paint(d.severity.rawValue + ":", severityColour) + " " + style.paint(message, .bold) + "\n"
        guard let source, let excerpt = excerpt(d, source.bytes) else { return out }
        out += excerpt.line + "\n"
        let caret = "^" + String(repeating: "~", count: max(0, excerpt.caretWidth - 1))
        out += String(repeating: " ", count: excerpt.caretPad) + style.paint(caret, .boldGreen) + "\n"
        return out
    }

    private struct Piece {
        var text: String
        var width: Int
        var offset: Int
    }

    /// The safe text of the diagnostic's line (clipped), the caret's column in it and its width.
    private static func excerpt(_ d: Diagnostic, _ bytes: [UInt8]) -> (line: String, caretPad: Int, caretWidth: Int)? {
        let offset = d.location.offset
        guard offset >= 0, offset <= bytes.count else { return nil }
        // The line holding `offset`; a diagnostic on a line end belongs to the line it ends.
        var lineStart = offset
        while lineStart > 0, bytes[lineStart - 1] != 0x0A { lineStart -= 1 }
        if lineStart == 0, bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { lineStart = min(3, offset) }
        var lineEnd = offset
        while lineEnd < bytes.count, bytes[lineEnd] != 0x0A { lineEnd += 1 }
        if lineEnd > lineStart, lineEnd < bytes.count, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }

        // On a very long line render only a stretch around the caret.
        let span = 4 * maxWidth
        var from = lineStart
        if offset - lineStart > span {
            from = offset
            var scalars = 0
            while from > lineStart, scalars < maxWidth / 2 {
                from -= 1
                var back = 0
                while from > lineStart, back < 3, bytes[from] & 0xC0 == 0x80 { from -= 1; back += 1 }
                scalars += 1
            }
        }
        let to = min(lineEnd, max(offset, from) + span)

        var pieces: [Piece] = []
        var cells = 0
        var p = from
        while p < to {
            let (length, kind) = Lexer.decode(bytes, at: p)
            let piece: Piece
            switch kind {
            case .invalid:
                piece = Piece(text: "<" + hex2(bytes[p]) + ">", width: 4, offset: p)
            case .nul, .control:
                if bytes[p] == 0x09 {
                    let w = 8 - cells % 8
                    piece = Piece(text: String(repeating: " ", count: w), width: w, offset: p)
                } else {
                    let v: UInt32 = length == 1 ? UInt32(bytes[p]) : UInt32(bytes[p + 1])
                    piece = Piece(text: "<U+" + TerminalText.hex(v) + ">", width: 8, offset: p)
                }
            case .ok:
                let s = String(decoding: bytes[p..<min(p + length, bytes.count)], as: UTF8.self)
                if let scalar = s.unicodeScalars.first, TerminalText.isUnsafe(scalar) {
                    let text = "<U+" + TerminalText.hex(scalar.value) + ">"
                    piece = Piece(text: text, width: text.count, offset: p)
                } else {
                    piece = Piece(text: s, width: 1, offset: p)
                }
            }
            pieces.append(piece)
            cells += piece.width
            p += length
        }
        let leftCut = from > lineStart
        let rightCut = p < lineEnd

        // Cell where the caret starts, and the cells its columns cover.
        var caretCell = cells
        var caretEnd = cells
        var cell = 0
        var found = false
        var covered = 0
        for piece in pieces {
            if !found, piece.offset >= offset {
                found = true
                caretCell = cell
            }
            if found {
                if covered == d.length { caretEnd = cell; break }
                covered += 1
            }
            cell += piece.width
            caretEnd = cell
        }
        if !found { caretEnd = caretCell + 1 }

        var windowStart = 0
        var windowEnd = cells
        if cells > maxWidth {
            windowStart = max(0, min(caretCell - maxWidth / 3, cells - maxWidth))
            windowEnd = windowStart + maxWidth
        }
        var line = ""
        var first = -1
        cell = 0
        var lastEnd = 0
        for piece in pieces {
            if cell >= windowStart, cell + piece.width <= windowEnd {
                if first < 0 { first = cell }
                line += piece.text
                lastEnd = cell + piece.width
            }
            cell += piece.width
        }
        if first < 0 { first = windowStart; lastEnd = windowStart }
        let cutLeft = leftCut || first > 0
        let cutRight = rightCut || lastEnd < cells
        let pad = (cutLeft ? 1 : 0) + max(0, caretCell - first)
        let width = max(1, min(caretEnd, max(lastEnd, caretCell + 1)) - caretCell)
        return ((cutLeft ? "…" : "") + line + (cutRight ? "…" : ""), pad, width)
    }

    private static func hex2(_ b: UInt8) -> String {
        let s = String(b, radix: 16, uppercase: true)
        return s.count == 1 ? "0" + s : s
    }
}
