import Testing
@testable import TnxLanguage

private func complete(_ line: String, _ previous: [String] = []) -> CompletionResult {
    Completion.candidates(line: line, cursor: line.utf8.count, previousLines: previous)
}

@Suite struct IncompleteInputTests {
    @Test func openBlockIsIncomplete() {
        #expect(Frontend.parse("foreach id in ids.txt {").isIncomplete)
        #expect(Frontend.parse("foreach id in ids.txt {\n  delete $id\n").isIncomplete)
        #expect(Frontend.parse("foreach a in x {\n foreach b in y {\n delete $b\n }\n").isIncomplete)
    }

    @Test func closedOrBrokenInputIsNotIncomplete() {
        #expect(!Frontend.parse("foreach id in ids.txt {\n  delete $id\n}").isIncomplete)
        #expect(!Frontend.parse("delete a").isIncomplete)
        // An error inside the open block is reported at once.
        #expect(!Frontend.parse("foreach id in ids.txt {\n  delet $id\n").isIncomplete)
        // A string cannot span lines: an open string is an error, not a continuation.
        let open = Frontend.parse("delete \"3fa8")
        #expect(!open.isIncomplete)
        #expect(open.diagnostics.map(\.id.rawValue) == ["unterminated-string"])
        #expect(!Frontend.parse("foreach id in x {\n delete \"abc").isIncomplete)
        #expect(!Frontend.parse("{").isIncomplete)
    }
}

@Suite struct CompletionTests {
    @Test func statementKeywords() {
        #expect(complete("").candidates == Language.keywords)
        #expect(complete("de").candidates == ["delete"])
        #expect(complete("de").replaceFrom == 0)
        #expect(complete("show last; s").candidates == ["show", "set"])
        #expect(complete("show last; s").replaceFrom == 11)
        #expect(complete("  e").candidates == ["exit"])
        #expect(complete("foreach id in x.txt d").candidates == ["delete", "download"])
        #expect(complete("foreach id in x.txt download ").candidates == ["$id"])
        #expect(complete("foreach id in x.txt download $id ").candidates == ["to"])
        #expect(complete("foreach id in x.txt download $id to arc").kind == .filePath(prefix: "arc"))
        #expect(complete("foreach id in x.txt { show recording ").candidates == ["$id"])
        #expect(complete("foreach id in x.txt { ").candidates == Language.bodyKeywords)
    }

    @Test func settings() {
        #expect(complete("set ").candidates == Language.settings.map(\.key.rawValue))
        #expect(complete("set c").candidates == ["concurrency", "confirm"])
        #expect(complete("set c").replaceFrom == 4)
        #expect(complete("set dry-run ").candidates == ["on", "off"])
        #expect(complete("set output j").candidates == ["json"])
        #expect(complete("set on-error ").candidates == ["stop", "continue"])
        #expect(complete("set concurrency ").candidates == [])
        #expect(complete("set bogus ").kind == .none)
    }

    @Test func showAndHelpTopics() {
        #expect(complete("show ").candidates == ["last", "settings", "recording"])
        #expect(complete("show s").candidates == ["settings"])
        #expect(complete("help ").candidates == Help.topics)
        #expect(complete("help ex").candidates == ["exit", "exit-codes"])
    }

    @Test func foreachParts() {
        #expect(complete("foreach ").kind == .none)
        #expect(complete("foreach id ").candidates == ["in"])
        #expect(complete("foreach id i").candidates == ["in"])
        #expect(complete("foreach id in ").kind == .filePath(prefix: ""))
        let path = complete("foreach id in exports/q")
        #expect(path.kind == .filePath(prefix: "exports/q"))
        #expect(path.replaceFrom == 14)
        let quoted = complete("foreach id in \"my ex")
        #expect(quoted.kind == .filePath(prefix: "my ex"))
        #expect(quoted.replaceFrom == 15)
    }

