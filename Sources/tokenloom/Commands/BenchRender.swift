// RenderBench: `tokenloom tui --bench-render`: steps the scenario's decoders, then renders frames
// of the whole screen into the canvas at a fixed size (no terminal), and prints the median frame
// time and the spread. Each frame is a different pass, so no frame is a copy of the last.
import Foundation
import TokenloomSession
import TokenloomTUI

enum RenderBench {
    static func run(session: Session, size: String, theme: Theme, passes: Int = 24, frames: Int = 300) throws {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 20, parts[1] >= 6, parts[0] <= 1000, parts[1] <= 500 else {
            throw CLIError.usage("--bench-size must look like 200x60, got '\(size)'")
        }
        let (w, h) = (parts[0], parts[1])
        session.start()
        session.waitUntilIdle(timeout: 600)
        for _ in 0..<passes { session.next() }
        session.waitUntilIdle(timeout: 600)
        if let err = session.snapshot().error { throw CLIError.data(err) }
        let head = session.snapshot().head
        var ui = UIState(theme: theme, colorMode: .truecolor)
        var times: [Double] = []
        var snaps: [Snapshot] = []
        session.first()
        for _ in 0...head { snaps.append(session.snapshot()); session.next() }
        for i in 0..<frames {
            ui.gridMode = [GridMode.colour, .heatmap, .state][i % 3]
            let s = snaps[i % snaps.count]
            let t0 = Session.now()
            let canvas = Screen.render(s, ui, width: w, height: h)
            times.append((Session.now() - t0) * 1000)
            if canvas.width != w { throw CLIError.data("render produced the wrong size") }
        }
        times.sort()
        let med = times[times.count / 2], p90 = times[times.count * 9 / 10]
        print("render \(w)x\(h): median \(String(format: "%.3f", med)) ms, p90 \(String(format: "%.3f", p90)) ms over \(frames) frames of \(snaps.count) passes (\(session.snapshot().panes.map(\.name).joined(separator: ", ")))")
    }
}
