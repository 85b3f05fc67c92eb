// `tokenloom tour [NAME]`: lists the shipped guided tours (examples/*.toml), or opens one by name
// (or path) in the explorer with its stops resolved by a headless run first. `--check` prints the
// stops' passes instead; `--events` prints each pane's first events (for writing notes).
import ArgumentParser
import Foundation
import TokenloomSession
import TokenloomTUI

enum Examples {
    /// The shipped scenarios' folder: $TOKENLOOM_EXAMPLES, ./examples, or `examples/` in a folder
    /// above the executable (the package root when run from .build).
    static func folder() -> String? {
        let fm = FileManager.default
        func hasScenarios(_ dir: String) -> Bool {
            ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).contains { $0.hasSuffix(".toml") }
        }
        if let e = ProcessInfo.processInfo.environment["TOKENLOOM_EXAMPLES"], !e.isEmpty { return e }
        let cwd = fm.currentDirectoryPath + "/examples"
        if hasScenarios(cwd) { return cwd }
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<8 {
            let cand = dir.appendingPathComponent("examples").path
            if hasScenarios(cand) { return cand }
            let up = dir.deletingLastPathComponent()
            if up.path == dir.path { break }
            dir = up
        }
        return nil
    }

    /// The shipped scenario files, sorted by name.
    static func files() -> [String] {
        guard let dir = folder() else { return [] }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".toml") }
        return names.sorted().map { dir + "/" + $0 }
    }

    /// A scenario by path, by file name, or by the name without its number ("jacobi-vs-ar").
    static func find(_ name: String) throws -> String {
        if name.hasSuffix(".toml") || name.contains("/") { return name }
        let all = files()
        for f in all {
            let base = ((f as NSString).lastPathComponent as NSString).deletingPathExtension
            let bare = base.drop { $0.isNumber }.drop { $0 == "-" }
            if base == name || String(bare) == name { return f }
        }
        let names = all.map { ((($0 as NSString).lastPathComponent) as NSString).deletingPathExtension }
        throw CLIError.usage("no tour '\(name)' (shipped: \(names.isEmpty ? "none found; run from the package folder or set TOKENLOOM_EXAMPLES" : names.joined(separator: ", ")))")
    }

    static func load(_ path: String) throws -> ScenarioFile {
        try ScenarioFile.load(path: path)
    }

    /// Runs the scenario headless and resolves its stops: their passes, and their notes filled in
    /// from the run at those passes.
    static func resolve(_ file: ScenarioFile) throws -> (run: HeadlessRun, passes: [Int], notes: [String]) {
        let ws = try Tour.build(file)
        let run = try Tour.run(ws)
        let passes = try Tour.resolve(file, run: run)
        return (run, passes, try Tour.notes(file, run: run, passes: passes, workspace: ws))
    }

    /// Opens a scenario file in the explorer as a tour.
    static func open(_ file: ScenarioFile, look: ExplorerOptions) throws {
        var stops: [(pass: Int, note: String)] = []
        if !file.tour.isEmpty {
            FileHandle.standardError.write("resolving the tour's stops (a headless run)…\n".data(using: .utf8)!)
            let r = try resolve(file)
            stops = Array(zip(r.passes, r.notes))
        }
        let make: (Scenario) -> Session = { s in
            Session(scenario: s, builder: ScenarioFactory.build)
        }
        let guide = stops.isEmpty ? nil : TourGuide(title: file.title, stops: stops.map { TourGuide.Stop(pass: $0.pass, note: $0.note) })
        try look.run(make(file.scenario), remake: make, tour: guide)
    }
}

