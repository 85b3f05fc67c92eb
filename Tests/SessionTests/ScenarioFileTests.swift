// ScenarioFile: the shipped examples parse; bad files give one-line errors naming the file and
// the line and column (syntax) or the key (unknown keys, bad values).
import Foundation
import Testing
@testable import TokenloomDecoding
import TokenloomSession

/// The package's examples/ folder (next to Tests/).
func examplesFolder() -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples").path
}

func shippedScenarios() -> [String] {
    let dir = examplesFolder()
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".toml") }
    return names.sorted().map { dir + "/" + $0 }
}

@Suite struct ScenarioFileTests {
    let minimal = """
    title = "t"
    model = "builtin:emoji"
    prompt = "red heart"

    [[decoders]]
    name = "AR"

    """

    func error(_ text: String) -> String {
        do { _ = try ScenarioFile.parse(text, file: "x.toml"); return "no error" } catch { return "\(error)" }
    }

    @Test func atLeastSixShippedScenariosParseWithTours() throws {
        let files = shippedScenarios()
        #expect(files.count >= 6)
        for f in files {
            let sf = try ScenarioFile.load(path: f)
            #expect(!sf.title.isEmpty && !sf.summary.isEmpty, "\(f)")
            #expect(!sf.tour.isEmpty, "\(f) has no tour")
            // Every shipped stop names its pass, so TourTests can hold the notes to the engine.
            #expect(sf.tour.allSatisfy { $0.pass != nil }, "\(f)")
            #expect(sf.labels.count == sf.scenario.decoders.count)
        }
    }

    @Test func keysMapOntoTheScenario() throws {
        let sf = try ScenarioFile.parse(minimal + """
        [[decoders]]
        name = "SJD"
        label = "SJD repeat"
        window = 8
        init = "repeat"
        temperature = 0.5
        top_k = 4
        top_p = 0.9
        model = "builtin:emoji-fused"

        [[tour]]
        event = "first-rejection"
        decoder = "SJD repeat"
        pass = 3
        note = "here"
        """, file: "x.toml")
        #expect(sf.scenario.modelRef == "builtin:emoji" && sf.scenario.prompt == "red heart")
        #expect(sf.scenario.seed == 42 && !sf.scenario.chat)
        #expect(sf.labels == ["AR", "SJD repeat"])
        let d = sf.scenario.decoders[1]
        var spec = DecoderSpec(kind: .sjd)
        spec.window = 8; spec.temperature = 0.5; spec.topK = 4; spec.topP = 0.9; spec.initRandom = false
        #expect(d == ScenarioPane(spec, label: "SJD repeat", model: "builtin:emoji-fused"))
        #expect(sf.tour == [TourStop(pass: 3, event: .firstRejection, decoder: "SJD repeat", note: "here")])
    }

    @Test func syntaxErrorsGiveFileLineAndColumn() {
        // Line 2, the second '=' at column 9.
        let e = error("title = \"t\"\nmodel = = 3\n")
        #expect(e.hasPrefix("x.toml:2:9: scenario syntax error"), "\(e)")
        #expect(!e.contains("\n"))
    }

    @Test func unknownKeysAreNamedWithTheirTable() {
        #expect(error("titel = \"t\"\n" + minimal) == "x.toml: unknown scenario key 'titel'")
        #expect(error(minimal + "[[decoders]]\nname = \"SJD\"\nwindw = 3\n") == "x.toml: unknown scenario key 'decoders[2].windw'")
        #expect(error(minimal + "[[tour]]\npass = 1\nnote = \"n\"\nstep = 2\n") == "x.toml: unknown scenario key 'tour[1].step'")
    }

