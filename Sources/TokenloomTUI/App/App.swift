// App: the explorer's main loop on the main thread — read a key (30 ms timeout), act on the
// session or the UIState, advance playback, and redraw when the snapshot or the UI changed.
// The engine runs on the session's queue, so keys are answered while a forward pass runs.
import Foundation
import TokenloomSession

public final class App {
    public private(set) var session: Session
    public var ui: UIState
    /// The frame on screen, for mouse clicks.
    public var lastFrame: Canvas?
    /// The distribution view's job (`d`), for the scenario it was started on.
    public private(set) var distributionJob: DistributionJob?
    /// Makes a new session for a changed scenario (`/` prompt, `s` seed); nil for replays.
    private let remake: ((Scenario) -> Session)?

    public init(session: Session, ui: UIState, remake: ((Scenario) -> Session)?) {
        self.session = session; self.ui = ui; self.remake = remake
    }

    /// What the loop should do after a key.
    public enum Outcome { case carryOn, quit }

    /// Applies one key. Pure apart from the session calls, so tests drive it without a terminal.
    public func handle(_ key: Key) -> Outcome {
        if ui.promptDraft != nil { return editPrompt(key) }
        if ui.passDraft != nil { return editPass(key) }
        if key == .resize { return .carryOn }
        if case .click(let x, let y) = key {
            // A click on a token: focus its pane and put the inspector's cursor on it.
            if let hit = lastFrame?.target(atX: x, y: y) { ui.focus = hit.pane; ui.cursor = hit.position; ui.message = nil }
            return .carryOn
        }
        if ui.overlay == .distribution, let job = distributionJob {
            // In the distribution view + and - change N and x stops; the other keys keep their meaning.
            let runs = ui.distribution?.target ?? job.state().target
            switch key {
            case .char("+"), .char("="):
                job.extend(to: min(DistributionJob.runsRange.upperBound, runs * 2)); refresh(); return .carryOn
            case .char("-"), .char("_"):
                job.extend(to: max(DistributionJob.runsRange.lowerBound, runs / 2)); refresh(); return .carryOn
            case .char("x"): job.stop(); refresh(); ui.message = "distribution: stopped at N = \(job.state().sample?.runs ?? 0)"; return .carryOn
            default: break
            }
        }
        guard var action = KeyMap.action(for: key) else { return .carryOn }
        if ui.tour != nil, key == .char("n") { action = .nextStop }
        // Another overlay replacing the distribution view stops its job too.
        let hadDistribution = ui.overlay == .distribution
        defer { if hadDistribution, ui.overlay != .distribution { closeDistribution(keeping: ui.overlay) } }
        let snap = session.snapshot()
        ui.message = nil
        switch action {
        case .next: session.next()
        case .back: session.back()
        case .playPause: session.togglePlay()
        case .faster: session.faster()
        case .slower: session.slower()
        case .first: session.first()
        case .last: session.last()
        case .compare: ui.compare.toggle()
        case .nextPane:
            if !snap.panes.isEmpty { ui.focus = (ui.focus + (key == .backTab ? snap.panes.count - 1 : 1)) % snap.panes.count; ui.cursor = nil }
        case .heatmap:
            ui.gridMode = ui.gridMode == .heatmap ? .colour : .heatmap
            ui.message = ui.gridMode == .heatmap ? "heatmap: entropy" : "heatmap off"
            if ui.gridMode == .heatmap, snap.presenter.layout == .text { ui.textColouring = .entropy }
        case .stateMap where snap.presenter.layout == .text, .imageOnly where snap.presenter.layout == .text:
            ui.message = "\(action == .stateMap ? "m" : "o"): image grids only; on text, v switches the colouring"
        case .colouring where snap.presenter.layout != .text:
            ui.message = "v: text only; on an image grid, h, m and o switch the view"
        case .stateMap:
            ui.gridMode = ui.gridMode == .state ? .colour : .state
            ui.message = ui.gridMode == .state ? "state map" : "state map off"
        case .imageOnly:
            ui.gridMode = ui.gridMode == .imageOnly ? .colour : .imageOnly
            ui.message = ui.gridMode == .imageOnly ? "image only" : "image with overlays"
        case .colouring: ui.textColouring = ui.textColouring == .entropy ? .probability : .entropy
            ui.message = "text coloured by \(ui.textColouring.rawValue)"
        case .explain: ui.overlay = ui.overlay == .explain ? nil : .explain
        case .legend: ui.overlay = ui.overlay == .legend ? nil : .legend
        case .distribution:
            if ui.overlay == .distribution { closeDistribution() } else { openDistribution() }
        case .help: ui.overlay = ui.overlay == .help ? nil : .help
        case .theme:
            let names = Theme.builtinNames
            let i = names.firstIndex(of: ui.theme.name).map { ($0 + 1) % names.count } ?? 0
            if let t = Theme.builtin(names[i]) { ui.theme = t; ui.message = "theme: \(t.name)" }
        case .cursorNext, .cursorPrev, .cursorUp, .cursorDown:
            moveCursor(action, snap)
        case .prompt:
            if remake == nil { ui.message = "a replay's prompt is fixed" } else { ui.promptDraft = "" }
        case .seed:
            if remake == nil { ui.message = "a replay's seed is fixed" }
            else {
                var sc = session.scenario
                sc.seed &+= 1
                replace(with: sc)
                ui.message = "seed \(sc.seed)"
            }
        case .nextStop, .previousStop: goToStop(action == .nextStop)
        case .nextEvent, .previousEvent:
            ui.eventSearch = (action == .nextEvent, snap.tick)
            ui.message = action == .nextEvent ? "looking for the next event…" : "looking for the previous event…"
        case .gotoPass: ui.passDraft = ""
        case .closeOverlay:
            if ui.overlay == .distribution { closeDistribution() }
            ui.overlay = nil; ui.eventSearch = nil
        case .quit:
            if key == .char("q"), ui.overlay != nil {
                if ui.overlay == .distribution { closeDistribution() }
                ui.overlay = nil; return .carryOn
            }
            return .quit
        }
        return .carryOn
    }

