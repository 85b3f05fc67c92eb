// PreTokenizer: splits text into the words BPE merges within, as `tokenizer.ggml.pre` names.
// Hand-written scanners that follow llama.cpp's pre-tokenizers (llama-vocab.cpp / unicode.cpp):
//   gpt2   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   smollm every \p{N} is its own piece first (so "2024" -> 2 0 2 4), then gpt2 within each piece
//   llama3 (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   qwen2  as llama3 with \p{N} (one digit per piece)

public enum PreTokenizerKind: String, Sendable, CaseIterable {
    case gpt2, smollm, llama3, qwen2

    /// The kind for a `tokenizer.ggml.pre` value (llama.cpp's names and aliases); nil if unknown.
    public init?(ggufName: String) {
        switch ggufName {
        case "gpt2", "gpt-2", "phi-2", "mpt", "olmo", "jais", "trillion":
            self = .gpt2
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b":
            self = .smollm
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2":
            self = .llama3
        case "qwen2", "deepseek-r1-qwen", "stablelm2", "megrez":
            self = .qwen2
        default:
            return nil
        }
    }
}

/// The character classes the scanners test, from the Unicode general category and White_Space.
struct ScalarClass {
    static let letter: UInt8 = 1, number: UInt8 = 2, space: UInt8 = 4

    private static let ascii: [UInt8] = (0..<128).map { classify(Unicode.Scalar(UInt8($0))) }

    static func of(_ u: Unicode.Scalar) -> UInt8 {
        u.value < 128 ? ascii[Int(u.value)] : classify(u)
    }

    private static func classify(_ u: Unicode.Scalar) -> UInt8 {
        let p = u.properties
        if p.isWhitespace { return space }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return number
        default:
            return 0
        }
    }
}

/// One run of text decoded to scalars with their classes; scanners return piece end indices.
struct ScalarText {
    var scalars: [UInt32] = []
    var classes: [UInt8] = []
    /// byteOffsets[i]: where scalar i starts in the UTF-8 input; the last entry is the end.
    var byteOffsets: [Int] = []

    init<C: Collection>(utf8 bytes: C) where C.Element == UInt8, C.Index == Int {
        scalars.reserveCapacity(bytes.count)
        classes.reserveCapacity(bytes.count)
        byteOffsets.reserveCapacity(bytes.count + 1)
        // The input comes from a Swift String, so it is valid UTF-8: the lead byte gives the length.
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b0 = UInt32(bytes[i])
            var v = b0, n = 1
            if b0 >= 0xF0 { v = b0 & 0x07; n = 4 } else if b0 >= 0xE0 { v = b0 & 0x0F; n = 3 } else if b0 >= 0xC0 { v = b0 & 0x1F; n = 2 }
            n = min(n, bytes.endIndex - i)
            if n > 1 { for k in 1..<n { v = (v << 6) | (UInt32(bytes[i + k]) & 0x3F) } }
            byteOffsets.append(i - bytes.startIndex)
            scalars.append(v)
            classes.append(Unicode.Scalar(v).map(ScalarClass.of) ?? 0)
            i += n
        }
        byteOffsets.append(bytes.count)
    }
}

enum PreTokenizer {
    /// End indices (in scalars) of the pieces of `t`, in order; the first piece starts at 0.
    static func split(_ t: ScalarText, kind: PreTokenizerKind) -> [Int] {
        var ends: [Int] = []
        ends.reserveCapacity(t.scalars.count / 3 + 1)
        let n = t.scalars.count
        switch kind {
        case .gpt2:
            scanGPT2(t, 0, n, &ends)
        case .smollm:
            // Pass 1: isolate each number character; pass 2: gpt2 within every other run.
            var start = 0
            for i in 0..<n where t.classes[i] & ScalarClass.number != 0 {
                if start < i { scanGPT2(t, start, i, &ends) }
                ends.append(i + 1)
                start = i + 1
            }
            if start < n { scanGPT2(t, start, n, &ends) }
        case .llama3:
            scanLlama3(t, 0, n, maxDigits: 3, &ends)
        case .qwen2:
            scanLlama3(t, 0, n, maxDigits: 1, &ends)
        }
        return ends
    }

    private static let apostrophe: UInt32 = 0x27, space: UInt32 = 0x20, cr: UInt32 = 0x0D, lf: UInt32 = 0x0A