    @Test func badValuesAreOneLine() {
        let cases: [(String, String)] = [
            (minimal.replacingOccurrences(of: "title = \"t\"\n", with: ""), "x.toml: scenario key 'title' is required"),
            (minimal.replacingOccurrences(of: "prompt = \"red heart\"", with: "prompt = \" \""), "x.toml: scenario key 'prompt' is required"),
            (minimal + "[[decoders]]\nname = \"SJD\"\ninit = \"left\"\n",
             "x.toml: scenario key 'decoders[2].init' must be \"random\" or \"repeat\", got \"left\""),
            (minimal + "[[decoders]]\nname = \"SJD\"\ntemperature = \"hot\"\n",
             "x.toml: scenario key 'decoders[2].temperature' wants a number, got string"),
            (minimal + "[[decoders]]\nname = \"SJD\"\nwindow = 0\n",
             "x.toml: scenario key 'decoders[2].window' must be in 1...1024, got 0"),
            (minimal + "[[decoders]]\nname = \"SJD\"\ntemperature = inf\n",
             "x.toml: scenario key 'decoders[2].temperature' must be in 0.0...100.0, got inf"),
            (minimal + "[[decoders]]\nname = \"fast\"\n",
             "x.toml: scenario key 'decoders[2].name' is not a decoder: unknown decoder 'fast' (choose from ar, jacobi, jacobi-sample, sjd, sjd-accept-all, sjd2, cntp, lookahead)"),
            (minimal.replacingOccurrences(of: "prompt = \"red heart\"", with: "prompt = \"red heart\"\nmax_tokens = 9223372036854775807"),
             "x.toml: scenario key 'max_tokens' must be in 1...1000000, got 9223372036854775807"),
            (minimal.replacingOccurrences(of: "[[decoders]]\nname = \"AR\"\n", with: ""),
             "x.toml: scenario key 'decoders' needs 1 to 4 [[decoders]] tables, got 0"),
            (minimal + "[[tour]]\nnote = \"n\"\n", "x.toml: scenario key 'tour[1].pass' or 'tour[1].event' is required"),
            (minimal + "[[tour]]\npass = 1\n", "x.toml: scenario key 'tour[1].note' is required"),
            (minimal + "[[tour]]\nevent = \"first-x\"\nnote = \"n\"\n",
             "x.toml: scenario key 'tour[1].event' must be one of \"first-rejection\", \"first-acceptance\", \"first-branch\", \"first-resample\", \"finished\", got \"first-x\""),
            (minimal + "[[tour]]\nevent = \"finished\"\ndecoder = \"SJD\"\nnote = \"n\"\n",
             "x.toml: scenario key 'tour[1].decoder' names no pane (panes: AR), got \"SJD\""),
        ]
        for (text, want) in cases {
            let e = error(text)
            #expect(e == want)
            #expect(!e.contains("\n"))
        }
        let five = minimal + String(repeating: "[[decoders]]\nname = \"AR\"\n", count: 4)
        #expect(error(five) == "x.toml: scenario key 'decoders' needs 1 to 4 [[decoders]] tables, got 5")
    }

    @Test func aMissingFileIsOneLine() {
        do { _ = try ScenarioFile.load(path: "nope/none.toml"); Issue.record("no error") } catch {
            #expect("\(error)" == "nope/none.toml: no such scenario file")
        }
    }
}

/// Inputs the fuzzer found that stopped the process inside the TOML parser (an assertion in toml++):
/// each is now one syntax error with its line and column.
@Suite struct TOMLGuardTests {
    @Test(arguments: ["[^colors]\n", "[\u{FFFD}olors]\n", "name = \"x\"\nb\u{1B}[k = 1\n", "é = 1\n", "[a.]\n", "a b = 1\n"])
    func malformedKeysAreSyntaxErrors(_ text: String) {
        let p = TOMLGuard.firstProblem(text)
        #expect(p != nil, "\(text.debugDescription) passed the guard")
        #expect(throws: ScenarioFileError.self) { _ = try ScenarioFile.parse(text, file: "x.toml") }
    }

    @Test func validFilesPass() throws {
        let ok = "title = \"t\" # c\n\"quoted key\".x = 'v'\n[[decoders]]\nname = \"\"\"multi\n[line] é\"\"\"\n[a.\"b c\"]\nk = [1, \n 2]\n"
        #expect(TOMLGuard.firstProblem(ok) == nil)
    }
}
