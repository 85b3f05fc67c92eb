// ColorMode: how many colours the terminal shows (truecolour, 256, 16, none), detected from
// NO_COLOR, COLORTERM and terminfo, and the mapping of a theme's RGB to the nearest of them.
import TokenloomSession

public enum ColorMode: String, Sendable, CaseIterable {
    case truecolor, xterm256 = "256", ansi16 = "16", mono

    /// NO_COLOR (any value) wins; then COLORTERM=truecolor|24bit with a direct-colour terminfo;
    /// then terminfo's colour count.
    public static func detect(env: [String: String], terminfoColors: Int) -> ColorMode {
        if let v = env["NO_COLOR"], !v.isEmpty { return .mono }
        let ct = (env["COLORTERM"] ?? "").lowercased()
        if terminfoColors >= 1 << 24 { return .truecolor }
        if (ct == "truecolor" || ct == "24bit") && terminfoColors >= 256 { return .xterm256 }
        if terminfoColors >= 256 { return .xterm256 }
        if terminfoColors >= 8 { return .ansi16 }
        return .mono
    }
}

/// The xterm 256-colour palette and nearest-colour lookups.
public enum Palette {
    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// The RGB of xterm colour `i` (0...255).
    public static func rgb(ofXterm i: Int) -> RGB {
        if i < 16 { return ansi16[i] }
        if i < 232 {
            let c = i - 16
            return RGB(UInt8(cubeLevels[c / 36]), UInt8(cubeLevels[(c / 6) % 6]), UInt8(cubeLevels[c % 6]))
        }
        let g = UInt8(8 + 10 * (i - 232))
        return RGB(g, g, g)
    }

    /// The standard 16 ANSI colours (xterm's defaults).
    public static let ansi16: [RGB] = [
        RGB(0, 0, 0), RGB(205, 0, 0), RGB(0, 205, 0), RGB(205, 205, 0), RGB(0, 0, 238), RGB(205, 0, 205),
        RGB(0, 205, 205), RGB(229, 229, 229), RGB(127, 127, 127), RGB(255, 0, 0), RGB(0, 255, 0),
        RGB(255, 255, 0), RGB(92, 92, 255), RGB(255, 0, 255), RGB(0, 255, 255), RGB(255, 255, 255),
    ]

    static func distance(_ a: RGB, _ b: RGB) -> Int {
        // Weighted Euclidean (a cheap stand-in for perceptual distance).
        let dr = Int(a.r) - Int(b.r), dg = Int(a.g) - Int(b.g), db = Int(a.b) - Int(b.b)
        return 2 * dr * dr + 4 * dg * dg + 3 * db * db
    }

    /// Nearest xterm colour among 16...255 (the cube and greys, which do not depend on the
    /// terminal's own 16-colour settings).
    public static func nearest256(_ c: RGB) -> Int {
        func idx(_ v: UInt8) -> Int {
            let x = Int(v)
            return x < 48 ? 0 : x < 115 ? 1 : (x - 35) / 40
        }
        let cube = 16 + 36 * idx(c.r) + 6 * idx(c.g) + idx(c.b)
        let avg = (Int(c.r) + Int(c.g) + Int(c.b)) / 3
        let grey = avg > 238 ? 255 : 232 + max(0, min(23, (avg - 3) / 10))
        return distance(c, rgb(ofXterm: cube)) <= distance(c, rgb(ofXterm: grey)) ? cube : grey
    }

    public static func nearest16(_ c: RGB) -> Int {
        var best = 0, bestD = Int.max
        for (i, p) in ansi16.enumerated() {
            let d = distance(c, p)
            if d < bestD { best = i; bestD = d }
        }
        return best
    }

    /// The terminal colour number for `c` in `mode` (-1 = the terminal's default).
    public static func index(_ c: Color, mode: ColorMode) -> Int {
        guard case .rgb(let rgb) = c else { return -1 }
        switch mode {
        case .truecolor: return Int(rgb.r) << 16 | Int(rgb.g) << 8 | Int(rgb.b)
        case .xterm256: return nearest256(rgb)
        case .ansi16: return nearest16(rgb)
        case .mono: return -1
        }
    }
}