    @Test func variablesInScope() {
        #expect(complete("foreach id in x delete $").candidates == ["$id"])
        #expect(complete("foreach id in x delete $").replaceFrom == 23)
        #expect(complete("foreach id in x delete ").candidates == ["$id"])
        #expect(complete("foreach id in x delete $x").candidates == [])
        #expect(complete("delete $").candidates == [])
        #expect(complete("foreach f in files { foreach id in $").candidates == ["$f"])
        // Loop variables of the lines already entered in an open block.
        #expect(complete("  delete $i", ["foreach id in x {", "  foreach g in y {"]).candidates == ["$id"])
        #expect(complete("  delete $", ["foreach id in x {", "  foreach g in y {"]).candidates == ["$g", "$id"])
        // A one-statement loop ends with its line.
        #expect(complete("delete $", ["foreach id in x delete $id"]).candidates == [])
        // A closed block ends the scope.
        #expect(complete("} ; delete $", ["foreach id in x {"]).candidates == [])
    }

    @Test func parametersWhereAValueGoes() {
        func complete(_ line: String) -> [String] {
            Completion.candidates(line: line, cursor: line.utf8.count, parameters: ["caller", "cutoff", "dir"]).candidates
        }
        #expect(complete("delete $") == ["$caller", "$cutoff", "$dir"])
        #expect(complete("foreach id in x delete $") == ["$id", "$caller", "$cutoff", "$dir"])
        #expect(complete("count recordings where from $ca") == ["$caller"])
        #expect(complete("count recordings where created before $c") == ["$caller", "$cutoff"])
        #expect(complete("foreach id in x download $id to $d") == ["$dir"])
        // Not in a string, and not where no value goes.
        #expect(complete("count recordings where from \"$ca").isEmpty)
        #expect(complete("$c").isEmpty)
    }

    @Test func nothingInCommentsStringsAndIds() {
        #expect(complete("delete a # de").kind == .none)
        #expect(complete("delete 3fa").kind == .none)
        #expect(complete("delete \"de").kind == .none)
        #expect(complete("exit ").kind == .none)
    }

    @Test func cursorInTheMiddleAndOutOfRange() {
        let r = Completion.candidates(line: "se dry-run on", cursor: 2)
        #expect(r.candidates == ["set"])
        #expect(r.replaceFrom == 0)
        #expect(Completion.candidates(line: "sh", cursor: 99).candidates == ["show"])
        #expect(Completion.candidates(line: "sh", cursor: -5).candidates == Language.keywords)
    }
}

@Suite struct HelpTests {
    @Test func overviewListsEveryStatementAndSetting() throws {
        let wrapped = try #require(Help.text(topic: nil))
        // Wrapped at 80 columns: compare with the line breaks and indents folded away.
        let text = wrapped.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
        for s in Language.statements {
            #expect(text.contains(s.usage), "\(s.keyword)")
            #expect(text.contains(s.summary), "\(s.keyword)")
        }
        for s in Language.settings {
            #expect(text.contains(s.key.rawValue), "\(s.key)")
            #expect(text.contains(s.summary), "\(s.key)")
        }
        #expect(text.contains("Exit codes: 0 all done; 1 some deletes failed; 2 usage or syntax error"))
        #expect(text.contains("130, 143, 129 stopped by Ctrl-C, SIGTERM, SIGHUP"))
        #expect(!wrapped.contains("docs/"), "no path of the repository: it is not on a user's machine")
    }

    @Test(arguments: Help.topics)
    func everyTopicRenders(_ topic: String) throws {
        let text = try #require(Help.text(topic: topic))
        #expect(text.count > 40)
        #expect(text.hasSuffix("\n"))
        #expect(!text.contains("\u{1B}"))
    }

