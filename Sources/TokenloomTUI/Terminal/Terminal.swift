// Terminal: the only code that calls ncurses. Sets the locale before initscr, allocates colour
// pairs once per (fg, bg) from a fixed palette (ColorPairTable: extended pairs, not COLOR_PAIR's 255,
// where the ncurses build has them), redraws only the cells that changed, reads keys with a short
// timeout, and restores the terminal.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNcursesw
import TokenloomModels

public enum TerminalError: UserFacingError {
    public var exitCode: Int32 { ExitStatus.badUsage }
    case notATerminal
    case noTERM
    case unknownTerminal(String)
    public var description: String {
        switch self {
        case .notATerminal: return "the explorer needs a terminal (stdin and stdout must be a tty)"
        case .noTERM: return "TERM is not set: the explorer needs it to drive the terminal (e.g. TERM=xterm-256color)"
        case .unknownTerminal(let t): return "TERM=\(t) has no terminfo entry (try TERM=xterm-256color)"
        }
    }
}

public final class Terminal {
    public private(set) var width = 0
    public private(set) var height = 0
    public let colorMode: ColorMode
    public let utf8: Bool
    private var previous: Canvas?
    private var pairs = ColorPairTable(limit: 1)   // sized once colours are started
    private var active = false

    /// Enters curses mode. `forced` overrides the detected colour mode (e.g. mono for NO_COLOR).
    public init(env: [String: String], forced: ColorMode? = nil) throws {
        guard isatty(STDIN_FILENO) != 0, isatty(STDOUT_FILENO) != 0 else { throw TerminalError.notATerminal }
        _ = tl_set_locale() // before initscr, or wide characters garble
        utf8 = tl_locale_is_utf8() != 0
        // newterm, not initscr: initscr exits the process when TERM is unknown.
        guard let term = getenv("TERM"), term.pointee != 0 else { throw TerminalError.noTERM }
        FatalSignals.holdTerminal()
        guard let screen = newterm(term, stdout, stdin) else {
            FatalSignals.releaseTerminal()
            throw TerminalError.unknownTerminal(String(cString: term).escapingControlCharacters)
        }
        set_term(screen)
        active = true
        raw(); noecho(); nonl()
        keypad(tl_stdscr(), true)
        set_escdelay(25)
        curs_set(0)
        wtimeout(tl_stdscr(), 30)
        _ = tl_enable_mouse()
        var colors = 0
        if has_colors() {
            start_color()
            use_default_colors()
            colors = Int(tl_colors())
            pairs = ColorPairTable(limit: tl_color_pairs())
        }
        colorMode = forced ?? ColorMode.detect(env: env, terminfoColors: colors)
        refreshSize()
    }

    deinit { restore() }

    /// Leaves curses mode; safe to call more than once.
    public func restore() {
        guard active else { return }
        active = false
        curs_set(1)
        endwin()
        FatalSignals.releaseTerminal()
    }

    /// Reads the tty's size and tells curses (after SIGWINCH); forces a full redraw.
    public func refreshSize() {
        var rows: Int32 = 0, cols: Int32 = 0
        tl_tty_size(&rows, &cols)
        if rows > 0 && cols > 0 && (Int(rows) != Int(tl_max_y(tl_stdscr())) || Int(cols) != Int(tl_max_x(tl_stdscr()))) {
            resizeterm(rows, cols)
        }
        height = Int(tl_max_y(tl_stdscr()))
        width = Int(tl_max_x(tl_stdscr()))
        previous = nil
        wclear(tl_stdscr())
    }

    private func pair(_ style: Style) -> Int32 {
        let fg = Palette.index(style.fg, mode: colorMode)
        let bg = Palette.index(style.bg, mode: colorMode)
        return pairs.pair(fg: fg, bg: bg) { p, f, b in _ = tl_init_pair(p, f, b) }
    }

    private func attrs(_ a: Attrs) -> UInt32 {
        var r: UInt32 = 0
        if a.contains(.bold) { r |= tl_attr_bold() }
        if a.contains(.dim) { r |= tl_attr_dim() }
        if a.contains(.underline) { r |= tl_attr_underline() }
        if a.contains(.reverse) { r |= tl_attr_reverse() }
        return r
    }

    /// Draws the canvas, sending only the cells that differ from the last frame.
    public func draw(_ canvas: Canvas) {
        let full = previous == nil || previous!.width != canvas.width || previous!.height != canvas.height
        let h = min(canvas.height, height), w = min(canvas.width, width)
        var wch: [wchar_t] = [0, 0]
        for y in 0..<h {
            for x in 0..<w {
                let cell = canvas[x, y]
                if !full, previous![x, y] == cell { continue }
                // The bottom-right cell: curses writes it without scrolling (scrollok is off; it uses
                // insert mode or the margin capabilities) and reports ERR for the cursor it cannot
                // advance, which is ignored below like every other cell's result.
                var ch = cell.char
                if !utf8, let s = ch.unicodeScalars.first, s.value > 0x7e { ch = "?" }
                wch[0] = wchar_t(bitPattern: ch.unicodeScalars.first?.value ?? 32)
                var a = cell.style.attrs
                if colorMode == .mono, cell.style.fg != .terminal, cell.style.bg != .terminal, ch == "▀" { a.insert(.reverse) }
                _ = tl_put_cell(Int32(y), Int32(x), wch, attrs(a), pair(cell.style))
            }
        }
        previous = canvas
        wrefresh(tl_stdscr())
    }

    /// A key already waiting, without waiting for one.
    public func readKeyNow() -> Key? {
        wtimeout(tl_stdscr(), 0)
        defer { wtimeout(tl_stdscr(), 30) }
        return readKey()
    }

    /// The next key, or nil after the read timeout (about 30 ms).
    public func readKey() -> Key? {
        var c: UInt32 = 0
        switch tl_read_key(&c) {
        case 1:
            switch c {
            case 3: return .ctrlC
            case 9: return .tab
            case 10, 13: return .enter
            case 27: return .escape
            case 8, 127: return .backspace
            default:
                guard let s = Unicode.Scalar(c) else { return nil }
                return .char(Character(s))
            }
        case 2:
            switch Int32(c) {
            case KEY_UP: return .up
            case KEY_DOWN: return .down
            case KEY_LEFT: return .left
            case KEY_RIGHT: return .right
            case KEY_BTAB: return .backTab
            case KEY_ENTER: return .enter
            case KEY_BACKSPACE: return .backspace
            case KEY_F0 + 1: return .f1
            case tl_key_resize(): return .resize
            case tl_key_mouse():
                var x: Int32 = 0, y: Int32 = 0
                return tl_read_click(&x, &y) != 0 ? .click(x: Int(x), y: Int(y)) : nil
            default: return nil
            }
        default:
            return nil
        }
    }
}
