import Testing
@testable import TnxLanguage

/// `-D NAME=VALUE`: the parser puts the value in the place of `$NAME`, as the literal the same
/// text written there would be. Places are marked in the source (1️⃣, 2️⃣): the value's
/// location is that of `$NAME`, which is where every diagnostic about it points.
@Suite struct ParameterTests {
    static let markers = ["1️⃣", "2️⃣", "3️⃣"]

    /// `marked` without its markers, parsed with `definitions` (relative paths under `/work`),
    /// and the byte offsets of the markers.
    static func parse(_ marked: String, _ definitions: [String]) throws -> (ParseResult, [Int]) {
        var text = marked
        var places: [Int] = []
        for marker in markers {
            guard let range = text.range(of: marker) else { break }
            places.append(text.utf8.distance(from: text.utf8.startIndex, to: range.lowerBound.samePosition(in: text.utf8)!))
            text.removeSubrange(range)
        }
        let parameters = try ScriptParameters(definitions: definitions, directory: "/work")
        return (Frontend.parse(text, name: "t.tnx", parameters: parameters), places)
    }

    @Test func anIDIsTheValueAtThePlaceOfTheVariable() throws {
        let (r, places) = try Self.parse("delete 1️⃣$id_param", ["id_param=3fa85f64-5717-4562-b3fc-2c963f66afa6"])
        #expect(r.diagnostics.isEmpty)
        guard case .delete(let e) = r.script.statements.first?.kind else { Issue.record("not a delete"); return }
        #expect(literal(e) == "3fa85f64-5717-4562-b3fc-2c963f66afa6")
        #expect(e.location.offset == places[0])
        #expect(e.length == "$id_param".count)
        #expect(r.usedParameters == ["id_param"])
    }

    @Test func aQueryValueAndATime() throws {
        let (r, places) = try Self.parse(
            "count recordings where from 1️⃣$caller and created before 2️⃣$cutoff", ["caller=+12125551940", "cutoff=2025-01-31"])
        #expect(r.diagnostics.isEmpty)
        guard case .count(let query) = r.script.statements.first?.kind else { Issue.record("not a count"); return }
        #expect(query.conditions.count == 2)
        #expect(query.conditions[0].kind == .field(word: "from", apiName: "from", value: "+12125551940"))
        #expect(query.conditions[0].valueLocation.offset == places[0])
        #expect(query.conditions[0].valueLength == "$caller".count)
        #expect(query.conditions[1].kind == .createdBefore(.instant(millis: 1_738_281_600_000)))
        #expect(query.conditions[1].valueLocation.offset == places[1])
        #expect(r.usedParameters == ["caller", "cutoff"])
    }

    @Test func aRelativePathStartsWhereTnxWasStarted() throws {
        let (r, _) = try Self.parse(
            "foreach id in $file delete $id\nforeach id in $abs delete $id\nforeach id in $stdin delete $id\ndownload $rid to $dir",
            ["file=./ids.txt", "abs=/data/ids.txt", "stdin=-", "dir=copies", "rid=3fa85f64-5717-4562-b3fc-2c963f66afa6"])
        #expect(r.diagnostics.isEmpty)
        let sources = r.script.statements.compactMap { statement -> String? in
            guard case .foreach(_, _, let source, _) = statement.kind else { return nil }
            return literal(source)
        }
        #expect(sources == ["/work/ids.txt", "/data/ids.txt", "-"])
        guard case .download(let id, let directory) = r.script.statements.last?.kind else { Issue.record("not a download"); return }
        // An id is never a path.
        #expect(literal(id) == "3fa85f64-5717-4562-b3fc-2c963f66afa6")
        #expect(literal(directory) == "/work/copies")
    }

    @Test func oneValueNeverMoreScript() throws {
        let (r, _) = try Self.parse("delete $id", ["id=a; delete b } # \"c\" $id"])
        #expect(r.diagnostics.isEmpty)
        #expect(r.script.statements.count == 1)
        guard case .delete(let e) = r.script.statements.first?.kind else { Issue.record("not a delete"); return }
        #expect(literal(e) == "a; delete b } # \"c\" $id")
    }

    @Test func aLoopVariableStaysALoopVariable() throws {
        // `$id` in a string is text; `$f` of a loop is the loop's.
        let (r, _) = try Self.parse("delete \"$id\"\nforeach f in list.txt { foreach x in $f delete $x }", ["id=zzz", "g=1"])
        #expect(r.diagnostics.isEmpty)
        guard case .delete(let e) = r.script.statements.first?.kind else { Issue.record("not a delete"); return }
        #expect(literal(e) == "$id")
        guard case .foreach(_, _, _, let body) = r.script.statements.last?.kind, case .foreach(let inner, _, let source, let innerBody) = body.first?.kind
        else { Issue.record("not nested loops"); return }
        #expect(inner == "x")
        #expect(variable(source) == "f")
        #expect(r.usedParameters.isEmpty)
        _ = innerBody
    }

    @Test func aLoopVariableNamedLikeAParameter() throws {
        let (r, places) = try Self.parse("foreach 1️⃣caller in f delete $caller", ["caller=+1"])
        #expect(r.diagnostics.map(\.id) == [.shadowedParameter])
        #expect(r.diagnostics.first?.location.offset == places[0])
        #expect(r.diagnostics.first?.length == "caller".count)
    }

    @Test func aValueThatIsNotATimeIsSaidAtTheVariable() throws {
        let (r, places) = try Self.parse("count recordings where created before 1️⃣$cutoff", ["cutoff=yesterday"])
        #expect(r.diagnostics.map(\.id) == [.invalidTime])
        #expect(r.diagnostics.first?.location.offset == places[0])
        #expect(r.diagnostics.first?.length == "$cutoff".count)
        #expect(r.diagnostics.first?.message.hasPrefix("'yesterday' is not a time") == true)
    }

    @Test func definitions() throws {
        let p = try ScriptParameters(definitions: ["a=1", "_b2=x=y", "c="], directory: "/")
        #expect(p.names == ["a", "_b2", "c"])
        #expect(p["_b2"] == "x=y")
        #expect(p["c"] == "")
        #expect(p.unused(["a"]) == ["_b2", "c"])
        for bad in ["a", "=1", "1a=1", "a-b=1", "é=1", "a=\u{7}", "a=x\u{202E}y", "a=\u{85}"] {
            #expect(throws: ParameterError.self, "\(bad)") { try ScriptParameters(definitions: [bad], directory: "/") }
        }
        #expect(throws: ParameterError.self) { try ScriptParameters(definitions: ["a=1", "a=1"], directory: "/") }
        // Unicode that is not a control character is a value like any other.
        #expect(try ScriptParameters(definitions: ["who=Zoë"], directory: "/")["who"] == "Zoë")
    }
}
