import TnxLanguage

/// Recognises an id file given as a script (`tnx ids.txt`): its lines are "unknown
/// statements" that look like recording ids. After a few of them, tnx says what was probably
/// meant instead of listing fifty errors.
enum IDFileAsScript {
    /// The note to print, or nil when the source does not look like an id file.
    static func note(for diagnostics: [Diagnostic], source: SourceFile) -> String? {
        let unknown = diagnostics.filter { $0.id == .unknownStatement || $0.id == .expectedStatement }
        guard unknown.count >= 2 else { return nil }
        let idLike = unknown.filter { looksLikeID(word(at: $0.location.offset, in: source.bytes)) }
        guard idLike.count * 2 >= unknown.count, idLike.count >= 2 else { return nil }
        let name = source.name.contains(" ") ? "\"\(source.name)\"" : source.name
        return "\(source.name) looks like a file of recording ids, not a script: to delete the ids it lists, "
            + "run tnx --dry-run -c 'foreach id in \(name) delete $id' to see them, then the same with --yes"
    }

    private static func word(at offset: Int, in bytes: [UInt8]) -> String {
        var end = offset
        while end < bytes.count, !(bytes[end] == 0x20 || bytes[end] == 0x09 || bytes[end] == 0x0A || bytes[end] == 0x0D) { end += 1 }
        return String(decoding: bytes[min(offset, bytes.count)..<end], as: UTF8.self)
    }

    /// A UUID, or a word of id characters with both digits and letters.
    private static func looksLikeID(_ word: String) -> Bool {
        if IDSet.uuidValue(word) != nil { return true }
        guard word.count >= 8, word.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }) else {
            return false
        }
        return word.contains(where: \.isNumber) && word.contains(where: \.isLetter)
    }
}
