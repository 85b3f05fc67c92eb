// TokenloomScreen: reading the explorer's screen as tmux captures it.
import Foundation

public enum TokenloomScreen {
    /// The pane titles on a screen: ["AR · NFE 5", …].
    public static func titles(_ s: String) -> [String] {
        let re = try! NSRegularExpression(pattern: "[A-Za-z0-9]+ · NFE [0-9]+")
        let ns = s as NSString
        return re.matches(in: s, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }
    }

    /// The pass counts (NFE) of the pane titles on a screen.
    public static func nfes(_ s: String) -> [Int] {
        titles(s).compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }
    }

    /// Playing, and a pass under way or done since: playback has really started.
    public static func isPlaying(_ s: String) -> Bool {
        s.contains("playing") && (s.contains("computing") || (!nfes(s).isEmpty && nfes(s).allSatisfy { $0 >= 1 }))
    }
}
