// `tokenloom replay FILE.jsonl [FILE2 …]`: the explorer on recorded traces (from `generate
// --trace`), one pane per file, no model needed. Token ids show as `#id` unless --model names
// the model whose vocabulary they come from.
import ArgumentParser
import Foundation
import TokenloomModels
import TokenloomSession
import TokenloomTUI

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "replay",
        abstract: "Open the explorer on a recorded trace (JSON Lines).")

    @Argument(help: "Trace files (1 to 4), one pane each.")
    var files: [String]

    @Option(name: .shortAndLong, help: "Show tokens with this model's vocabulary (smollm2, builtin:NAME or a path).")
    var model: String?

    @Option(help: "Show the trace as an image grid of WIDTHxHEIGHT tokens starting after the prompt.")
    var grid: String?

    @OptionGroup var look: ExplorerOptions

    @Flag(help: ArgumentHelp("Print the panes' final state instead of opening the explorer.", visibility: .hidden))
    var summary = false

    func validate() throws {
        if files.isEmpty || files.count > 4 { throw ValidationError("replay takes 1 to 4 trace files, got \(files.count)") }
        if let g = grid, parseGrid(g) == nil { throw ValidationError("--grid must be WxH with each side in 1...4096, like 16x16, got '\(g.escapingControlCharacters)'") }
    }

    func parseGrid(_ g: String) -> (Int, Int)? {
        let parts = g.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, (1...4096).contains(parts[0]), (1...4096).contains(parts[1]),
              parts[0] * parts[1] <= 1 << 20 else { return nil }
        return (parts[0], parts[1])
    }

    func run() throws {
        var traces: [TraceFile] = []
        for f in files {
            traces.append(try TraceFile.read(path: f))
        }
        var presenter: TokenPresenter = IDPresenter()
        if let g = grid.flatMap(parseGrid) {
            presenter = IDPresenter(layout: .image(width: g.0, height: g.1, firstPosition: traces[0].prompt.count))
        } else if let m = model {
            let path = try ModelStore.resolve(m)
            presenter = TokenizerPresenter(try TokenizerLoader.load(from: try GGUFFile(path: path)))
        }
        let title = files.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")
        let shown = presenter
        let recorded = traces
        let session = Session(scenario: Scenario(modelRef: "replay", prompt: title, decoders: [])) { _ in
            Workspace(decoders: recorded.map { ReplayDecoder(name: $0.decoder, prompt: $0.prompt, steps: $0.steps) },
                      presenter: shown, title: "replay · " + title)
        }
        if summary {
            session.start()
            session.waitUntilIdle()
            for _ in 0..<traces.map(\.steps.count).max()! { session.next() }
            session.waitUntilIdle()
            for p in session.snapshot().panes {
                print("\(p.name): NFE \(p.nfe), \(p.committed.count) tokens, \(p.stats.accepted)/\(p.stats.drafted) accepted")
            }
            return
        }
        try look.run(session, remake: nil)
    }
}
