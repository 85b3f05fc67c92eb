// Test fixtures: presenters and sessions built from hand-written trace events (test target only).
import Foundation
import TokenloomDecoding
import TokenloomSession
@testable import TokenloomTUI

/// An image presenter whose token t has colour (t, 2t, 3t) mod 256 on a w x h grid.
struct TestImagePresenter: TokenPresenter {
    let layout: TokenLayout
    init(width: Int, height: Int, first: Int) { layout = .image(width: width, height: height, firstPosition: first) }
    func piece(_ token: Int) -> String { "#\(token)" }
    func colour(of token: Int) -> RGB? { RGB(UInt8(token % 256), UInt8((2 * token) % 256), UInt8((3 * token) % 256)) }
}

/// A text presenter over a small word list: token t is words[t].
struct TestTextPresenter: TokenPresenter {
    let layout = TokenLayout.text
    static let words = ["<s>", " The", " cat", " sat", ".", " on", " the", " mat", ",", " a", " dog", " ran", "!", " and"]
    func piece(_ token: Int) -> String { token >= 0 && token < Self.words.count ? Self.words[token] : "#\(token)" }
    func colour(of token: Int) -> RGB? { nil }
}

/// A session over recorded steps, advanced to `ticks` passes.
func replaySession(_ decoders: [(name: String, prompt: [Int], steps: [[TraceEvent]])], presenter: TokenPresenter,
                   ticks: Int) -> Session {
    let s = Session(scenario: Scenario(modelRef: "test", prompt: "test", decoders: [])) { _ in
        Workspace(decoders: decoders.map { ReplayDecoder(name: $0.name, prompt: $0.prompt, steps: $0.steps) },
                  presenter: presenter, title: "test")
    }
    s.start()
    for _ in 0..<ticks { s.next() }
    s.waitUntilIdle()
    return s
}

/// Finds the line of the canvas that contains `needle`.
func line(_ c: Canvas, containing needle: String) -> String? {
    (0..<c.height).map(c.row).first { $0.contains(needle) }
}
