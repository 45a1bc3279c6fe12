import Foundation
import Testing
import TnxSandbox

/// docs/output.schema.json against real output: every JSON line tnx writes on stdout and in
/// the journal, across deletes, dry-runs, queries, purges (single and batch), downloads and
/// settings, must match it; and the schema must refuse what tnx never writes.
@Suite("docs/output.schema.json holds for real output", .serialized)
struct OutputSchemaTests {
    static let schemaPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/output.schema.json").path

    static func validator() throws -> SchemaValidator {
        SchemaValidator(root: try JSONNode.parse(String(contentsOfFile: schemaPath, encoding: .utf8)))
    }

    /// Each line of `text` parsed and validated; returns the top-level keys seen, to show
    /// that the run wrote what the test meant it to write.
    static func validate(_ text: String, _ validator: SchemaValidator, _ what: String) throws -> Set<String> {
        var keys: Set<String> = []
        for line in text.split(separator: "\n") {
            let node = try JSONNode.parse(line)
            let problems = validator.problems(node)
            #expect(problems.isEmpty, "\(what): \(line.prefix(300))\n\(problems.joined(separator: "\n"))")
            for key in node.objectValue?.keys ?? [:].keys {
                if key == "outcome", case .string(let kind)? = node.objectValue?["outcome"] { keys.insert("outcome:" + kind) } else { keys.insert(key) }
            }
        }
        return keys
    }

    @Test("stdout and the journal of every kind of run match the schema")
    func realOutput() async throws {
        let validator = try Self.validator()
        let scratch = try Scratch()
        try await SandboxFixture.with(seed: 300, scratch: scratch) { sandbox, env in
            sandbox.script([.apiError(status: 422, code: "10015", title: "Bad request")], for: "refused-one")
            let ids = Sandbox.seededIDs(count: 300)
            let file = try scratch.write("ids.txt", (ids[0..<3] + ["not an id!", ids[0]]).joined(separator: "\n"))
            let archive = scratch.path + "/archive"
            let shown = try scratch.write("shown.txt", ids[297..<300].joined(separator: "\n"))
            let runs: [[String]] = [
                ["-c", "foreach id in \(shown) show recording $id"],
                ["--yes", "-c", "set on-error continue; delete \(ids[3]); delete \(ids[3]); delete refused-one; show settings; show recording \(ids[4])"],
                ["--dry-run", "-c", "delete \(ids[5]); foreach id in \(file) delete $id"],
                ["--yes", "-c", "set on-error continue; foreach id in \(file) delete $id"],
                ["-c", "count recordings where created before 30d; list recordings where created before 30d limit 3"],
                ["--dry-run", "--method", "batch", "-c", "foreach id in recordings where created before 300d delete $id"],
                ["--yes", "--method", "batch", "-c", "foreach id in recordings where created before 400d delete $id"],
                ["--yes", "-c", "foreach id in recordings where created before 200d and connection 1494404757140276705 delete $id"],
                ["--dry-run", "-c", "foreach id in recordings where created before 100d and connection 1494404757140276705 { download $id to \(archive); delete $id }"],
                ["--yes", "-c", "foreach id in recordings where created before 100d and connection 1494404757140276705 { download $id to \(archive); delete $id }"],
                ["--yes", "--resume", "-c", "foreach id in \(file) { download $id to \(archive); show recording $id }"],
                // A purge that matches nothing: its journal line says it ran.
                ["--yes", "-c", "foreach id in recordings where created before 1d and connection 9999999999999999999 delete $id"],
            ]
            var seen: Set<String> = []
            for arguments in runs {
                let result = try await TnxProcess.run(["--output", "json"] + arguments, environment: env)
                #expect([0, 1].contains(result.status), "\(arguments): \(result.stderr)")
                seen.formUnion(try Self.validate(result.stdout, validator, arguments.joined(separator: " ")))
            }
            seen.formUnion(try Self.validate(scratch.read("state/tnx/journal.jsonl") ?? "", validator, "the journal"))
            // The runs wrote every kind of line the schema describes.
            for kind in [
                "outcome:deleted", "outcome:not_found", "outcome:failed", "outcome:invalid", "outcome:duplicate",
                "outcome:would_delete", "outcome:downloaded", "outcome:shown", "outcome:batch_sent", "outcome:sending", "outcome:skipped",
                "summary", "count", "recording", "snapshot", "after_purge", "batch", "settings", "record_type", "request", "request_id",
                "download", "time", "purge",
            ] {
                #expect(seen.contains(kind), "no line had \(kind): \(seen.sorted())")
            }
        }
    }

    @Test("the schema refuses what tnx never writes")
    func schemaCanFail() throws {
        let validator = try Self.validator()
        let bad = [
            #"{"id":"x","outcome":"vanished","http_status":200}"#,
            #"{"id":"x","outcome":"deleted"}"#,
            #"{"id":"x","outcome":"deleted","http_status":"200"}"#,
            #"{"id":"x","outcome":"deleted","http_status":200,"surprise":1}"#,
            #"{"summary":{"source":"f","read":-1}}"#,
            #"{"count":1.5,"query":"q"}"#,
            #"{"settings":{"dry-run":"off"}}"#,
            #"{"snapshot":{"query":"q","recordings":1,"pages":1,"seconds":0.1,"path":3,"dry_run":false}}"#,
            #"{"time":"t","run":"r","base_url":"b","purge":{"query":"q","matched":3}}"#,
            #"{"time":"t","run":"r","base_url":"b","purge":{"query":"q"}}"#,
            #"[1,2]"#,
        ]
        for line in bad {
            #expect(!validator.problems(try JSONNode.parse(line)).isEmpty, "\(line) passed")
        }
        #expect(validator.problems(try JSONNode.parse(#"{"count":3,"query":"recordings"}"#)).isEmpty)
    }
}
