// `tokenloom` / `tokenloom tui`: the explorer. With no options it opens the default scenario
// (the built-in image model with AR, SJD and SJD2, or SmolLM2 text until that ships), paused at
// pass 0. `--bench-render` (hidden) times frame rendering for the closing notes instead.
import ArgumentParser
import Foundation
import TokenloomSession
import TokenloomTUI

/// Options every explorer command shares: how it looks.
struct ExplorerOptions: ParsableArguments {
    @Option(help: "Theme: dark, light, high-contrast, or a path to a .toml file.")
    var theme: String = "dark"

    @Flag(help: "Draw with ASCII only (for terminals or locales without UTF-8).")
    var ascii = false

    @Option(help: ArgumentHelp("Force the colour mode: truecolor, 256, 16 or mono.", visibility: .hidden))
    var colors: String?

    func loadTheme() throws -> Theme {
        do { return try Theme.load(theme) } catch let e as ThemeError { throw CLIError.data(e.description) }
    }

    func forcedMode() throws -> ColorMode? {
        if let v = ProcessInfo.processInfo.environment["NO_COLOR"], !v.isEmpty { return .mono }
        guard let c = colors else { return nil }
        guard let m = ColorMode(rawValue: c) else { throw CLIError.usage("--colors must be truecolor, 256, 16 or mono, got '\(c)'") }
        return m
    }

    /// Runs the explorer on `session` until the user quits; the terminal is restored first on
    /// every way out, errors included.
    func run(_ session: Session, remake: ((Scenario) -> Session)?, tour: TourGuide? = nil) throws {
        let theme = try loadTheme()
        let forced = try forcedMode()
        var ui = UIState(theme: theme, colorMode: forced ?? .xterm256, ascii: ascii)
        ui.tour = tour
        let app = App(session: session, ui: ui, remake: remake)
        do { try app.run(env: ProcessInfo.processInfo.environment, forcedMode: forced) } catch let e as TerminalError {
            throw CLIError.usage(e.description)
        }
        if let err = app.session.snapshot().error { throw CLIError.data(err) }
    }
}

struct TUICommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tui",
        abstract: "Open the explorer (the default when no subcommand is given).")

    @Option(name: .shortAndLong, help: "Model: smollm2, builtin:NAME, or a path to a .gguf file (default: the built-in image model).")
    var model: String?

    @Option(name: .shortAndLong, help: "The prompt.")
    var prompt: String?

    @Option(help: "Decoders side by side, 1 to 4, comma-separated: ar, jacobi, sjd, sjd2, cntp, lookahead.")
    var decoders: String?

    @Option(help: "Seed of every decoder's random generator.")
    var seed: UInt64 = 42

    @Option(help: "Most new tokens (text models).")
    var maxTokens: Int = 200

    @Option(help: "Jacobi / SJD / SJD2 window (default: each decoder's own, 16 for SJD, 80 for SJD2).")
    var window: Int?

    @Option(help: "Sampling temperature of the sampling decoders (default 0.7 for text, 1 for images).")
    var temperature: Double?

    @Option(help: "Worker threads for the kernels (default: the number of cores).")
    var threads: Int?

    @Option(name: .customLong("scenario"), help: "Open a scenario file (examples/*.toml) and its tour, if it has one.")
    var scenarioFile: String?

    @OptionGroup var look: ExplorerOptions

    @Flag(help: ArgumentHelp("Benchmark frame rendering at --bench-size instead of opening the explorer.", visibility: .hidden))
    var benchRender = false

    @Option(help: ArgumentHelp("Screen size for --bench-render, COLSxROWS.", visibility: .hidden))
    var benchSize: String = "200x60"

    func validate() throws {
        if let p = prompt, p.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--prompt must not be empty") }
        if maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1, got \(maxTokens)") }
        if let w = window, w < 1 { throw ValidationError("--window must be at least 1, got \(w)") }
        if let t = temperature, !(t >= 0) { throw ValidationError("--temperature must be >= 0, got \(t)") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1, got \(t)") }
        if let d = decoders {
            let n = d.split(separator: ",").count
            if n < 1 || n > 4 { throw ValidationError("--decoders takes 1 to 4 names, got \(n)") }
        }
    }

    /// The scenario the flags describe.
    func scenario() -> (Scenario, String?) {
        var sc: Scenario
        var note: String?
        if let m = model {
            sc = ScenarioFactory.isImageModel(m)
                ? ScenarioFactory.imageScenario(modelRef: m, prompt: ScenarioFactory.defaultImagePrompt, seed: seed)
                : ScenarioFactory.textScenario(modelRef: m, prompt: ScenarioFactory.defaultTextPrompt, seed: seed)
        } else {
            (sc, note) = ScenarioFactory.defaultScenario(seed: seed)
        }
        if let p = prompt { sc.prompt = p }
        if let d = decoders {
            let sampling = sc.decoders.map(\.temperature).max() ?? 1
            sc.decoders = d.split(separator: ",").map { name in
                let n = name.trimmingCharacters(in: .whitespaces)
                let samples = ["sjd", "sjd2", "cntp"].contains(n.lowercased()) || sampling >= 1
                return DecoderChoice(name: n, temperature: samples ? sampling : 0)
            }
        }
        for i in sc.decoders.indices {
            if let w = window { sc.decoders[i].window = w }
            if let t = temperature, sc.decoders[i].temperature > 0 { sc.decoders[i].temperature = t }
        }
        sc.maxNewTokens = maxTokens
        sc.threads = threads
        return (sc, note)
    }

    func run() throws {
        if let path = scenarioFile {
            try Examples.open(try Examples.load(path), look: look)
            return
        }
        let (sc, note) = scenario()
        do { try ScenarioFactory.validate(sc) } catch let e as SessionError {
            throw CLIError.usage(e.description)
        } catch {
            throw CLIError.data("\(error)")
        }
        let make: (Scenario) -> Session = { s in
            Session(scenario: s) { s in
                var ws = try ScenarioFactory.build(s)
                if ws.note == nil { ws.note = note }
                return ws
            }
        }
        if benchRender {
            try RenderBench.run(session: make(sc), size: benchSize, theme: look.loadTheme())
            return
        }
        try look.run(make(sc), remake: make)
    }
}
