// Self-consistency: run N independent chains (seeds s, s+1, ..., s+N-1), extract each chain's
// answer with a pattern (default: the last number in the text), and take the majority; ties go to
// the answer seen first (as the CNTP reference's `max` over an insertion-ordered count does).

public enum SelfConsistency {
    /// Numbers like -12, 3.5, 1,000 (commas are dropped when comparing).
    public static let lastNumberPattern = #"-?\d[\d,]*(?:\.\d+)?"#

    /// The last match of `pattern` in `text`, or nil. Throws on an invalid pattern.
    public static func answer(in text: String, pattern: String = lastNumberPattern) throws -> String? {
        let regex: Regex<AnyRegexOutput>
        do { regex = try Regex(pattern) } catch {
            throw DecodeError.badSettings("invalid answer pattern '\(pattern)'")
        }
        guard let m = text.matches(of: regex).last else { return nil }
        var s = String(text[m.range])
        if pattern == lastNumberPattern {
            s = s.replacingOccurrences(of: ",", with: "")
            while s.hasSuffix(",") { s.removeLast() }
        }
        return s
    }

    /// The most frequent non-nil answer (first seen wins ties), or nil when none has one.
    public static func vote(_ answers: [String?]) -> String? {
        var order: [String] = []
        var counts: [String: Int] = [:]
        for case let a? in answers {
            if counts[a] == nil { order.append(a) }
            counts[a, default: 0] += 1
        }
        var best: String?
        for a in order where best == nil || counts[a]! > counts[best!]! { best = a }
        return best
    }
}

private extension String {
    func replacingOccurrences(of a: String, with b: String) -> String {
        split(separator: Character(a), omittingEmptySubsequences: false).joined(separator: b)
    }
}
