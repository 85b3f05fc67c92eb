// Drawing helpers on the canvas: boxes with titles, bars, text wrapping.
import Foundation

extension Canvas {
    /// A box border around `r` with an optional title in the top edge.
    public mutating func box(_ r: Rect, _ style: Style, title: String? = nil, titleStyle: Style? = nil, ascii: Bool = false) {
        guard r.width >= 2, r.height >= 2 else { return }
        let (h, v, tl, tr, bl, br): (Character, Character, Character, Character, Character, Character) =
            ascii ? ("-", "|", "+", "+", "+", "+") : ("─", "│", "┌", "┐", "└", "┘")
        for x in r.x + 1 ..< r.maxX - 1 { self[x, r.y] = Cell(h, style); self[x, r.maxY - 1] = Cell(h, style) }
        for y in r.y + 1 ..< r.maxY - 1 { self[r.x, y] = Cell(v, style); self[r.maxX - 1, y] = Cell(v, style) }
        self[r.x, r.y] = Cell(tl, style); self[r.maxX - 1, r.y] = Cell(tr, style)
        self[r.x, r.maxY - 1] = Cell(bl, style); self[r.maxX - 1, r.maxY - 1] = Cell(br, style)
        if let title, r.width > 4 {
            put(" \(title) ", x: r.x + 1, y: r.y, titleStyle ?? style, maxX: r.maxX - 1)
        }
    }

    /// A horizontal bar of `fraction` (0...1) of `width` cells, using eighth blocks.
    public mutating func bar(x: Int, y: Int, width: Int, fraction: Double, _ style: Style, ascii: Bool = false) {
        let f = fraction.isFinite ? min(1, max(0, fraction)) : 0
        let eighths = Int((f * Double(width) * 8).rounded())
        let blocks: [Character] = ascii ? ["#", "#", "#", "#", "#", "#", "#", "#"] : ["▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"]
        for i in 0..<width {
            let e = eighths - i * 8
            let ch: Character = e >= 8 ? (ascii ? "#" : "█") : (e <= 0 ? " " : blocks[e - 1])
            self[x + i, y] = Cell(ch, style)
        }
    }
}

/// Splits text into lines of at most `width` characters, breaking at spaces where possible.
public func wrap(_ text: String, width: Int) -> [String] {
    guard width > 0 else { return [] }
    var lines: [String] = []
    for para in text.split(separator: "\n", omittingEmptySubsequences: false) {
        var line = ""
        for word in para.split(separator: " ", omittingEmptySubsequences: false) {
            var w = String(word)
            while w.count > width { // a word longer than a line is cut
                if !line.isEmpty { lines.append(line); line = "" }
                lines.append(String(w.prefix(width))); w = String(w.dropFirst(width))
            }
            if line.isEmpty { line = w } else if line.count + 1 + w.count <= width { line += " " + w } else { lines.append(line); line = w }
        }
        lines.append(line)
    }
    return lines
}

