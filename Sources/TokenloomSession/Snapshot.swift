// Snapshot: an immutable picture of the whole session at one tick, the only thing the UI reads.

import TokenloomDecoding

/// One decoder at one tick.
public struct DecoderSnapshot: Sendable {
    public var name: String
    /// Its settings in short ("greedy", "T 0.7 W16"), for the pane title; empty for a replay.
    public var mode: String = ""
    /// Its rule in words with its parameters (Decoder.rule); empty for a replay.
    public var rule: String = ""
    public var tick: Int
    public var prompt: [Int]
    /// Committed tokens after the prompt, in position order.
    public var committed: [CommittedToken]
    /// The record of this tick (its events, stats, window, branch).
    public var current: StepRecord
    /// The records of up to the last few ticks, oldest first, ending with `current`
    /// (the Jacobi iteration-by-position table reads these).
    public var recent: [StepRecord]
    /// The image model's fuser gates by prompt-token index (empty when the model has none).
    public var fuserGates: [Double]

    public var stats: DecodeStats { current.stats }
    /// Forward passes so far: the number a pane title shows as `NFE n`.
    public var nfe: Int { current.stats.forwardPasses }
    /// First position after the prompt.
    public var promptCount: Int { prompt.count }

    /// Positions committed in this tick.
    public var committedThisTick: Set<Int> {
        var s = Set<Int>()
        for e in current.events { if case .commit(let start, let t) = e { for i in 0..<t.count { s.insert(start + i) } } }
        return s
    }
    /// Positions whose draft was rejected in this tick.
    public var rejectedThisTick: Set<Int> {
        var s = Set<Int>()
        for e in current.events {
            if case .reject(let pos, _, _, _, _) = e { s.insert(pos) }
            if case .match(let pos, let g, let t) = e, g != t { s.insert(pos) }
        }
        return s
    }
    /// The committed token at an absolute position, if any.
    public func committed(at position: Int) -> CommittedToken? {
        let i = position - promptCount
        return i >= 0 && i < committed.count ? committed[i] : nil
    }
    public func draft(at position: Int) -> DraftSlot? { current.window.first { $0.position == position } }
}

public struct Snapshot: Sendable {
    /// The tick shown.
    public var tick: Int
    /// The newest tick computed.
    public var head: Int
    public var playing: Bool
    /// True while the engine is running a pass or building the scenario.
    public var busy: Bool
    public var panes: [DecoderSnapshot]
    public var presenter: TokenPresenter
    public var title: String
    public var note: String?
    /// Why the scenario could not be built, if it could not.
    public var error: String?
    /// Milliseconds between ticks while playing.
    public var intervalMs: Int
    /// The model's fuser gates (from the workspace), if it has a fuser.
    public var fuser: [FuserGate] = []

    /// A snapshot with no panes (while the scenario is being built).
    public static func empty(title: String) -> Snapshot {
        Snapshot(tick: 0, head: 0, playing: false, busy: true, panes: [], presenter: IDPresenter(),
                 title: title, note: nil, error: nil, intervalMs: 250)
    }
}
