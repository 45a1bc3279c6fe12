import Foundation
import TnxSandbox

#if canImport(Glibc)
import Glibc
#endif

/// Startup files under the scratch directory's `~/.config/tnx/` (HOME is the scratch
/// directory), and an api-key-command that counts its runs.
enum ConfigFiles {
    /// Writes `~/.config/tnx/NAME` (HOME is the scratch directory).
    @discardableResult
    static func write(_ scratch: Scratch, _ name: String, _ text: String) throws -> String {
        let path = scratch.path + "/.config/tnx/" + name
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A key command that notes each run in `runs` and prints `key` (stderr gets a line too).
    static func keyCommand(_ scratch: Scratch, key: String, exitStatus: Int = 0) throws -> String {
        let script = try scratch.write(
            "key.sh", "#!/bin/sh\necho run >> \(scratch.path)/runs\necho 'unlocking the vault' >&2\nprintf '%s\\n' '\(key)'\nexit \(exitStatus)\n")
        chmod(script, 0o755)
        return script
    }

    /// How many times the key command of `keyCommand` ran.
    static func keyCommandRuns(_ scratch: Scratch) -> Int {
        (scratch.read("runs") ?? "").split(separator: "\n").count
    }
}