struct TourCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tour",
        abstract: "List the guided tours, or open one by name (n: next stop, → one pass).")

    @Argument(help: "A shipped tour's name (see the list), or a path to a scenario .toml file.")
    var name: String?

    @Flag(help: "Run the tour headless and print each stop's pass instead of opening the explorer.")
    var check = false

    @Flag(name: .customLong("notes"), help: "With --check, print each stop's note as filled in from the engine.")
    var verbose = false

    @Flag(help: ArgumentHelp("Print each pane's first events by pass (for writing notes).", visibility: .hidden))
    var events = false

    @OptionGroup var look: ExplorerOptions

    func run() throws {
        guard let name else {
            let files = Examples.files()
            if files.isEmpty { throw CLIError.data("no shipped tours found (run from the package folder or set TOKENLOOM_EXAMPLES)") }
            for f in files {
                let sf = try Examples.load(f)
                print("\(sf.name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(sf.title)")
                if !sf.summary.isEmpty { print(String(repeating: " ", count: 35) + sf.summary) }
            }
            print("\nopen one with: tokenloom tour NAME   (in a tour: n next stop, → one pass, ? help)")
            return
        }
        let file = try Examples.load(try Examples.find(name))
        if check || events || verbose {
            if events {
                let ws = try Tour.build(file)
                printEvents(try Tour.run(ws), ws)
            }
            let (run, passes, notes) = try Examples.resolve(file)
            print("\(file.title): \(run.passes) passes; panes finish at \(zip(run.names, run.finishedAt).map { "\($0) \($1)" }.joined(separator: ", "))")
            for (i, (p, stop)) in zip(passes, file.tour).enumerated() {
                let what = stop.event.map { "\($0.rawValue)\(stop.decoder.map { " in \($0)" } ?? "")" } ?? "pass"
                print("stop \(i + 1): pass \(p) (\(what))")
                if verbose { print("  " + notes[i]) }
            }
            return
        }
        try Examples.open(file, look: look)
    }

    func printEvents(_ run: HeadlessRun, _ ws: Workspace) {
        for (i, n) in run.names.enumerated() {
            print("== \(n): \(run.generated[i].count) tokens in \(run.finishedAt[i]) passes")
            if case .text = ws.presenter.layout { print(run.generated[i].map { ws.presenter.piece($0) }.joined()) }
            for ev in TourEvent.allCases {
                if let p = Tour.firstPass(of: ev, pane: n, in: run) { print("  \(ev.rawValue): pass \(p)") }
            }
            for (t, evs) in run.events[i].enumerated() where t < run.finishedAt[i] {
                let acc = evs.filter { if case .accept = $0 { return true }; return false }.count
                let rej = evs.filter { if case .reject = $0 { return true }; return false }.count
                let res = evs.filter { if case .resample = $0 { return true }; return false }.count
                let com = evs.reduce(0) { if case .commit(_, let t) = $1 { return $0 + t.count }; return $0 }
                let br = evs.compactMap { e -> String? in if case .branchOpened(let pos, let h, let k) = e { return "branch@\(pos) H=\(String(format: "%.2f", h)) trials=\(k)" }; return nil }
                let sc = evs.compactMap { e -> String? in if case .trialScored(let tr, let ppl) = e { return "trial\(tr) ppl=\(String(format: "%.2f", ppl))" }; return nil }
                let ch = evs.compactMap { e -> String? in if case .branchChosen(let tr) = e { return "chose \(tr)" }; return nil }
                let pq = evs.compactMap { e -> String? in
                    switch e {
                    case .accept(let pos, _, let p, let q, let u): return "acc@\(pos) p=\(String(format: "%.2f", p)) q=\(String(format: "%.2f", q)) u=\(String(format: "%.2f", u))"
                    case .reject(let pos, _, let p, let q, let u): return "rej@\(pos) p=\(String(format: "%.2f", p)) q=\(String(format: "%.2f", q)) u=\(String(format: "%.2f", u))"
                    default: return nil
                    }
                }.prefix(3)
                print("  pass \(t + 1): commit \(com) acc \(acc) rej \(rej) resample \(res) \((br + sc + ch + pq).joined(separator: " "))")
            }
        }
        if run.generated.count >= 2 {
            let a = run.generated[0], b = run.generated[1]
            print("panes 1 and 2 differ at \(zip(a, b).filter { $0 != $1 }.count) of \(min(a.count, b.count)) tokens")
        }
        if !ws.fuser.isEmpty { print("fuser gates: " + ws.fuser.map { "\($0.label)=\(String(format: "%.3f", $0.value))" }.joined(separator: " ")) }
    }
}
