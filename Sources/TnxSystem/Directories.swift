import CFileShim
import Glibc

/// Directories: made with mode 0700 (`create`), checked for who else may change them, and
/// resolved against a script's own directory.
public enum Directories {
    /// `mkdir -p` of `directory`, each missing directory with `mode` (0700: what tnx writes
    /// holds phone numbers and call metadata). nil on success, else what failed.
    public static func create(_ directory: String, mode: mode_t = 0o700) -> String? {
        var path = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            path += "/" + component
            if mkdir(path, mode) != 0 && errno != EEXIST {
                return "cannot create directory '\(path)': \(SystemError(errno))"
            }
        }
        return nil
    }

    /// Why only this user may not change what is in `directory` (another owner, or group or
    /// others may write to it, or it is a link); nil when they cannot. A file tnx writes there
    /// and reads back later cannot be swapped under it.
    public static func notPrivate(_ directory: String) -> String? {
        var st = stat()
        guard lstat(directory, &st) == 0 else { return "cannot inspect it: \(SystemError(errno))" }
        if (st.st_mode & S_IFMT) != S_IFDIR { return "it is not a directory" }
        if st.st_uid != geteuid() { return "it belongs to another user" }
        if st.st_mode & 0o022 != 0 { return "others may write to it (mode \(String(st.st_mode & 0o777, radix: 8)))" }
        return nil
    }

    /// Why a file tnx runs as this user (a startup file) or its directory cannot be trusted:
    /// it belongs to someone other than this user or root, or others may write to it (as ssh
    /// checks its config); nil when it can.
    public static func notTrusted(_ path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return "cannot inspect it: \(SystemError(errno))" }
        if st.st_uid != geteuid() && st.st_uid != 0 { return "it belongs to another user" }
        if st.st_mode & 0o022 != 0 { return "others may write to it (mode \(String(st.st_mode & 0o777, radix: 8)))" }
        return nil
    }

    /// This user's home directory from the password database, for when `HOME` is not set
    /// (cron, a systemd unit); nil when it has none.
    public static var userHome: String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwuid_r(geteuid(), &entry, &buffer, buffer.count, &result) == 0, result != nil, let dir = entry.pw_dir else { return nil }
        let home = String(cString: dir)
        return home.hasPrefix("/") ? home : nil
    }

    /// Whether `path` is itself a regular file: not a directory, a device, a FIFO, nor a
    /// symbolic link (`lstat`: a link is never followed).
    public static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// Removes an empty directory; whether it is gone.
    @discardableResult
    public static func removeEmpty(_ path: String) -> Bool { rmdir(path) == 0 || errno == ENOENT }

    /// `create` for the directory that holds `path` (nothing when it has none).
    public static func createParent(of path: String, mode: mode_t = 0o700) -> String? {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return nil }
        return create(String(path[..<slash]), mode: mode)
    }

    /// Whether `path` can be read by this process (`access(R_OK)`); nil, or why not.
    public static func unreadable(_ path: String) -> String? {
        switch FileKind.of(path) {
        case .missing(let error): return error.description
        case .directory: return "it is a directory"
        case .regular, .stream:
            return access(path, R_OK) == 0 ? nil : SystemError(errno).description
        }
    }

    /// `path` as an absolute path: kept when it already is one, else under `directory`
    /// (itself absolute). `-` (stdin) stays `-`.
    public static func resolve(_ path: String, in directory: String) -> String {
        if path == "-" || path.hasPrefix("/") { return path }
        var relative = Substring(path)
        while relative.hasPrefix("./") { relative = relative.dropFirst(2) }
        return directory == "/" ? "/" + relative : directory + "/" + relative
    }

    /// The directory that holds the file `path` (relative to the current directory), absolute.
    public static func containing(_ path: String) -> String {
        let absolute = resolve(path, in: current)
        guard let slash = absolute.lastIndex(of: "/") else { return current }
        return slash == absolute.startIndex ? "/" : String(absolute[..<slash])
    }

    /// The names in `directory` (without `.` and `..`), with whether each is a directory;
    /// empty when it cannot be read.
    public static func entries(of directory: String) -> [(name: String, isDirectory: Bool)] {
        var result: [(String, Bool)] = []
        forEachEntry(of: directory) { result.append(($0, $1)) }
        return result
    }

    /// Calls `body` with each entry of `directory` (its name, and whether it is a directory),
    /// one at a time: a directory of millions of files is never held in memory.
    public static func forEachEntry(of directory: String, _ body: (_ name: String, _ isDirectory: Bool) -> Void) {
        guard let handle = opendir(directory) else { return }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            var isDirectory = entry.pointee.d_type == UInt8(DT_DIR)
            if entry.pointee.d_type == UInt8(DT_UNKNOWN) || entry.pointee.d_type == UInt8(DT_LNK) {
                isDirectory = FileKind.of(directory + (directory.hasSuffix("/") ? "" : "/") + name) == .directory
            }
            body(name, isDirectory)
        }
    }

    /// Makes `path` readable and writable by its owner only, if it is not already.
    public static func restrictToOwner(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o077 != 0 else { return }
        chmod(path, 0o600)
    }

    /// The current directory, absolute.
    public static var current: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
