// ColorPairTable: curses colour pairs handed out once per (fg, bg), numbered from 1 up to the
// build's limit (tl_color_pairs: COLOR_PAIRS, or 256 where pairs are 8 bits, macOS's ncurses 5.7).
// Past the limit a style gets pair 0, the terminal's default colours: the text stays readable and
// keeps its attributes (bold, dim, underline, reverse), the non-colour cues, and only its colour is lost.

/// The pair numbers a Terminal draws with; `define` is called once per new pair (init_pair).
struct ColorPairTable {
    /// Pairs 1 ..< limit may be defined; pair 0 is the default colours.
    let limit: Int32
    private var pairs: [Int: Int32] = [:]   // (fg+1) << 25 | (bg+1) -> pair
    private(set) var next: Int32 = 1

    init(limit: Int32) { self.limit = limit }

    /// The pair for palette indices fg, bg (-1: the terminal's default colour).
    mutating func pair(fg: Int, bg: Int, define: (_ pair: Int32, _ fg: Int32, _ bg: Int32) -> Void) -> Int32 {
        if fg < 0 && bg < 0 { return 0 }
        let key = (fg + 1) << 25 | (bg + 1)
        if let p = pairs[key] { return p }
        guard next < limit else { return 0 }   // table full: the terminal's default colours
        let p = next
        next += 1
        define(p, Int32(fg), Int32(bg))
        pairs[key] = p
        return p
    }
}