    /// 's 't 'm 'd (2 scalars) or 're 've 'll (3) at `pos`, within [pos, hi); 0 when none.
    private static func contraction(_ c: [UInt32], _ pos: Int, _ hi: Int, caseless: Bool) -> Int {
        guard c[pos] == apostrophe, pos + 1 < hi else { return 0 }
        func low(_ v: UInt32) -> UInt32 { caseless && v >= 0x41 && v <= 0x5A ? v | 0x20 : v }
        let a = low(c[pos + 1])
        if a == 0x73 || a == 0x74 || a == 0x6D || a == 0x64 { return 2 }  // s t m d
        guard pos + 2 < hi else { return 0 }
        let b = low(c[pos + 2])
        if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) { return 3 }  // re ve ll
        return 0
    }

    /// GPT-2's pattern over scalars [lo, hi).
    static func scanGPT2(_ t: ScalarText, _ lo: Int, _ hi: Int, _ ends: inout [Int]) {
        let c = t.scalars, k = t.classes
        let L = ScalarClass.letter, N = ScalarClass.number, S = ScalarClass.space
        var pos = lo
        while pos < hi {
            let m = contraction(c, pos, hi, caseless: false)
            if m > 0 { pos += m; ends.append(pos); continue }
            // An optional leading space, then a run of one class.
            let lead = c[pos] == space && pos + 1 < hi ? 1 : 0
            let k2 = c[pos] == space ? (pos + 1 < hi ? k[pos + 1] : S) : k[pos]
            if k2 & S == 0 {
                var p = pos + lead
                if k2 & L != 0 {
                    while p < hi && k[p] & L != 0 { p += 1 }
                } else if k2 & N != 0 {
                    while p < hi && k[p] & N != 0 { p += 1 }
                } else {
                    while p < hi && k[p] & (L | N | S) == 0 { p += 1 }
                }
                pos = p; ends.append(pos); continue
            }
            var w = 0
            while pos + w < hi && k[pos + w] & S != 0 { w += 1 }
            if w > 1 && pos + w < hi {
                pos += w - 1         // \s+(?!\S): leave the last space to lead the next word
            } else if w > 0 {
                pos += w             // \s+
            } else {
                pos += 1
            }
            ends.append(pos)
        }
    }

    /// Llama-3's pattern (and Qwen2's with maxDigits 1) over scalars [lo, hi).
    static func scanLlama3(_ t: ScalarText, _ lo: Int, _ hi: Int, maxDigits: Int, _ ends: inout [Int]) {
        let c = t.scalars, k = t.classes
        let L = ScalarClass.letter, N = ScalarClass.number, S = ScalarClass.space
        var pos = lo
        while pos < hi {
            let m = contraction(c, pos, hi, caseless: true)
            if m > 0 { pos += m; ends.append(pos); continue }
            let cpt = c[pos], f = k[pos]
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if cpt != cr && cpt != lf && f & N == 0 {
                if f & L != 0 || (pos + 1 < hi && k[pos + 1] & L != 0) {
                    var p = pos + 1
                    while p < hi && k[p] & L != 0 { p += 1 }
                    pos = p; ends.append(pos); continue
                }
            }
            // \p{N}{1,maxDigits}
            if f & N != 0 {
                var run = 0
                while pos < hi && k[pos] & N != 0 && run < maxDigits { pos += 1; run += 1 }
                ends.append(pos); continue
            }
            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
            let k2 = cpt == space ? (pos + 1 < hi ? k[pos + 1] : S) : f
            if k2 & (L | N | S) == 0 {
                var p = pos + (cpt == space ? 1 : 0)
                while p < hi && k[p] & (L | N | S) == 0 { p += 1 }
                while p < hi && (c[p] == cr || c[p] == lf) { p += 1 }
                pos = p; ends.append(pos); continue
            }
            var w = 0, lastNewline = -1
            while pos + w < hi && k[pos + w] & S != 0 {
                if c[pos + w] == cr || c[pos + w] == lf { lastNewline = pos + w }
                w += 1
            }
            if lastNewline >= 0 {
                pos = lastNewline + 1    // \s*[\r\n]+
            } else if w > 1 && pos + w < hi {
                pos += w - 1             // \s+(?!\S)
            } else if w > 0 {
                pos += w                 // \s+
            } else {
                pos += 1
            }
            ends.append(pos)
        }
    }

    /// The pieces of `text` as strings (tests and the token inspector).
    static func pieces(_ text: String, kind: PreTokenizerKind) -> [String] {
        let bytes = Array(text.utf8)
        let t = ScalarText(utf8: bytes)
        var start = 0
        return split(t, kind: kind).map { end in
            defer { start = end }
            return String(decoding: bytes[t.byteOffsets[start]..<t.byteOffsets[end]], as: UTF8.self)
        }
    }
}
