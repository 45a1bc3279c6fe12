import ArgumentParser
import Foundation
import TnxSandbox
import TnxSystem

/// `tnx-sandbox`: the sandbox API as a server of its own on loopback.
///
/// It is a separate executable so that `tnx` itself links neither the web server nor full
/// Foundation (with ICU), which Hummingbird imports: that is about 6 MB of every tnx process's
/// memory. `tnx --sandbox` starts it as a child with `--until-stdin-closes`; benchmarks and
/// other clients can run it directly.
@main
struct TnxSandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tnx-sandbox",
        abstract: "A local fake of the Telnyx recordings API with seeded recordings, on 127.0.0.1.",
        discussion: """
            Prints its base URL (http://127.0.0.1:PORT/v2) on the first line of stdout, then serves \
            until it is stopped (Ctrl-C, SIGTERM). The key it accepts is \(Sandbox.defaultAPIKey).
            """)

    @Option(help: "The port to listen on (0: any free port).")
    var port = 0

    @Option(help: "Milliseconds each request waits after the deletion, like the real API's latency.")
    var latencyMs = 0

    @Option(help: "How many recordings it starts with.")
    var seed = 1000

    @Option(help: "The bitrate of every recording's MP3 in kbit/s (8 to 160, as MPEG-2.5 allows; 8: about 1 KB a second of audio). Media is served from a port of its own, as long as each recording's duration_millis.")
    var mediaKbps = 8

    @Option(help: "How long a media link stays valid once the API has handed it out, in seconds (then 403, as storage does).")
    var mediaLinkSeconds = 300

    @Option(help: "Answer 429 past this many requests a second (0: no limit), with x-ratelimit-* headers, as the API does.")
    var rateLimit = 0

    @Option(help: "Refuse a batch delete of more than this many ids (400, code 10015, nothing deleted), as an API with a size cap would (0: no cap).")
    var batchCap = 0

    @Flag(help: "Print the ids of the seeded recordings, one per line, and exit.")
    var printIds = false

    @Flag(help: "Print the key on a second line, then serve quietly until stdin reaches its end (how tnx --sandbox runs it).")
    var untilStdinCloses = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard latencyMs >= 0 else { throw ValidationError("--latency-ms must not be negative") }
        guard seed >= 0 else { throw ValidationError("--seed must not be negative") }
        guard MP3Frames.bitrates.contains(mediaKbps) else {
            throw ValidationError("--media-kbps must be one of \(MP3Frames.bitrates.map(String.init).joined(separator: ", "))")
        }
        guard rateLimit >= 0 else { throw ValidationError("--rate-limit must not be negative") }
        guard mediaLinkSeconds >= 0 else { throw ValidationError("--media-link-seconds must not be negative") }
        guard batchCap >= 0 else { throw ValidationError("--batch-cap must not be negative") }
    }

    /// Unbuffered: the parent waits for the base URL before it sends anything.
    private func write(to handle: FileHandle, _ text: String) {
        handle.write(Data(text.utf8))
    }

    func run() async throws {
        if printIds {
            print(Sandbox.seededIDs(count: seed).joined(separator: "\n"))
            return
        }
        var faults = SandboxFaults.none
        faults.latency = .milliseconds(latencyMs)
        faults.mediaKbps = mediaKbps
        faults.mediaLinkLifetime = .seconds(mediaLinkSeconds)
        if batchCap > 0 { faults.batch = .sizeCap(batchCap) }
        if rateLimit > 0 { faults.rateLimit = SandboxFaults.RateLimit(requests: rateLimit, window: .seconds(1)) }
        let sandbox = try await Sandbox.start(port: port, seed: seed, faults: faults)
        if untilStdinCloses {
            // The second line, for the parent only: the key the sandbox accepts.
            write(to: .standardOutput, sandbox.baseURL + "\n" + Sandbox.defaultAPIKey + "\n")
            // The parent holds the other end of stdin: its exit, however abrupt, ends this one.
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                Thread.detachNewThread {
                    var byte: UInt8 = 0
                    while FileDescriptor.read(0, into: &byte, count: 1) > 0 {}
                    done.resume()
                }
            }
            // Nothing to save, and no reason to let open connections drain: the parent is gone
            // or done with it. Exiting at once frees the port at once.
            Executable.exit(0)
        }
        write(to: .standardOutput, sandbox.baseURL + "\n")
        write(to: .standardError, "sandbox: \(seed) recordings, key \(Sandbox.defaultAPIKey), latency \(latencyMs) ms; Ctrl-C stops\n")
        await sandbox.runUntilCancelled()
    }
}
