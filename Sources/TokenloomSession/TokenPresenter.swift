// TokenPresenter: how the UI shows a token — a text piece for language models, a colour on a
// grid for image models. Built by the scenario builder from the model's tokenizer or codebook.

public struct RGB: Sendable, Hashable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }
}

public enum TokenLayout: Sendable, Equatable {
    /// Tokens read as text, left to right.
    case text
    /// Image tokens fill a width x height grid row by row; the cell (0, 0) is sequence position
    /// `firstPosition` (after the prompt and any header tokens).
    case image(width: Int, height: Int, firstPosition: Int)
}

public protocol TokenPresenter: Sendable {
    var layout: TokenLayout { get }
    /// The text a token stands for (control characters made visible by the caller).
    func piece(_ token: Int) -> String
    /// The colour of an image token (nil for tokens that are not image codes).
    func colour(of token: Int) -> RGB?
}

/// Shows tokens as their ids: replays without a vocabulary, and tests.
public struct IDPresenter: TokenPresenter {
    public let layout: TokenLayout
    public init(layout: TokenLayout = .text) { self.layout = layout }
    public func piece(_ token: Int) -> String { token < 0 ? "·" : "#\(token) " }
    public func colour(of token: Int) -> RGB? {
        // A fixed, spread-out colour per id so that grids of ids stay legible.
        let h = UInt32(truncatingIfNeeded: token &* 2654435761)
        return RGB(UInt8(h >> 24), UInt8((h >> 16) & 0xff), UInt8((h >> 8) & 0xff))
    }
}