    /// Opens the distribution view, starting (or resuming) its job on the current scenario.
    private func openDistribution() {
        let sc = session.scenario
        if distributionJob?.scenario != sc { distributionJob?.stop(); distributionJob = DistributionJob(scenario: sc) }
        guard let job = distributionJob else { return }
        do { _ = try Distribution.reference(of: sc) } catch { ui.message = "d: \(error)"; return }
        job.extend(to: job.state().target)
        ui.overlay = .distribution
        refresh()
    }

    /// Closing the view stops its job (the runs done are kept for the next `d`).
    private func closeDistribution(keeping overlay: Overlay? = nil) {
        distributionJob?.stop()
        ui.overlay = overlay
        ui.distribution = nil
    }

    /// Copies the background job's state in for this frame.
    public func refresh() {
        if ui.overlay == .distribution { ui.distribution = distributionJob?.state() }
    }

    private func moveCursor(_ a: Action, _ snap: Snapshot) {
        guard !snap.panes.isEmpty else { return }
        let pane = snap.panes[min(ui.focus, snap.panes.count - 1)]
        guard let here = ui.cursor ?? Inspector.defaultCursor(pane) else { return }
        var step = 1
        if a == .cursorUp || a == .cursorDown, case .image(let w, _, _) = snap.presenter.layout { step = w }
        let delta = (a == .cursorNext || a == .cursorDown) ? step : -step
        var last = max(pane.current.window.last?.position ?? 0, pane.promptCount + pane.committed.count - 1)
        var lo = 0
        if case .image(_, _, let first) = snap.presenter.layout { lo = first }
        // In the distribution view the cursor reaches every position the runs generated.
        if ui.overlay == .distribution, let n = ui.distribution?.sample?.positions, n > 0 {
            last = max(last, (lo > 0 ? lo : pane.promptCount) + n - 1)
        }
        ui.cursor = min(max(lo, here + delta), max(lo, last))
    }

    /// Tours: moves to the next (or previous) stop, running the passes up to it.
    private func goToStop(_ forward: Bool) {
        guard var guide = ui.tour else { ui.message = "no tour open (tokenloom tour NAME)"; return }
        let target: Int?
        if forward { target = guide.nextIndex }
        else { target = guide.current.flatMap { $0 > 0 ? $0 - 1 : nil } }
        guard let i = target else { ui.message = forward ? "that was the last stop" : "this is the first stop"; return }
        guide.current = i
        ui.tour = guide
        seek(to: guide.stops[i].pass)
        ui.message = "stop \(i + 1) of \(guide.stops.count)"
    }

    /// Shows pass `tick`: lookups for passes computed before, the engine runs the rest.
    private func seek(to tick: Int) {
        // next() moves what is wanted by one, so count from pass 0 (a lookup) to land exactly.
        session.first()
        for _ in 0..<tick { session.next() }
    }

    private func editPass(_ key: Key) -> Outcome {
        guard var draft = ui.passDraft else { return .carryOn }
        switch key {
        case .escape: ui.passDraft = nil
        case .ctrlC: return .quit
        case .enter:
            ui.passDraft = nil
            guard let n = Int(draft), n >= 0, n <= Scenario.maxTokensRange.upperBound else {
                ui.message = "a pass is a whole number from 0"; return .carryOn
            }
            seek(to: n)
            ui.message = "pass \(n)"
        case .backspace: if !draft.isEmpty { draft.removeLast() }; ui.passDraft = draft
        case .char(let c) where c.isASCII && c.isNumber && draft.count < 7: draft.append(c); ui.passDraft = draft
        default: break
        }
        return .carryOn
    }

