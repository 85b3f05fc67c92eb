// The cells of a `tmux capture-pane -p -e -N` capture with the background each one is painted in:
// tmux writes an SGR only where the attributes change, so the state carries across lines.
import Foundation

public enum SGRCells {
    /// rows[y][x]: the background of each cell ("5;254", "2;r;g;b", or nil for the terminal's own).
    public static func backgrounds(_ capture: String) -> [[String?]] {
        var bg: String?
        var rows: [[String?]] = []
        for line in capture.split(separator: "\n", omittingEmptySubsequences: false) {
            var row: [String?] = []
            var s = Substring(line)
            while let c = s.first {
                if c == "\u{1b}", s.dropFirst().first == "[", let m = s.firstIndex(of: "m") {
                    let params = s[s.index(s.startIndex, offsetBy: 2)..<m].split(separator: ";", omittingEmptySubsequences: false).map(String.init)
                    var i = 0
                    while i < params.count {
                        switch params[i] {
                        case "", "0": bg = nil
                        case "49": bg = nil
                        case "38": i += params.count > i + 1 && params[i + 1] == "2" ? 4 : 2
                        case "48":
                            let n = params.count > i + 1 && params[i + 1] == "2" ? 4 : 2
                            bg = params[(i + 1)...min(params.count - 1, i + n)].joined(separator: ";")
                            i += n
                        default: break
                        }
                        i += 1
                    }
                    s = s[s.index(after: m)...]
                    continue
                }
                row.append(bg)
                s = s.dropFirst()
            }
            rows.append(row)
        }
        return rows
    }
}
