// End to end in tmux (120x40): start the built `tokenloom`, step every pane, step back, open the
// help, toggle compare and the heatmap, resize (down to a too-small window and back), quit with
// `q`, and check the shell prompt is back and `stty -a` is what it was before.
import Foundation
import Testing
import TokenloomSession
import TokenloomTestSupport

// Serialized: the tests run one at a time in source order, so the leak check at the end runs last.
@Suite(.serialized) struct EndToEndTests {
    static var binary: URL { URL(fileURLWithPath: TestBinaries.tokenloom) }

    static var tmuxAvailable: Bool { TmuxDriver.available }

    /// The pane titles on a screen: ["AR · NFE 5", …].
    static func titles(_ s: String) -> [String] { TokenloomScreen.titles(s) }

    @Test func explorerInTmux() throws {
        guard Self.tmuxAvailable else { Issue.record("tmux is not installed (apt-get install tmux)"); return }
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            Issue.record("\(Self.binary.path) is missing: run `swift build` first"); return
        }
        let t = TmuxDriver(tag: "e2e")
        defer { t.close() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokenloom-e2e-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try t.start(width: 120, height: 40)
        try t.waitFor("no shell prompt in the new tmux", timeout: 10) { $0.contains("READY$") }
        try t.type("stty -a > '\(dir.path)/before.txt'")
        try t.type("'\(Self.binary.path)'")

        // The default screen: every pane at NFE 0 with the hint.
        let opened = try t.waitFor("the explorer did not open", timeout: 120) { Self.titles($0).count >= 2 && $0.contains("q quit") }
        let panes = Self.titles(opened.text).count
        #expect(opened.text.contains("? help"))
        #expect(Self.titles(opened.text).allSatisfy { $0.hasSuffix("NFE 0") })

        for _ in 0..<5 { try t.send("n") }
        try t.waitFor("not every pane reached NFE 5", timeout: 120) { s in
            let ts = Self.titles(s); return ts.count == panes && ts.allSatisfy { $0.hasSuffix("NFE 5") }
        }

        try t.send("p")
        try t.waitFor("p did not step back to NFE 4", timeout: 10) { s in
            let ts = Self.titles(s); return ts.count == panes && ts.allSatisfy { $0.hasSuffix("NFE 4") }
        }

        // Help answers while the engine computes the next pass (key latency as seen through tmux).
        try t.send("n")
        try t.send("?")
        let help = try t.waitFor("no help overlay", timeout: 10) { $0.contains("keys  (Esc closes)") }
        print("e2e: help visible \(Int(help.after * 1000)) ms after '?' (sent while a pass was computing; includes tmux polling)")
        #expect(help.text.contains("play / pause"))
        try t.send("Escape")
        try t.waitFor("Escape did not close the help", timeout: 10) { !$0.contains("keys  (Esc closes)") }

        try t.send("c")
        try t.waitFor("compare off should show one pane", timeout: 10) { Self.titles($0).count == 1 }
        try t.send("c")
        try t.waitFor("compare on should show every pane again", timeout: 10) { Self.titles($0).count == panes }

        try t.send("h")
        try t.waitFor("no heatmap indication", timeout: 10) { $0.contains("heatmap") }

        // Resize: smaller, too small, and back.
        try t.resize(90, 30)
        try t.waitFor("no relayout at 90x30", timeout: 10) { s in
            let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
            return Self.titles(s).count == panes && lines.contains { $0.contains("q quit") } && lines.allSatisfy { $0.count <= 90 }
        }
        try t.resize(20, 6)
        try t.waitFor("no too-small message at 20x6", timeout: 10) { $0.contains("tokenloom needs") }
        try t.resize(120, 40)
        try t.waitFor("no layout after growing back to 120x40", timeout: 10) { Self.titles($0).count == panes }

        // A storm of resizes while playing: still alive, laid out for the final size.
        try t.send("Space")
        for i in 0..<30 { try t.resize(60 + (i * 7) % 80, 16 + (i * 5) % 30) }
        try t.resize(120, 40)
        try t.send("Space")
        try t.waitFor("layout broken after a resize storm", timeout: 15) { s in
            let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
            // The title bar spans the whole width: the pane is back at 120 columns.
            return Self.titles(s).count == panes && lines.first?.contains("tokenloom") == true && lines.contains { $0.contains("q quit") }
                && (lines.first?.count ?? 0) > 110
        }

        try t.send("q")
        try t.waitFor("no shell prompt after q", timeout: 15) { $0.contains("READY$") && !$0.contains("q quit") }
        // The shell prints STTY-DONE once stty has written the file (the typed line shows it once more).
        // The marker is computed by the shell, so the typed line itself never matches it.
        try t.type("stty -a > '\(dir.path)/after.txt'; echo STTY-$((40+2))-DONE")
        try t.waitFor("stty -a after quitting did not finish", timeout: 10) { $0.contains("STTY-42-DONE") }
        let before = try String(contentsOf: dir.appendingPathComponent("before.txt"), encoding: .utf8)
        let after = try String(contentsOf: dir.appendingPathComponent("after.txt"), encoding: .utf8)
        #expect(!before.isEmpty)
        // The window size is tmux's (a resize it applies late after the storm can show up here); the
        // modes are the explorer's to restore, and must be identical.
        #expect(Self.sttyModes(before) == Self.sttyModes(after), "stty -a differs after quitting:\n\(before)\n\(after)")
    }

