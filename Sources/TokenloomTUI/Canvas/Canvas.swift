// Canvas: the in-memory grid of character cells every view draws into. Only the terminal
// backend turns it into ncurses calls, so views are tested on a canvas without a terminal.
import TokenloomSession

/// A colour as a view asks for it; the backend maps it to what the terminal can show.
public enum Color: Hashable, Sendable {
    /// The terminal's own default (foreground or background).
    case terminal
    case rgb(RGB)
}

public struct Attrs: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = Attrs(rawValue: 1)
    public static let dim = Attrs(rawValue: 2)
    public static let underline = Attrs(rawValue: 4)
    public static let reverse = Attrs(rawValue: 8)
}

public struct Style: Hashable, Sendable {
    public var fg: Color
    public var bg: Color
    public var attrs: Attrs
    public init(fg: Color = .terminal, bg: Color = .terminal, attrs: Attrs = []) {
        self.fg = fg; self.bg = bg; self.attrs = attrs
    }
    public func with(fg: Color? = nil, bg: Color? = nil, attrs: Attrs? = nil) -> Style {
        Style(fg: fg ?? self.fg, bg: bg ?? self.bg, attrs: attrs ?? self.attrs)
    }
}

public struct Cell: Hashable, Sendable {
    /// One grapheme of display width 1.
    public var char: Character
    public var style: Style
    public init(_ char: Character = " ", _ style: Style = Style()) { self.char = char; self.style = style }
}

public struct Rect: Equatable, Sendable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = max(0, width); self.height = max(0, height)
    }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    /// The rect less `n` cells on every side.
    public func inset(_ n: Int) -> Rect { Rect(x: x + n, y: y + n, width: width - 2 * n, height: height - 2 * n) }
}

public struct Canvas: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell] // [height, width], row-major
    /// What a mouse click on each cell points at: pane << 24 | sequence position, -1 for nothing.
    /// // [height, width]
    public private(set) var targets: [Int32]

    public init(width: Int, height: Int, fill: Cell = Cell()) {
        self.width = max(0, width); self.height = max(0, height)
        cells = Array(repeating: fill, count: self.width * self.height)
        targets = Array(repeating: -1, count: self.width * self.height)
    }

    /// Marks the cell (x, y) as showing sequence `position` of pane `pane`.
    public mutating func target(x: Int, y: Int, pane: Int, position: Int) {
        guard x >= 0, y >= 0, x < width, y < height, position >= 0, position < 1 << 24 else { return }
        targets[y * width + x] = Int32(pane << 24 | position)
    }

    /// The pane and position a click at (x, y) points at.
    public func target(atX x: Int, y: Int) -> (pane: Int, position: Int)? {
        guard x >= 0, y >= 0, x < width, y < height else { return nil }
        let t = targets[y * width + x]
        return t < 0 ? nil : (Int(t >> 24), Int(t & 0xffffff))
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { if x >= 0, y >= 0, x < width, y < height { cells[y * width + x] = newValue } }
    }

    public mutating func fill(_ r: Rect, _ style: Style, char: Character = " ") {
        let x0 = max(0, r.x), y0 = max(0, r.y), x1 = min(width, r.maxX), y1 = min(height, r.maxY)
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 { for x in x0..<x1 { cells[y * width + x] = Cell(char, style) } }
    }

    /// Writes `text` from (x, y), clipped to `maxX` (default: the canvas edge); returns the x after
    /// the last cell written. Characters that are not one cell wide are shown as `·`.
    @discardableResult
    /// With `ellipsis`, text cut at `maxX` ends in "…" so a reader sees that it was cut.
    public mutating func put(_ text: String, x: Int, y: Int, _ style: Style, maxX: Int? = nil, ellipsis: Bool = false) -> Int {
        let limit = min(maxX ?? width, width)
        var cx = x
        guard y >= 0, y < height else { return x }
        for ch in text {
            if cx >= limit {
                if ellipsis, cx - 1 >= max(0, x) { cells[y * width + cx - 1] = Cell("…", style) }
                break
            }
            if cx >= 0 { cells[y * width + cx] = Cell(Canvas.displayable(ch), style) }
            cx += 1
        }
        return cx
    }

    /// The row `y` as plain text (tests and captures).
    public func row(_ y: Int) -> String { String(cells[y * width ..< (y + 1) * width].map(\.char)) }
    /// The whole canvas as lines of plain text.
    public var text: String { (0..<height).map(row).joined(separator: "\n") }

    /// Finds `needle` in the canvas; returns the (x, y) of its first character.
    public func find(_ needle: String) -> (x: Int, y: Int)? {
        for y in 0..<height {
            let r = Array(row(y))
            let n = Array(needle)
            guard n.count <= r.count else { continue }
            for x in 0...(r.count - n.count) where Array(r[x..<x + n.count]) == n { return (x, y) }
        }
        return nil
    }

    /// A character the terminal will draw in exactly one cell.
    public static func displayable(_ ch: Character) -> Character {
        let scalars = ch.unicodeScalars
        guard scalars.count == 1, let s = scalars.first else { return "·" }
        if s.value < 0x20 || s.value == 0x7f { return "·" }
        if s.value < 0x7f { return ch }
        return isSingleWidth(s) ? ch : "·"
    }

    /// True for a scalar terminals draw in one cell (not a combining mark, not East Asian wide,
    /// not an emoji shown as a picture). Decided from Unicode properties, not the C locale.
    static func isSingleWidth(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format, .control, .surrogate, .unassigned, .lineSeparator,
             .paragraphSeparator, .privateUse:
            return false
        default: break
        }
        if s.properties.isEmojiPresentation { return false }
        let v = s.value
        let wide: [ClosedRange<UInt32>] = [0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF,
                                           0x4E00...0x9FFF, 0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF,
                                           0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1FAFF,
                                           0x20000...0x3FFFD]
        return !wide.contains { $0.contains(v) }
    }
}

extension Canvas {
    /// ASCII stand-ins for the characters the views draw; anything else outside printable ASCII
    /// (a token's text, say) becomes '?'.
    static let asciiFallback: [Character: Character] = [
        "·": "-", "×": "x", "–": "-", "—": "-", "−": "-", "→": ">", "←": "<", "↑": "^", "↓": "v", "…": ".",
        "↵": "|", "━": "=", "─": "-", "│": "|", "┌": "+", "┐": "+", "└": "+", "┘": "+", "├": "+", "┤": "+",
        "┄": "-", "≤": "<", "≥": ">", "✓": "+", "✗": "x", "↻": "~", "▸": ">", "●": "o", "★": "*", "▶": ">",
        "█": "#", "▓": "=", "▒": "+", "░": ":", "▚": "%", "▀": "#", "▏": "|", "▎": "|", "▍": "|", "▌": "|",
        "▋": "|", "▊": "|", "▉": "#", "≈": "~", "±": "+", "“": "\"", "”": "\"", "‘": "'", "’": "'",
    ]

    /// Replaces every character outside printable ASCII (for `--ascii` and terminals without UTF-8).
    public mutating func asciify() {
        for i in cells.indices {
            let ch = cells[i].char
            if let a = ch.asciiValue, a >= 0x20, a < 0x7F { continue }
            cells[i].char = Canvas.asciiFallback[ch] ?? "?"
        }
    }
}
