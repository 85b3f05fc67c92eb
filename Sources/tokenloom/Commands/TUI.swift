// `tokenloom` / `tokenloom tui`: the explorer. With no options it opens the default scenario
// (the built-in image model with AR, SJD and SJD2, or SmolLM2 text until that ships), paused at
// pass 0. `--bench-render` (hidden) times frame rendering for the closing notes instead.
import ArgumentParser
import Foundation
import TokenloomDecoding
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
        try Theme.load(theme)
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
        let signal = try app.run(env: ProcessInfo.processInfo.environment, forcedMode: forced)
        if let err = app.session.snapshot().error { throw CLIError.data(err) }
        if let s = signal { throw Interrupted(signal: s) }
    }
}

struct TUICommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tui",
        abstract: "Open the explorer (the default when no subcommand is given).")

    @Option(name: .shortAndLong, help: "Model: smollm2, builtin:NAME, a path to a .gguf file, or a served model http://HOST:PORT/v1#NAME (default: the built-in image model).")
    var model: String?

    @OptionGroup(title: "Served models") var served: ServedModelOptions

    @Option(name: .shortAndLong, help: "The prompt.")
    var prompt: String?

    @Option(help: "Decoders side by side, 1 to 4, comma-separated (sjd2 on image models; cntp and lookahead on text).")
    var decoders: DecoderList?

    @Option(parsing: .unconditional, help: "Seed of every decoder's random generator.")
    var seed: UInt64 = DecoderRegistry.defaultSeed

    @Option(parsing: .unconditional, help: "Most new tokens (text models).")
    var maxTokens: Int = 200

    @Option(parsing: .unconditional, help: "Jacobi / SJD / SJD2 window (default: each decoder's own, 16 for SJD, 80 for SJD2).")
    var window: Int?

    @Option(parsing: .unconditional, help: "Temperature of the panes that sample (default 1; the default text screen's SJD 0.7).")
    var temperature: Double?

    @Option(parsing: .unconditional, help: "Worker threads for the kernels (default: the number of cores; 1 for an image model).")
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
        try check(maxTokens, in: Scenario.maxTokensRange, "--max-tokens")
        if let t = threads { try check(t, in: Scenario.threadsRange, "--threads") }
        if let d = decoders, !(1...4).contains(d.kinds.count) {
            throw ValidationError("--decoders takes 1 to 4 names, got \(d.kinds.count)")
        }
        var spec = DecoderSpec(kind: .ar)
        spec.window = window; spec.temperature = temperature
        do { try spec.validate() } catch let e as DecodeError { throw ValidationError("--" + e.description) }
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
        if let d = decoders { sc.decoders = d.kinds.map { ScenarioPane($0) } }
        let domain: ModelDomain = ScenarioFactory.isImageModel(sc.modelRef) ? .image : .text
        for i in sc.decoders.indices {
            if let w = window { sc.decoders[i].spec.window = w }
            // --temperature sets the panes that sample; greedy panes stay greedy.
            if let t = temperature, sc.decoders[i].spec.sampler(on: domain).temperature > 0 { sc.decoders[i].spec.temperature = t }
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
        try ScenarioFactory.validate(sc)
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
