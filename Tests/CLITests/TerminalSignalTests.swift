// Signals and the terminal (issue 7), in a private tmux server at 120x40: SIGINT, SIGTERM and SIGHUP
// while the explorer plays end it with `stty -a` unchanged; a storm of resizes while playing does not
// crash it; started in a 20x6 terminal it shows a message instead of a layout. The last test checks
// that nothing these tests (or the CLI runs before them) started is still alive.
import Foundation
import Testing
import TokenloomDecoding
import TokenloomTestSupport

// Serialized: the tests run one at a time in source order, so the leak check at the end runs last.
@Suite(.serialized) struct TerminalSignalTests {
    static func titles(_ s: String) -> [String] { TokenloomScreen.titles(s) }

    /// A scratch folder with a long recorded trace (so playback runs for a while) made by the tiny model.
    static func replayTrace() throws -> String {
        let dir = BadModelFiles.folder("term")
        let model = BadModelFiles.write(BadModelFiles.tiny().encoded(), dir + "/tiny.gguf")
        let trace = dir + "/long.jsonl"
        let r = try CLIRunner.run(["generate", "--model", model, "--prompt", "ab", "--max-tokens", "60",
                                   "--decoder", "ar", "--trace", trace, "--json"])
        #expect(r.status == 0, "generate: \(r.stderr)")
        return trace
    }

    func ready() throws -> Bool {
        guard TmuxDriver.available else { Issue.record("tmux is not installed (apt-get install tmux)"); return false }
        guard FileManager.default.isExecutableFile(atPath: CLIRunner.binary) else {
            Issue.record("\(CLIRunner.binary) is missing: build first"); return false
        }
        return true
    }

    /// Starts `command` (through a shell that records its pid) in a 120x40 tmux, after saving `stty -a`.
    func open(_ t: TmuxDriver, _ dir: String, _ command: String) throws {
        try t.start(width: 120, height: 40)
        try t.waitFor("no shell prompt in the new tmux", timeout: 10) { $0.contains("READY$") }
        try t.type("stty -a > '\(dir)/before.txt'")
        try t.type("bash -c 'echo $$ > \(dir)/pid; exec \(command)'")
    }

    /// After the explorer ended: the prompt is back and `stty -a` is what it was.
    func expectRestored(_ t: TmuxDriver, _ dir: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try t.waitFor("\(what): no shell prompt", timeout: 15) { $0.contains("READY$") && !$0.contains("q quit") }
        try t.type("stty -a > '\(dir)/after.tmp'; mv '\(dir)/after.tmp' '\(dir)/after.txt'")
        #expect(Poll.until(timeout: 10) { FileManager.default.fileExists(atPath: dir + "/after.txt") },
                "\(what): stty -a after the explorer was not written", sourceLocation: sourceLocation)
        let before = (try? String(contentsOfFile: dir + "/before.txt", encoding: .utf8)) ?? ""
        let after = (try? String(contentsOfFile: dir + "/after.txt", encoding: .utf8)) ?? "(none)"
        #expect(!before.isEmpty, sourceLocation: sourceLocation)
        #expect(before == after, "\(what): stty -a differs", sourceLocation: sourceLocation)
    }

    @Test func signalsWhilePlayingRestoreTheTerminal() throws {
        guard try ready() else { return }
        let trace = try Self.replayTrace()
        for signal in ["INT", "TERM", "HUP"] {
            let t = TmuxDriver(tag: "sig-\(signal.lowercased())")
            defer { t.close() }
            let dir = BadModelFiles.folder("sig-\(signal)")
            try open(t, dir, "\(CLIRunner.binary) replay \(trace)")
            try t.waitFor("SIG\(signal): the explorer did not open", timeout: 60) { Self.titles($0).count >= 1 }
            try t.send("Space")   // play
            try t.waitFor("SIG\(signal): playback did not start", timeout: 30) { TokenloomScreen.isPlaying($0) }
            if signal == "INT" {
                try t.send("C-c")
            } else {
                let pid = try String(contentsOfFile: dir + "/pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(Foundation.kill(pid_t(pid) ?? -1, signal == "TERM" ? SIGTERM : SIGHUP) == 0)
            }
            try expectRestored(t, dir, "SIG\(signal)")
        }
    }

    @Test func resizeStormWhilePlayingDoesNotCrash() throws {
        guard try ready() else { return }
        let trace = try Self.replayTrace()
        let t = TmuxDriver(tag: "storm")
        defer { t.close() }
        let dir = BadModelFiles.folder("storm")
        try open(t, dir, "\(CLIRunner.binary) replay \(trace)")
        try t.waitFor("the explorer did not open", timeout: 60) { Self.titles($0).count >= 1 }
        try t.send("Space")
        try t.waitFor("playback did not start", timeout: 30) { TokenloomScreen.isPlaying($0) }
        // The same storm every run: sizes from a seeded generator, a too-small 20x6 every tenth.
        var rng = SeededRNG(seed: 7)
        for i in 0..<60 {
            let w = i % 10 == 9 ? 20 : Int.random(in: 30...160, using: &rng)
            let h = i % 10 == 9 ? 6 : Int.random(in: 8...50, using: &rng)
            try t.resize(w, h)
        }
        try t.resize(120, 40)
        // Still alive and drawing a full layout after the storm.
        try t.waitFor("no clean layout after the resize storm", timeout: 15) { s in
            Self.titles(s).count >= 1 && s.contains("q quit") && s.split(separator: "\n").allSatisfy { $0.count <= 120 }
        }
        try t.send("q")
        try expectRestored(t, dir, "resize storm")
    }

    @Test func tinyTerminalShowsAMessage() throws {
        guard try ready() else { return }
        let trace = try Self.replayTrace()
        let t = TmuxDriver(tag: "tiny-term")
        defer { t.close() }
        let dir = BadModelFiles.folder("tiny-term")
        try t.start(width: 20, height: 6)
        try t.waitFor("no shell prompt in the new tmux", timeout: 10) { $0.contains("READY$") }
        try t.type("stty -a > '\(dir)/before.txt'")
        try t.type("\(CLIRunner.binary) replay \(trace)")
        let small = try t.waitFor("no too-small message at 20x6", timeout: 30) { $0.contains("tokenloom needs") }
        #expect(Self.titles(small.text).isEmpty, "a layout was drawn at 20x6:\n\(small.text)")
        try t.send("q")
        try expectRestored(t, dir, "20x6")
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
