import TnxSystem

/// The answer of a completer: replace the text from `replaceStart` up to the cursor with one of
/// `candidates`.
///
/// A candidate is the whole replacement text and carries its own suffix: `"foreach "` (a
/// keyword followed by a space), `"exports/"` (a directory), `"ids.txt "`. With one candidate
/// the editor inserts it; with several it inserts their longest common prefix, or, when that
/// adds nothing, lists them under the line (without a trailing space, and for paths only the
/// last component); with none it beeps.
public struct CompletionResult: Equatable, Sendable {
    public var replaceStart: String.Index
    public var candidates: [String]

    public init(replaceStart: String.Index, candidates: [String]) {
        self.replaceStart = replaceStart
        self.candidates = candidates
    }

    /// Nothing to offer (beeps).
    public static func none(at cursor: String.Index) -> CompletionResult {
        CompletionResult(replaceStart: cursor, candidates: [])
    }

    /// The start of the word that ends at `cursor` (words are separated by whitespace, `;`, `{`
    /// and `}`); a convenience for completers.
    public static func wordStart(in line: String, cursor: String.Index) -> String.Index {
        var index = cursor
        while index > line.startIndex {
            let before = line.unicodeScalars.index(before: index)
            let scalar = line.unicodeScalars[before]
            if scalar.properties.isWhitespace || scalar == ";" || scalar == "{" || scalar == "}" { break }
            index = before
        }
        return index
    }

    /// Longest common prefix, by characters.
    static func commonPrefix(of strings: [String]) -> String {
        guard let first = strings.first else { return "" }
        var prefix = first[...]
        for string in strings.dropFirst() {
            var a = prefix.startIndex
            var b = string.startIndex
            while a < prefix.endIndex, b < string.endIndex, prefix[a] == string[b] {
                a = prefix.index(after: a)
                b = string.index(after: b)
            }
            prefix = prefix[..<a]
            if prefix.isEmpty { break }
        }
        return String(prefix)
    }

    /// How a candidate is listed: no trailing space or closing quote; for a path, its last
    /// component (keeping a directory's `/`).
    static func display(of candidate: String) -> String {
        var text = Substring(candidate)
        while text.last == " " { text.removeLast() }
        if text.last == "\"" && text.dropLast().contains("\"") { text.removeLast() }
        let isDirectory = text.hasSuffix("/")
        let body = isDirectory ? text.dropLast() : text
        if let slash = body.lastIndex(of: "/") {
            text = body[body.index(after: slash)...]
            return String(text) + (isDirectory ? "/" : "")
        }
        if text.first == "\"" { text.removeFirst() }
        return String(text)
    }

    /// Lays `items` out in columns, sorted down the columns like `ls`, each line ending in "\n".
    static func columns(_ items: [String], width: Int) -> String {
        let items = items.sorted()
        let cell = (items.map(\.count).max() ?? 0) + 2
        let perLine = max(1, width / max(cell, 1))
        let rows = (items.count + perLine - 1) / perLine
        var output = ""
        for row in 0..<rows {
            var line = ""
            for column in 0..<perLine {
                let index = column * rows + row
                guard index < items.count else { break }
                let item = items[index]
                line += item
                if (column + 1) * rows + row < items.count {
                    line += String(repeating: " ", count: cell - item.count)
                }
            }
            output += line + "\n"
        }
        return output
    }
}

/// File-name completion, reusable by any completer.
public enum FilePathCompletion {
    /// The paths that complete `prefix` (a path as typed: relative, absolute, or starting with
    /// `~/`, optionally opened with `"`). Hidden entries appear only when the last component of
    /// the prefix starts with `.`. Directories end in `/`; files end in `fileSuffix`.
    ///
    /// Quoting: a name with a space, `"`, `\`, `;`, `{`, `}`, `#` or `$` (or any prefix that
    /// already starts with `"`) comes back as a quoted `.tnx` string, opened with `"`, inner
    /// `"` and `\` escaped, and closed (`"` then `fileSuffix`) for files only, so a directory can
    /// be completed further.
    public static func candidates(prefix: String, fileSuffix: String = " ") -> [String] {
        var typed = prefix
        let quoted = typed.hasPrefix("\"")
        if quoted { typed = unescape(String(typed.dropFirst())) }

        let directoryPart: String    // as typed, up to and including the last "/"
        let namePrefix: String
        if let slash = typed.lastIndex(of: "/") {
            directoryPart = String(typed[...slash])
            namePrefix = String(typed[typed.index(after: slash)...])
        } else {
            directoryPart = ""
            namePrefix = typed
        }
        var directoryToList = directoryPart.isEmpty ? "." : directoryPart
        if directoryToList == "~/" || directoryToList.hasPrefix("~/"), let home = Executable.environment["HOME"] {
            directoryToList = home + directoryToList.dropFirst()
        }

        var results: [String] = []
        let showHidden = namePrefix.hasPrefix(".")
        for (name, isDirectory) in Directories.entries(of: directoryToList) {
            if name.hasPrefix(".") && !showHidden { continue }
            guard name.hasPrefix(namePrefix) else { continue }
            let path = directoryPart + name
            if quoted || needsQuoting(path) {
                results.append("\"" + escape(path) + (isDirectory ? "/" : "\"" + fileSuffix))
            } else {
                results.append(path + (isDirectory ? "/" : fileSuffix))
            }
        }
        return results.sorted()
    }

    static func needsQuoting(_ path: String) -> Bool {
        path.unicodeScalars.contains { " \t\"\\;{}#$'".unicodeScalars.contains($0) }
    }

    static func escape(_ path: String) -> String {
        var out = ""
        for character in path {
            if character == "\"" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out
    }

    static func unescape(_ text: String) -> String {
        var out = ""
        var escaping = false
        for character in text {
            if escaping {
                out.append(character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else if character == "\"" {
                break
            } else {
                out.append(character)
            }
        }
        return out
    }
}