    /// Is there an event of interest in this pass of any pane?
    static func interesting(_ s: Snapshot) -> String? {
        for p in s.panes {
            for e in p.current.events {
                switch e {
                case .reject: return "a rejection in \(p.name)"
                case .match(_, let g, let t) where g != t: return "a replaced guess in \(p.name)"
                case .resample: return "a resample in \(p.name)"
                case .branchOpened: return "a branch in \(p.name)"
                case .finished: return "\(p.name) finished"
                default: continue
                }
            }
        }
        return nil
    }

    /// One step of a `]` / `[` search, run between frames once the engine is idle: stop on a pass with
    /// an event of interest, or at either end.
    func continueEventSearch() {
        // Passes computed before are lookups: take up to 32 of them per frame.
        for _ in 0..<32 {
            guard let search = ui.eventSearch else { return }
            let s = session.snapshot()
            guard !s.busy else { return }
            if s.tick != search.from, let what = App.interesting(s) {
                ui.eventSearch = nil; ui.message = "pass \(s.tick): \(what)"; return
            }
            let finished = !s.panes.isEmpty && s.panes.allSatisfy { $0.current.finished != nil || $0.current.error != nil }
            if search.forward {
                if finished && s.tick >= s.head { ui.eventSearch = nil; ui.message = "no later event: every decoder finished"; return }
                session.next()
            } else {
                if s.tick == 0 { ui.eventSearch = nil; ui.message = "no earlier event"; return }
                session.back()
            }
        }
    }

    private func editPrompt(_ key: Key) -> Outcome {
        guard var draft = ui.promptDraft else { return .carryOn }
        switch key {
        case .escape: ui.promptDraft = nil
        case .ctrlC: return .quit
        case .enter:
            ui.promptDraft = nil
            let text = draft.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { ui.message = "the prompt must not be empty"; return .carryOn }
            var sc = session.scenario
            sc.prompt = text
            replace(with: sc)
            ui.message = "new prompt"
        case .backspace: if !draft.isEmpty { draft.removeLast() }; ui.promptDraft = draft
        case .char(let c):
            if draft.count < UIState.promptLimit { draft.append(c) } else {
                ui.message = "a prompt typed here is at most \(UIState.promptLimit) characters (use --prompt for longer ones)"
            }
            ui.promptDraft = draft
        default: break
        }
        return .carryOn
    }

    /// Cancels the current session and starts one for `scenario`.
    private func replace(with scenario: Scenario) {
        guard let remake else { return }
        // A tour's stops belong to its own prompt and seed.
        if ui.tour != nil { ui.tour = nil }
        session.cancel()
        session = remake(scenario)
        session.start()
        ui.cursor = nil
        // The distribution view belongs to the scenario it ran.
        if ui.overlay == .distribution { closeDistribution() }
    }

    /// Runs the explorer until `q`, Ctrl-C or a signal; the terminal is restored on every way out.
    /// Returns the signal (SIGINT, SIGTERM, SIGHUP) that ended it, or nil for a quit key.
    @discardableResult
    public func run(env: [String: String], forcedMode: ColorMode?) throws -> Int32? {
        let signals = Signals()
        defer { signals.cancel() }
        let term = try Terminal(env: env, forced: forcedMode)
        defer { term.restore() }
        ui.colorMode = term.colorMode
        if !term.utf8 { ui.ascii = true }
        session.start()
        var lastVersion = -1
        var dirty = true
        while signals.quit == nil {
            if signals.takeResize() { term.refreshSize(); dirty = true }
            session.pump()
            continueEventSearch()
            if ui.overlay == .distribution {
                let before = ui.distribution.map { ($0.sample?.runs ?? 0, $0.done, $0.running, $0.error) }
                refresh()
                let after = ui.distribution.map { ($0.sample?.runs ?? 0, $0.done, $0.running, $0.error) }
                if before?.0 != after?.0 || before?.1 != after?.1 || before?.2 != after?.2 || before?.3 != after?.3 { dirty = true }
            }
            let v = session.version
            if v != lastVersion || dirty {
                lastVersion = v; dirty = false
                let frame = Screen.render(session.snapshot(), ui, width: term.width, height: term.height)
                term.draw(frame)
                lastFrame = frame
            }
            guard let key = term.readKey() else { continue }
            if key == .resize { term.refreshSize() }
            dirty = true
            if handle(key) == .quit { break }
            // Answer bursts of keys (held arrows, pasted prompts) before redrawing.
            var burst = 0
            while burst < 64, let more = term.readKeyNow() {
                burst += 1
                if more == .resize { term.refreshSize() }
                if handle(more) == .quit { session.cancel(); return nil }
            }
        }
        session.cancel()
        return signals.quit
    }
}
