// KeyMap: the one table of key bindings. The dispatcher looks keys up here and the help overlay
// lists this same table, so the help always shows the live bindings.

public enum Key: Hashable, Sendable {
    case char(Character)
    case up, down, left, right, tab, backTab, enter, escape, backspace, f1, resize, ctrlC
    /// A left click at a screen cell.
    case click(x: Int, y: Int)
}

public enum Action: Sendable, Equatable {
    case next, back, playPause, faster, slower, first, last
    case compare, nextPane, heatmap, stateMap, imageOnly, colouring, explain, legend, distribution, help, theme
    case cursorNext, cursorPrev, cursorUp, cursorDown
    case prompt, seed, quit, closeOverlay
    /// Guided tours: the next / previous stop (`n` means the next stop while a tour is open).
    case nextStop, previousStop
    /// The next / previous pass with an event of interest (a rejection, a resample, a branch, a finish).
    case nextEvent, previousEvent
    /// Type a pass number to jump to.
    case gotoPass
}

public struct KeyBinding: Sendable {
    public var keys: [Key]
    /// How the help shows the keys ("n →").
    public var label: String
    public var action: Action
    public var help: String
}

public enum KeyMap {
    public static let bindings: [KeyBinding] = [
        KeyBinding(keys: [.char("n"), .right], label: "n →", action: .next, help: "next forward pass (every pane)"),
        KeyBinding(keys: [.char("p"), .left], label: "p ←", action: .back, help: "previous pass (a lookup, no recompute)"),
        KeyBinding(keys: [.char(" ")], label: "Space", action: .playPause, help: "play / pause"),
        KeyBinding(keys: [.char("+"), .char("=")], label: "+ -", action: .faster, help: "faster / slower playback"),
        KeyBinding(keys: [.char("-"), .char("_")], label: "", action: .slower, help: ""),
        KeyBinding(keys: [.char("g")], label: "g G", action: .first, help: "first / last pass"),
        KeyBinding(keys: [.char("]")], label: "] [", action: .nextEvent, help: "next / previous pass with a rejection, resample, branch or finish"),
        KeyBinding(keys: [.char("[")], label: "", action: .previousEvent, help: ""),
        KeyBinding(keys: [.char(":")], label: ":", action: .gotoPass, help: "go to a pass by number (Enter goes)"),
        KeyBinding(keys: [.char("G")], label: "", action: .last, help: ""),
        KeyBinding(keys: [.char("c")], label: "c", action: .compare, help: "compare: all decoders side by side / focused one"),
        KeyBinding(keys: [.tab, .backTab], label: "Tab", action: .nextPane, help: "focus the next pane"),
        KeyBinding(keys: [.char("j"), .down], label: "j k ↓ ↑", action: .cursorNext, help: "inspector cursor: next / previous token"),
        KeyBinding(keys: [.char("k"), .up], label: "", action: .cursorPrev, help: ""),
        KeyBinding(keys: [.char("J")], label: "J K", action: .cursorDown, help: "inspector cursor: a grid row down / up"),
        KeyBinding(keys: [.char("K")], label: "", action: .cursorUp, help: ""),
        KeyBinding(keys: [.char("h")], label: "h", action: .heatmap, help: "image: entropy heatmap on / off"),
        KeyBinding(keys: [.char("m")], label: "m", action: .stateMap, help: "image: state map on / off"),
        KeyBinding(keys: [.char("o")], label: "o", action: .imageOnly, help: "image: the decoded image alone"),
        KeyBinding(keys: [.char("v")], label: "v", action: .colouring, help: "text: colour by entropy / probability"),
        KeyBinding(keys: [.char("e")], label: "e", action: .explain, help: "explain this pass in words"),
        KeyBinding(keys: [.char("l")], label: "l", action: .legend, help: "legend: every colour, glyph and word on this view"),
        KeyBinding(keys: [.char("d")], label: "d", action: .distribution, help: "distribution over N seeds: is each decoder lossless? (+ - N, x stop)"),
        KeyBinding(keys: [.char("t")], label: "t", action: .theme, help: "next theme"),
        KeyBinding(keys: [.char("/")], label: "/", action: .prompt, help: "type a new prompt (Enter runs it)"),
        KeyBinding(keys: [.char("s")], label: "s", action: .seed, help: "new seed, same prompt"),
        KeyBinding(keys: [.char("N")], label: "n N", action: .previousStop, help: "tour: next / previous stop (in a tour n is the next stop, → one pass)"),
        KeyBinding(keys: [.char("?"), .f1], label: "? F1", action: .help, help: "this help"),
        KeyBinding(keys: [.escape], label: "Esc", action: .closeOverlay, help: "close the overlay"),
        KeyBinding(keys: [.char("q"), .ctrlC], label: "q ^C", action: .quit, help: "quit"),
    ]

    private static let table: [Key: Action] = {
        var t: [Key: Action] = [:]
        for b in bindings { for k in b.keys { t[k] = b.action } }
        return t
    }()

    public static func action(for key: Key) -> Action? { table[key] }
}
