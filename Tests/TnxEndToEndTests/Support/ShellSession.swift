import Foundation
import Testing

/// The shell of the built tnx on a pseudo-terminal, driven as a person would: start it, wait
/// for the prompt, type an entry, read what it printed, leave.
///
/// Every step waits for the prompt before typing: keys typed before it appears would reach a
/// terminal that is not yet in edit mode.
enum ShellSession {
    static let prompt = "tnx> "
    static let dryRunPrompt = "tnx[dry-run]> "
    static let continuationPrompt = "...> "

    /// Starts tnx on a pty, in `workingDirectory` (default: the scratch directory), with its
    /// journal and history under the scratch directory's `state/`.
    static func start(
        _ arguments: [String] = ["--sandbox"], scratch: Scratch, environment extra: [String: String] = [:],
        workingDirectory: String? = nil
    ) throws -> PseudoTerminal {
        var env = TnxProcess.environment(stateHome: scratch.path, extra: extra)
        env["TERM"] = "xterm"
        env["LANG"] = "C.UTF-8"
        return try PseudoTerminal(
            executable: TnxProcess.binary, arguments: arguments, environment: env,
            workingDirectory: workingDirectory ?? scratch.path)
    }

    /// `start`, then waits for the first prompt.
    static func startAtPrompt(
        _ arguments: [String] = ["--sandbox"], scratch: Scratch, workingDirectory: String? = nil
    ) async throws -> PseudoTerminal {
        let pty = try start(arguments, scratch: scratch, workingDirectory: workingDirectory)
        try await pty.waitFor(prompt)
        return pty
    }

    /// Leaves the shell with Ctrl-D (or by typing `exit`), expects exit status 0, and dumps the
    /// session (see `dump`).
    static func leave(
        _ pty: PseudoTerminal, typingExit: Bool = false, _ name: String = #function,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        if typingExit { pty.sendLine("exit") } else { pty.send(key: .ctrlD) }
        #expect(try await pty.waitForExit() == 0, sourceLocation: sourceLocation)
        dump(pty, name)
    }

    /// Writes `ids` as an id file (one per line) and returns its name.
    @discardableResult
    static func idFile(_ name: String, _ ids: [String], in scratch: Scratch) throws -> String {
        try scratch.write(name, ids.joined(separator: "\n") + "\n")
        return name
    }

    /// The history file of a session started with `start(scratch:)`.
    static func historyPath(_ scratch: Scratch) -> String { scratch.path + "/state/tnx/history" }

    /// Types `line` at the prompt and returns everything up to the next prompt (the echoed line
    /// first, then what tnx printed).
    @discardableResult
    static func enter(_ line: String, on pty: PseudoTerminal, prompt: String = ShellSession.prompt, timeout: Duration = .seconds(20)) async throws -> String {
        pty.sendLine(line)
        return try await pty.waitFor(prompt, timeout: timeout)
    }

    /// What tnx printed after the echoed entry: everything after its first line.
    static func printed(_ transcript: String) -> String {
        // Without "\r" first: "\r\n" is one Character, never equal to "\n".
        let clean = PseudoTerminal.stripANSI(transcript)
        guard let newline = clean.firstIndex(of: "\n") else { return "" }
        return String(clean[clean.index(after: newline)...])
    }

    /// With `TNX_E2E_VERBOSE` set, prints everything the session showed (for debugging).
    static func dump(_ pty: PseudoTerminal, _ name: String = #function) {
        guard ProcessInfo.processInfo.environment["TNX_E2E_VERBOSE"] != nil else { return }
        print("--- \(name) ---\n\(PseudoTerminal.stripANSI(pty.output))\n--- end \(name) ---")
    }
}