    /// `stty -a` without its "rows N; columns N;" fields.
    static func sttyModes(_ s: String) -> String {
        s.replacingOccurrences(of: #"rows \d+; columns \d+; "#, with: "", options: .regularExpression)
    }

    @Test func signalsRestoreTheTerminal() throws {
        guard Self.tmuxAvailable, FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            Issue.record("needs tmux and the built tokenloom"); return
        }
        for (signal, how) in [("INT", "C-c"), ("TERM", "kill -TERM"), ("HUP", "kill -HUP")] {
            let t = TmuxDriver(tag: "e2e-sig-\(signal.lowercased())")
            defer { t.close() }
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokenloom-sig-\(getpid())-\(signal)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            try t.start(width: 120, height: 40)
            try t.waitFor("SIG\(signal): no shell prompt in the new tmux", timeout: 10) { $0.contains("READY$") }
            try t.type("stty -a > '\(dir.path)/before.txt'")
            // Play, so a pass is running when the signal arrives.
            try t.type("bash -c 'echo $$ > \(dir.path)/pid; exec \(Self.binary.path)'")
            try t.waitFor("SIG\(signal): the explorer did not open", timeout: 120) { Self.titles($0).count >= 2 }
            try t.send("Space")
            try t.waitFor("SIG\(signal): playback did not start", timeout: 120) { TokenloomScreen.isPlaying($0) }
            if how == "C-c" {
                try t.send("C-c")
            } else {
                let pid = try String(contentsOf: dir.appendingPathComponent("pid"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(try Subprocess.run(["kill", "-\(signal)", pid], timeout: 10).status == 0)
            }
            try t.waitFor("SIG\(signal): no shell prompt", timeout: 15) { $0.contains("READY$") && !$0.contains("q quit") }
            // Ctrl-C in raw mode is the quit key (exit 0); a signal exits 128 + its number.
            let code = how == "C-c" ? 0 : signal == "TERM" ? 143 : 129
            try t.type("echo EXIT=$?")
            try t.waitFor("SIG\(signal): exit status \(code) expected", timeout: 10) { $0.contains("EXIT=\(code)") }
            try t.type("stty -a > '\(dir.path)/after.txt'; echo SIG-$((40+2))-DONE")
            try t.waitFor("SIG\(signal): stty -a after the signal did not finish", timeout: 10) { $0.contains("SIG-42-DONE") }
            let before = try String(contentsOf: dir.appendingPathComponent("before.txt"), encoding: .utf8)
            let after = try String(contentsOf: dir.appendingPathComponent("after.txt"), encoding: .utf8)
            #expect(before == after, "SIG\(signal): stty -a differs after the signal")
        }
    }

    /// Tour 01 at 120x40 and 80x24: on the Jacobi pane, the explain overlay states Jacobi's own rule (the
    /// guess must equal the argmax) and never SJD's (no min(1, p/q), no u).
    @Test func jacobiExplainsItsOwnRule() throws {
        guard Self.tmuxAvailable, FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            Issue.record("needs tmux and the built tokenloom"); return
        }
        _ = try TestModels.smolLM2()
        // The second stop's note as the engine fills it in (its figures are placeholders in the file).
        let file = try ScenarioFile.load(path: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/01-jacobi-vs-ar.toml").path)
        let ws = try Tour.build(file)
        let run = try Tour.run(ws)
        let note = try Tour.notes(file, run: run, passes: try Tour.resolve(file, run: run), workspace: ws)[1]
        func words(_ s: String) -> String {
            s.replacingOccurrences(of: "│", with: " ").split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        for (w, h) in [(120, 40), (80, 24)] {
            let t = TmuxDriver(tag: "e2e-explain-\(w)")
            defer { t.close() }
            try t.start(width: w, height: h)
            try t.waitFor("\(w)x\(h): no shell prompt", timeout: 10) { $0.contains("READY$") }
            try t.type("'\(Self.binary.path)' tour 01-jacobi-vs-ar")
            try t.waitFor("\(w)x\(h): the tour did not open", timeout: 120) { Self.titles($0).count == 2 }
            try t.send("n")
            try t.send("n")
            try t.waitFor("\(w)x\(h): the second stop (pass 4) was not reached", timeout: 120) { s in
                TokenloomScreen.nfes(s).count == 2 && TokenloomScreen.nfes(s).allSatisfy { $0 == 4 }
            }
            if w == 120 {
                // The note box shows the filled note: its first three lines, cut at a word.
                let head = String(words(note).prefix(3 * (w - 4)).split(separator: " ").dropLast().joined(separator: " "))
                try t.waitFor("the tour note is not the engine's: wanted \(head)", timeout: 10) { words($0).contains(head) }
                #expect(head.contains(" guesses pass"), "the checked part of the note has no figure: \(head)")
            }
            try t.send("Tab")
            try t.send("e")
            let shown = try t.waitFor("\(w)x\(h): no explain overlay for Jacobi", timeout: 10) { $0.contains("explain: Jacobi") }
            // The overlay's wrapped lines, borders and padding removed, as one line of words.
            let text = shown.text.replacingOccurrences(of: "│", with: " ").split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(!text.contains("min(1"), "\(w)x\(h): \(shown.text)")
            #expect(!text.contains("u ="), "\(w)x\(h): \(shown.text)")
            #expect(text.contains("equals the argmax"), "\(w)x\(h): \(shown.text)")
            try t.send("Escape")
            try t.send("q")
            try t.waitFor("\(w)x\(h): q did not quit", timeout: 10) { $0.contains("READY$") && !$0.contains("q quit") }
        }
    }

    /// A 120x40 tmux shell running `tokenloom ARGS`, once the default screen is up; nil (with an issue
    /// recorded) where tmux or the built binary is missing. The caller closes it.
    static func explorer(tag: String, args: String) throws -> TmuxDriver? {
        guard tmuxAvailable, FileManager.default.isExecutableFile(atPath: binary.path) else {
            Issue.record("needs tmux and the built tokenloom"); return nil
        }
        let t = TmuxDriver(tag: tag)
        do {
            try t.start(width: 120, height: 40)
            try t.waitFor("no shell prompt", timeout: 10) { $0.contains("READY$") }
            try t.type("clear; '\(binary.path)' \(args)")
            try t.waitFor("\(args): the explorer did not open", timeout: 120) { $0.contains("NFE 0") && $0.contains("q quit") }
        } catch { t.close(); throw error }
        return t
    }

    /// `--theme light`: every cell of the screen, the ends of the compare line, header and status bar
    /// and the bottom-right corner included, is painted with a theme colour, never the terminal's own.
    @Test func lightThemePaintsEveryCell() throws {
        guard let t = try Self.explorer(tag: "e2e-light", args: "--theme light") else { return }
        defer { t.close() }
        for _ in 0..<3 { try t.send("n") }
        try t.send("c")
        try t.waitFor("three passes with the compare line", timeout: 120) { s in
            let n = TokenloomScreen.nfes(s)
            return !n.isEmpty && n.allSatisfy { $0 == 3 } && s.contains("/pass")
        }
        let raw = try t.tmux(["capture-pane", "-p", "-e", "-N", "-t", t.session])
        let rows = SGRCells.backgrounds(raw)
        let unpainted = rows.prefix(40).enumerated().flatMap { y, row in row.indices.filter { row[$0] == nil }.map { "(\($0),\(y))" } }
        #expect(rows.prefix(40).allSatisfy { $0.count == 120 }, "rows of other widths: \(rows.prefix(40).map(\.count))")
        #expect(unpainted.isEmpty, "\(unpainted.count) cells in the terminal's own background, the first: \(unpainted.prefix(8))")
        try t.send("q")
        try t.waitFor("q did not quit", timeout: 10) { $0.contains("READY$") && !$0.contains("q quit") }
    }

    /// `--ascii`: every byte tmux captures is printable ASCII. `NO_COLOR`: after 20 passes the state map
    /// of the default screen tells accepted, resampled and draft cells apart by glyph alone.
    @Test func asciiAndNoColorNeedNoUnicodeOrColour() throws {
        guard let t = try Self.explorer(tag: "e2e-ascii", args: "--ascii") else { return }
        defer { t.close() }
        for _ in 0..<6 { try t.send("n") }
        try t.send("e")
        let ascii = try t.waitFor("--ascii: no explain overlay", timeout: 120) { $0.contains("explain:") && $0.contains("NFE 6") }
        let bad = ascii.text.unicodeScalars.filter { !($0.value >= 0x20 && $0.value < 0x7F) && $0 != "\n" }
        #expect(bad.isEmpty, "non-ASCII in --ascii: \(Set(bad.map { String($0) }).sorted())")
        try t.send("Escape")
        try t.send("q")
        try t.waitFor("--ascii: q did not quit", timeout: 10) { $0.contains("READY$") && !$0.contains("q quit") }

        try t.type("NO_COLOR=1 '\(Self.binary.path)'")
        try t.waitFor("NO_COLOR: the explorer did not open", timeout: 120) { $0.contains("NFE 0") && $0.contains("q quit") }
        for _ in 0..<20 { try t.send("n") }
        try t.send("m")
        let mono = try t.waitFor("NO_COLOR: 20 passes", timeout: 120) { s in
            TokenloomScreen.nfes(s).count == 3 && TokenloomScreen.nfes(s).allSatisfy { $0 == 20 } && s.contains("state map")
        }
        // accepted ▓, resampled ▚, draft ▒ (GridView.glyph): all three are on screen.
        let glyphs = Set(mono.text).intersection(["▓", "▚", "▒"])
        #expect(glyphs.count == 3, "glyphs on the NO_COLOR state map: \(glyphs.sorted())\n\(mono.text)")
        try t.send("q")
        try t.waitFor("NO_COLOR: q did not quit", timeout: 10) { $0.contains("READY$") && !$0.contains("q quit") }
    }

    /// Last in source order, so it runs after the tests above: no tmux server on one of this run's
    /// `tokenloom-` sockets, no process the tmux servers ran, and no `tokenloom` child of the runner is
    /// still alive.
    @Test func nothingStartedIsStillAliveAfterwards() {
        var left: [String] = []
        // A run that is just starting elsewhere may not be registered yet: a real leftover stays.
        let clean = Poll.until(timeout: 3, interval: 0.25) { left = ChildProcesses.leftovers(); return left.isEmpty }
        #expect(clean, "still alive after the terminal tests:\n\(left.joined(separator: "\n"))")
    }
}