    @Test func statementTopicsShowUsageAndExamples() throws {
        for s in Language.statements {
            let text = try #require(Help.text(topic: s.keyword.rawValue))
            #expect(text.hasPrefix("usage: \(s.usage)\n"))
            for e in s.examples {
                for line in e.split(separator: "\n") { #expect(text.contains(line), "\(s.keyword): \(line)") }
            }
        }
    }

    @Test func requiredTopicsExist() {
        for t in ["delete", "foreach", "show", "set", "help", "exit", "settings", "ids", "exit-codes", "dry-run"] {
            #expect(Help.text(topic: t) != nil, "\(t)")
        }
    }

    @Test func idsTopicExplainsTheFileFormat() throws {
        let text = try #require(Help.text(topic: "ids")).split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
        for phrase in ["one recording id per line", "blank lines", "'#' comment", "CRLF", "byte order mark", "`-` reads the ids from stdin",
                       "FILE:LINE and never sent", "deleted once"] {
            #expect(text.contains(phrase), "\(phrase)")
        }
    }

    @Test func exitCodesTopic() throws {
        let text = try #require(Help.text(topic: "exit-codes"))
        for code in ["0    all done", "1    some deletes failed", "2    usage or syntax error", "3    authentication failed", "4    another tnx is using the journal", "130  interrupted"] {
            #expect(text.contains(code))
        }
    }

    @Test func unknownTopic() {
        #expect(Help.text(topic: "colour") == nil)
        #expect(Help.unknownTopicMessage("forech") == "unknown help topic 'forech'; did you mean 'foreach'?")
        #expect(Help.unknownTopicMessage("colour").hasPrefix("unknown help topic 'colour'; topics are: delete, download, foreach, count, list, show, set, run, help, exit, settings, dry-run"))
    }

    @Test func helpStatementParsesAnyTopicWord() {
        guard case .help(let topic)? = Frontend.parse("help exit-codes").script.statements.first?.kind else {
            Issue.record("not a help statement")
            return
        }
        #expect(topic?.kind == .literal("exit-codes"))
        #expect(topic?.location.column == 6)
    }
}

@Suite("The shell's words and the language's new statements")
struct ShellWordsTests {
    @Test("every line of every help topic fits in 80 columns")
    func helpWidth() throws {
        for topic in [nil] + Help.topics.map(Optional.some) {
            let text = try #require(Help.text(topic: topic))
            for line in text.split(separator: "\n") {
                #expect(line.count <= Help.width, "help \(topic ?? ""): \(line.count) columns: \(line)")
            }
        }
    }

    @Test("help and docs call it the shell, never the REPL")
    func oneName() throws {
        for topic in [nil] + Help.topics.map(Optional.some) {
            #expect(!(try #require(Help.text(topic: topic))).contains("REPL"), "help \(topic ?? "")")
        }
        for spec in Language.settings { #expect(!spec.summary.contains("REPL")) }
    }

    @Test("`set` alone lists the settings; `exit N` carries a status; `run FILE` names a file")
    func newStatements() {
        #expect(Frontend.parse("set").script.statements.first?.kind == .show(.settings))
        #expect(Frontend.parse("exit 3").script.statements.first?.kind == .exit(code: 3))
        #expect(Frontend.parse("exit").script.statements.first?.kind == .exit(code: nil))
        let bad = Frontend.parse("exit 300")
        #expect(bad.diagnostics.map(\.id.rawValue) == ["invalid-exit-status"])
        #expect(bad.diagnostics.first?.location.column == 6)
        guard case .run(let file)? = Frontend.parse("run \"q1 purge.tnx\"").script.statements.first?.kind else {
            Issue.record("not a run statement")
            return
        }
        #expect(file.kind == .literal("q1 purge.tnx"))
        #expect(Frontend.parse("set resume on").script.statements.first?.kind == .set(.resume(true)))
    }

    @Test("TAB in a loop body offers only what a body may hold")
    func bodyCompletion() {
        let inBody = Completion.candidates(line: "foreach id in x.txt ", cursor: 20)
        #expect(inBody.candidates == ["delete", "download", "show", "foreach"])
        let atStart = Completion.candidates(line: "", cursor: 0)
        #expect(atStart.candidates.contains("set") && atStart.candidates.contains("exit") && atStart.candidates.contains("run"))
        let block = Completion.candidates(line: "  ", cursor: 2, previousLines: ["foreach id in x.txt {"])
        #expect(block.candidates == ["delete", "download", "show", "foreach"])
        #expect(Completion.candidates(line: "run sc", cursor: 6).kind == .filePath(prefix: "sc"))
    }
}
