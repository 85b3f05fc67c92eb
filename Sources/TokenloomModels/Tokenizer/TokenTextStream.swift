// TokenTextStream: turns generated tokens into text as they arrive, yielding only complete UTF-8 characters.
// A token may end in the middle of a character (emoji and CJK are often split across byte tokens); the
// incomplete tail waits for the next token. The concatenated output equals decode() of the whole sequence.

public struct TokenTextStream {
    private let bytesOf: (Int) -> [UInt8]
    /// Bytes of a character still missing its continuation bytes (at most 3).
    private var pending: [UInt8] = []

    public init(tokenizer: any Tokenizing) {
        bytesOf = { tokenizer.bytes(of: $0) }
    }

    /// The text that `id` completes (possibly empty).
    public mutating func push(_ id: Int) -> String {
        push(bytes: bytesOf(id))
    }

    /// The same for raw bytes.
    public mutating func push(bytes: [UInt8]) -> String {
        pending.append(contentsOf: bytes)
        let keep = Self.incompleteTail(pending)
        let ready = pending.count - keep
        guard ready > 0 else { return "" }
        let text = String(decoding: pending[..<ready], as: UTF8.self)
        pending.removeFirst(ready)
        return text
    }

    /// Whatever is left at the end of the stream (an unfinished character becomes U+FFFD).
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// How many trailing bytes form a valid but unfinished UTF-8 sequence (0...3). Bytes before it
    /// decode the same now as they would with more bytes appended, because a lead byte always starts
    /// a fresh sequence.
    static func incompleteTail(_ b: [UInt8]) -> Int {
        var i = b.count - 1
        let floor = max(0, b.count - 3)
        while i >= floor && b[i] & 0xC0 == 0x80 { i -= 1 }  // skip continuation bytes
        guard i >= floor else { return 0 }
        let lead = b[i]
        let need: Int
        switch lead {
        case 0xC2...0xDF: need = 2
        case 0xE0...0xEF: need = 3
        case 0xF0...0xF4: need = 4
        default: return 0  // ASCII or a byte that can never start a character
        }
        let have = b.count - i
        guard have < need else { return 0 }
        // The second byte's range is narrower for some leads (no overlongs, surrogates, or > U+10FFFF).
        if have >= 2 {
            let c = b[i + 1]
            switch lead {
            case 0xE0: if c < 0xA0 { return 0 }
            case 0xED: if c > 0x9F { return 0 }
            case 0xF0: if c < 0x90 { return 0 }
            case 0xF4: if c > 0x8F { return 0 }
            default: break
            }
        }
        return have
    }
}
