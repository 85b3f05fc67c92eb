// TourNote: a guided tour's stops (pass and note) and the box under the panes that shows the note
// of the stop the user is at (or the next one, while they step freely between stops).
import TokenloomSession

public struct TourGuide: Sendable, Equatable {
    public struct Stop: Sendable, Equatable {
        public var pass: Int
        public var note: String
        public init(pass: Int, note: String) { self.pass = pass; self.note = note }
    }
    public var title: String
    public var stops: [Stop]
    /// The stop last reached with `n` / `N` (nil before the first).
    public var current: Int?

    /// A tour opens at pass 0, so a stop at pass 0 is already reached (and `n` goes past it).
    public init(title: String, stops: [Stop]) {
        self.title = title; self.stops = stops
        current = stops.indices.last { stops[$0].pass <= 0 }
    }

    /// The stop after `current`, if any.
    public var nextIndex: Int? {
        let i = (current ?? -1) + 1
        return i < stops.count ? i : nil
    }

    /// The stop to describe at `tick`: the last one at or before it, or the current one.
    public func shown(at tick: Int) -> Int? {
        if let c = current, stops[c].pass == tick { return c }
        return stops.indices.last { stops[$0].pass <= tick } ?? current
    }
}

enum TourNote {
    /// Rows the note box takes.
    static let height = 5

    static func draw(_ c: inout Canvas, _ guide: TourGuide, tick: Int, busy: Bool = false, _ ui: UIState, _ r: Rect) {
        let t = ui.theme
        let base = Style(fg: t.color(.foreground), bg: t.color(.background))
        let i = guide.shown(at: tick)
        var title = "tour · \(guide.title)"
        if let i { title += " · stop \(i + 1)/\(guide.stops.count) at pass \(guide.stops[i].pass)" }
        c.box(r, base.with(fg: t.color(.accent)), title: title, titleStyle: base.with(fg: t.color(.title), attrs: [.bold]), ascii: ui.ascii)
        let inner = r.inset(1)
        var lines: [String]
        if let c = guide.current, guide.stops[c].pass > tick {
            // Only while the engine is computing toward the stop is it "running"; stepped back, it waits.
            lines = [busy ? "(pass \(tick)) computing toward stop \(c + 1) at pass \(guide.stops[c].pass)…"
                          : "(pass \(tick)) before stop \(c + 1) at pass \(guide.stops[c].pass) · → one pass · N back a stop"]
        } else if let i, guide.stops[i].pass == tick {
            lines = wrap(guide.stops[i].note, width: inner.width)
        } else if let n = guide.nextIndex ?? guide.stops.indices.first(where: { guide.stops[$0].pass > tick }) {
            lines = ["(pass \(tick)) n: on to stop \(n + 1) at pass \(guide.stops[n].pass) · → one pass · N back a stop"]
            if let i { lines += wrap("stop \(i + 1): " + guide.stops[i].note, width: inner.width) }
        } else {
            lines = ["the tour is over · → / ← step · N back a stop · q quit"]
            if let i { lines += wrap("stop \(i + 1): " + guide.stops[i].note, width: inner.width) }
        }
        for (k, l) in lines.prefix(inner.height).enumerated() {
            c.put(l, x: inner.x, y: inner.y + k, k == 0 && !(i.map { guide.stops[$0].pass == tick } ?? false) ? base.with(fg: t.color(.muted)) : base, maxX: inner.maxX)
        }
    }
}
