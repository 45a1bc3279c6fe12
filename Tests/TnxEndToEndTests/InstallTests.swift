import Foundation
import Testing
import TnxSandbox

/// What `scripts/install --prefix DIR` put in an empty DIR. `scripts/test` runs the install
/// first and names DIR in `TNX_INSTALLED_PREFIX` (without it, as under
/// `TNX_SKIP_INSTALL=1`, these tests do not run).
/// Where `scripts/test` installed tnx, if it did.
enum Installed {
    static var prefix: String? { ProcessInfo.processInfo.environment["TNX_INSTALLED_PREFIX"] }
}

@Suite(
    "scripts/install into an empty directory", .serialized,
    .enabled(if: Installed.prefix != nil, "scripts/test runs scripts/install first and sets TNX_INSTALLED_PREFIX"))
struct InstallTests {
    static var prefix: String? { Installed.prefix }
    static var tnx: String { (prefix ?? "") + "/bin/tnx" }

    /// Runs a program to its end: status, stdout, stderr.
    static func run(_ program: String, _ arguments: [String], environment: [String: String] = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Both pipes drained at once: a large stdout must not block the program on stderr.
        let errors = LockedData()
        let drain = Thread { errors.append(err.fileHandleForReading.readDataToEndOfFile()) }
        drain.start()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while drain.isExecuting || !drain.isFinished { usleep(1000) }
        return (process.terminationStatus, String(decoding: data, as: UTF8.self), errors.string)
    }

    @Test("every file is where the install said, and it printed how to uninstall")
    func filesInPlace() throws {
        let prefix = try #require(Self.prefix)
        let files = [
            "bin/tnx", "bin/tnx-sandbox", "share/man/man1/tnx.1", "share/bash-completion/completions/tnx",
            "share/zsh/site-functions/_tnx", "share/fish/vendor_completions.d/tnx.fish",
        ]
        // Exactly these, after scripts/test installed twice: nothing half-written left beside them.
        let all = (FileManager.default.enumerator(atPath: prefix)?.allObjects as? [String] ?? [])
            .filter { path in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: prefix + "/" + path, isDirectory: &isDirectory) && !isDirectory.boolValue
            }
        #expect(Set(all) == Set(files), "\(all.sorted())")
        #expect(FileManager.default.isExecutableFile(atPath: Self.tnx))
        if let logPath = ProcessInfo.processInfo.environment["TNX_INSTALL_LOG"] {
            let log = try String(contentsOfFile: logPath, encoding: .utf8)
            for file in files { #expect(log.contains(prefix + "/" + file), "\(file) not named in the install's output") }
            #expect(log.contains("To uninstall: rm -f"))
        }
    }

    @Test("the binary carries the Swift runtime (no libswift*.so needed) and no symbol table")
    func staticAndStripped() throws {
        let version = try Self.run(Self.tnx, ["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("tnx "))
        for binary in [Self.tnx, Self.prefix! + "/bin/tnx-sandbox"] {
            let libraries = try Self.run("/usr/bin/ldd", [binary])
            #expect(!libraries.stdout.contains("libswift"), "\(libraries.stdout)")
            #expect(!libraries.stdout.contains("libFoundation"), "\(libraries.stdout)")
            let sections = try Self.run("/usr/bin/readelf", ["-S", "-W", binary])
            #expect(sections.status == 0)
            #expect(!sections.stdout.contains(".symtab"), "not stripped: \(binary)")
        }
    }

    @Test("man -l renders the page: the options, the language, files, environment and exit codes, no warnings")
    func manPage() throws {
        let page = Self.prefix! + "/share/man/man1/tnx.1"
        let rendered = try Self.run(
            "/usr/bin/man", ["-l", page], environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MANWIDTH": "100", "MANPAGER": "cat", "PAGER": "cat"])
        #expect(rendered.status == 0, "\(rendered.stderr)")
        #expect(rendered.stderr.isEmpty, "\(rendered.stderr)")
        let text = rendered.stdout.replacingOccurrences(of: "\u{8}.", with: "", options: .regularExpression)
        for expected in [
            "NAME", "tnx — Delete Telnyx call recordings", "SYNOPSIS", "tnx [SCRIPT...]", "--concurrency N", "--profile NAME",
            "-v, --verbose", "THE LANGUAGE", "foreach NAME in FILE|QUERY BODY", "concurrency 1...256", "from -> to", "FILES", "profiles/NAME.tnx",
            "ENVIRONMENT", "TELNYX_API_KEY", "HTTPS_PROXY", "Exit codes: 0 all done", "EXIT STATUS",
        ] {
            #expect(text.contains(expected), "\(expected)")
        }
        #expect(!text.contains("subcommand"))
        // EXIT STATUS lists every code, as README and `help exit-codes` do, not "0 or >0".
        let exitStatus = try #require(text.range(of: "EXIT STATUS")).upperBound
        let section = String(text[exitStatus...].prefix(1200))
        for code in ["0", "1", "2", "3", "4", "130", "143", "129"] {
            #expect(section.contains("\n     \(code) "), "EXIT STATUS lists \(code): \(section)")
        }
        #expect(section.contains("terminated (SIGTERM)"))
        #expect(!section.contains("exits 0 on success"))
    }

    @Test("the installed bash completion completes --conc to --concurrency")
    func installedCompletion() throws {
        let scratch = try Scratch()
        let offered = try BashCompletion.complete(
            "tnx --conc", script: Self.prefix! + "/share/bash-completion/completions/tnx", binary: Self.tnx, in: scratch.path, home: scratch.path)
        #expect(offered == ["--concurrency"])
    }

    @Test("the installed tnx deletes with --sandbox (tnx-sandbox beside it), and through a profile's api-key-command under --verbose without printing the key")
    func installedDeletes() async throws {
        let scratch = try Scratch()
        let env = TnxProcess.environment(stateHome: scratch.path)
        let id = Sandbox.seededIDs(count: 1)[0]
        let sandboxed = try await TnxProcess.run(["--sandbox", "--output", "json", "-c", "delete \(id)"], environment: env, executable: Self.tnx)
        #expect(sandboxed.status == 0, "\(sandboxed.stderr)")
        #expect(sandboxed.stdout.contains("\"outcome\":\"deleted\""))

        try await SandboxFixture.withoutConnection(scratch: scratch) { sandbox, bare in
            let command = try ConfigFiles.keyCommand(scratch, key: Sandbox.defaultAPIKey)
            try ConfigFiles.write(
                scratch, "profiles/prod.tnx", "set base-url \"\(sandbox.baseURL)\"\nset api-key-command \"\(command)\"\n")
            let ids = Sandbox.seededIDs(count: 3)
            let file = try scratch.write("ids.txt", ids.joined(separator: "\n"))
            let result = try await TnxProcess.run(
                ["--profile", "prod", "-v", "--yes", "-c", "foreach id in \(file) delete $id"], environment: bare, executable: Self.tnx)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(Set(sandbox.deletedIDs) == Set(ids))
            #expect(result.stderr.contains("Authorization: Bearer ***"))
            let journal = scratch.read("state/tnx/journal.jsonl") ?? ""
            for text in [result.stdout, result.stderr, journal] { #expect(!text.contains(Sandbox.defaultAPIKey)) }
        }
    }
}
