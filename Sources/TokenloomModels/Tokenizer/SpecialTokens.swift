// SpecialTokens: the control and user-defined tokens a tokenizer matches whole in the input text, and
// which tokens end a generation. Matching follows llama.cpp: longest token first over the whole text,
// each occurrence cutting the text around it; control tokens only when specials are parsed.

enum TextFragment: Equatable {
    case token(Int32)
    case text(Range<Int>)  // byte range of the input
}

struct SpecialTokens: Sendable {
    /// Tokens matched whole, longest first; `always` for user-defined ones (matched even when not parsing specials).
    private let entries: [(bytes: [UInt8], id: Int32, always: Bool)]
    let endOfGeneration: Set<Int>

    /// Token texts that end a turn in the chat formats we know (llama.cpp treats them as end-of-generation).
    static let endOfGenerationTexts: Set<String> = [
        "<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|endoftext|>", "<|end_of_text|>", "<end_of_turn>", "<|end|>", "<EOT>",
    ]

    /// Turn-ending tokens become control tokens in `types` even when the file calls them normal (as llama.cpp does).
    init(tokens: [String], types: inout [TokenType], eosID: Int?, extraEndIDs: [Int]) {
        var ends = Set(extraEndIDs)
        if let e = eosID { ends.insert(e) }
        for (i, t) in tokens.enumerated() where Self.endOfGenerationTexts.contains(t) {
            ends.insert(i)
            if types[i] == .normal { types[i] = .control }
        }
        var entries: [(bytes: [UInt8], id: Int32, always: Bool)] = []
        for (i, t) in tokens.enumerated() where !t.isEmpty {
            switch types[i] {
            case .control, .unknown: entries.append((Array(t.utf8), Int32(i), false))
            case .userDefined: entries.append((Array(t.utf8), Int32(i), true))
            default: break
            }
        }
        entries.sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        self.entries = entries
        endOfGeneration = ends
    }

    /// Splits `bytes` at every occurrence of a special token.
    func partition(_ bytes: [UInt8], parseSpecial: Bool) -> [TextFragment] {
        var fragments: [TextFragment] = bytes.isEmpty ? [] : [.text(0..<bytes.count)]
        for special in entries where parseSpecial || special.always {
            let needle = special.bytes
            var next: [TextFragment] = []
            var changed = false
            for f in fragments {
                guard case .text(let r) = f, r.count >= needle.count else { next.append(f); continue }
                var start = r.lowerBound, i = r.lowerBound
                let first = needle[0], last = r.upperBound - needle.count
                while i <= last {
                    if bytes[i] == first && bytes[i..<(i + needle.count)].elementsEqual(needle) {
                        if start < i { next.append(.text(start..<i)) }
                        next.append(.token(special.id))
                        i += needle.count
                        start = i
                        changed = true
                    } else {
                        i += 1
                    }
                }
                if start < r.upperBound { next.append(.text(start..<r.upperBound)) }
            }
            if changed { fragments = next }
        }
        return fragments
    }
}
