// UIState: what the user has chosen to look at (panes, toggles, overlays, cursor, theme). The
// screen is a pure function of a Snapshot and a UIState.
import TokenloomSession

public enum GridMode: String, CaseIterable, Sendable {
    /// The image as its tokens' colours; drafts dimmed, this pass's commits highlighted.
    case colour
    /// Entropy of each position's sampling distribution, low to high.
    case heatmap
    /// Accepted / sampled / resampled / draft / rejected / noisy, one colour each.
    case state
    /// The decoded image alone.
    case imageOnly = "image"
}

public enum TextColouring: String, Sendable {
    case entropy, probability
}

public enum Overlay: Sendable, Equatable {
    case help, explain, legend, distribution
}

public struct UIState: Sendable {
    /// All decoders side by side (true) or only the focused one.
    public var compare = true
    public var focus = 0
    public var overlay: Overlay?
    public var gridMode: GridMode = .colour
    public var textColouring: TextColouring = .entropy
    /// The inspector's cursor: an absolute sequence position in the focused pane.
    public var cursor: Int?
    public var theme: Theme
    public var colorMode: ColorMode
    /// Draw with ASCII only (no box drawing, no half blocks).
    public var ascii = false
    /// A one-line message for the status bar (errors, "theme: light").
    public var message: String?
    /// The prompt being typed after `/`, nil when not editing.
    public var promptDraft: String?
    /// The pass number being typed after `:`, nil when not editing.
    public var passDraft: String?
    /// Searching for an event of interest (`]` forward, `[` back), from the pass the search began at.
    public var eventSearch: (forward: Bool, from: Int)?
    /// The most characters the `/` prompt editor takes.
    public static let promptLimit = 2000
    /// The distribution view's background job as of this frame (App.refresh copies it in).
    public var distribution: DistributionJob.State?
    /// The guided tour being followed (`tokenloom tour`, `tui --scenario`), nil otherwise.
    public var tour: TourGuide?

    public init(theme: Theme = .dark, colorMode: ColorMode = .xterm256, ascii: Bool = false) {
        self.theme = theme; self.colorMode = colorMode; self.ascii = ascii
    }

    /// Glyphs instead of colours for the grid: in mono or ASCII mode colour cannot carry it.
    public var glyphGrid: Bool { colorMode == .mono || ascii }
}
