// SentencePieceTokenizer: the `tokenizer.ggml.model = llama` vocabularies of Llama-2 / TinyLlama GGUFs, as llama.cpp
// tokenizes them: spaces become "▁" (with one prepended at the start and after each special token when
// add_space_prefix), characters merge pairwise highest score first (leftmost on ties) while the pair is a
// token, and characters outside the vocabulary fall back to <0xXX> byte tokens.

public final class SentencePieceTokenizer: GGUFTokenizer, Sendable {
    public let tokens: [String]
    public let tokenTypes: [TokenType]
    public let scores: [Float]
    public let bosID: Int?
    public let eosID: Int?
    public let unknownID: Int?
    public let addBOS: Bool
    public let addEOS: Bool
    public let addSpacePrefix: Bool
    public let chatTemplate: ChatTemplate

    public var vocabSize: Int { tokens.count }

    private let tokenIDs: [ByteKey: Int32]
    private let byteTokens: [Int32]  // token for each raw byte (-1: none)
    private let tokenBytes: [[UInt8]]
    private let specials: SpecialTokens
    private static let space: [UInt8] = Array("\u{2581}".utf8)  // "▁"

    public convenience init(gguf: GGUFFile) throws {
        let m = try TokenizerMetadata(gguf: gguf)
        guard m.model == "llama" else {
            throw TokenizerError(path: m.path, "tokenizer model '\(m.model)' is not SentencePiece ('llama')")
        }
        try self.init(tokens: m.tokens, types: m.types, scores: m.scores, bosID: m.bosID ?? 1, eosID: m.eosID ?? 2,
                      unknownID: m.unknownID ?? 0, extraEndIDs: m.extraEndIDs, addBOS: m.addBOS ?? true,
                      addEOS: m.addEOS ?? false, addSpacePrefix: m.addSpacePrefix ?? true,
                      chatTemplate: m.chatTemplate, path: m.path)
    }

    /// Builds a tokenizer from its parts (llama.cpp's defaults: BOS 1, EOS 2, unknown 0, BOS added, space prefix).
    public init(tokens: [String], types: [TokenType]? = nil, scores: [Float]? = nil, bosID: Int? = 1, eosID: Int? = 2,
                unknownID: Int? = 0, extraEndIDs: [Int] = [], addBOS: Bool = true, addEOS: Bool = false,
                addSpacePrefix: Bool = true, chatTemplate: ChatTemplate = ChatTemplate(template: nil),
                path: String = "<tokenizer>") throws {
        guard !tokens.isEmpty, tokens.count < Int(Int32.max) / 2 else {
            throw TokenizerError(path: path, "vocabulary of \(tokens.count) tokens")
        }
        var types = types ?? [TokenType](repeating: .normal, count: tokens.count)
        let scores = scores ?? [Float](repeating: 0, count: tokens.count)
        guard types.count == tokens.count, scores.count == tokens.count else {
            throw TokenizerError(path: path, "\(types.count) token types and \(scores.count) scores for \(tokens.count) tokens")
        }
        // Out-of-range defaults (a tiny vocabulary) are dropped rather than trusted.
        func inRange(_ i: Int?) -> Int? { i.flatMap { (0..<tokens.count).contains($0) ? $0 : nil } }
        var ids: [ByteKey: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() where ids[ByteKey(t)] == nil { ids[ByteKey(t)] = Int32(i) }

        let specials = SpecialTokens(tokens: tokens, types: &types, eosID: inRange(eosID), extraEndIDs: extraEndIDs.compactMap(inRange))
        var bytes: [[UInt8]] = []
        bytes.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() {
            switch types[i] {
            case .normal, .undefined:
                bytes.append(Self.unescape(Array(t.utf8)))
            case .byte:
                bytes.append(Self.byteValue(t).map { [$0] } ?? Array(t.utf8))
            case .unused:
                bytes.append([])
            case .control, .unknown, .userDefined:
                bytes.append(Array(t.utf8))
            }
        }
        var byteTokens = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            let hex = String(b, radix: 16, uppercase: true)
            if let id = ids[ByteKey("<0x" + (hex.count == 1 ? "0" + hex : hex) + ">")] {
                byteTokens[b] = id
            } else if b < 128, let id = ids[ByteKey([UInt8(b)])] {
                byteTokens[b] = id
            }
        }
        self.tokens = tokens
        self.tokenTypes = types
        self.scores = scores
        self.bosID = inRange(bosID)
        self.eosID = inRange(eosID)
        self.unknownID = inRange(unknownID)
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
        self.chatTemplate = chatTemplate
        self.tokenIDs = ids
        self.byteTokens = byteTokens
        self.tokenBytes = bytes
        self.specials = specials
    }

    /// "▁" -> " ".
    private static func unescape(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if i + 3 <= b.count && b[i] == 0xE2 && b[i + 1] == 0x96 && b[i + 2] == 0x81 {
                out.append(0x20); i += 3
            } else {
                out.append(b[i]); i += 1
            }
        }
        return out
    }

    /// The byte a "<0xXX>" token stands for.
    private static func byteValue(_ t: String) -> UInt8? {
        guard t.hasPrefix("<0x"), t.hasSuffix(">"), t.utf8.count == 6 else { return nil }
        return UInt8(t.dropFirst(3).dropLast(), radix: 16)
    }

    // MARK: encoding

    public func encode(_ text: String, addSpecial: Bool) -> [Int] {
        encode(text, addSpecial: addSpecial, parseSpecial: true)
    }

    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int] {
        var out: [Int] = []
        let bytes = Array(text.utf8)
        if addSpecial && addBOS, let b = bosID { out.append(b) }
        var afterSpecial = true  // the text's start counts as following a special token
        for fragment in specials.partition(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                out.append(Int(id))
                afterSpecial = true
            case .text(let r):
                var escaped: [UInt8] = addSpacePrefix && afterSpecial ? Self.space : []
                for b in bytes[r] { if b == 0x20 { escaped += Self.space } else { escaped.append(b) } }
                tokenize(escaped, into: &out)
                afterSpecial = false
            }
        }
        if addSpecial && addEOS, let e = eosID { out.append(e) }
        return out
    }

    /// Merges the characters of `s` (spaces already "▁") by score and appends the tokens.
    private func tokenize(_ s: [UInt8], into out: inout [Int]) {
        // Symbols: one per UTF-8 character, as byte ranges [start[i], start[i] + len[i]).
        var start: [Int] = [], len: [Int] = []
        var i = 0
        while i < s.count {
            let b = s[i]
            let n = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
            let k = min(n, s.count - i)
            start.append(i); len.append(k)
            i += k
        }
        let n = start.count
        guard n > 0 else { return }
        var prev = [Int](0..<n).map { $0 - 1 }, next = [Int](1...n)

        // Max-heap of candidate pairs: highest score, then leftmost. `size` detects stale entries.
        struct Pair { let score: Float; let left: Int; let right: Int; let size: Int }
        func before(_ a: Pair, _ b: Pair) -> Bool { a.score > b.score || (a.score == b.score && a.left < b.left) }
        var heap = BinaryHeap<Pair>(precedes: before)
        func consider(_ l: Int, _ r: Int) {
            guard l >= 0, r < n else { return }
            let size = len[l] + len[r]
            guard let id = tokenIDs[ByteKey(s[start[l]..<(start[l] + size)])] else { return }
            heap.push(Pair(score: scores[Int(id)], left: l, right: r, size: size))
        }
        for j in 0..<(n - 1) { consider(j, j + 1) }
        while !heap.isEmpty {
            let p = heap.pop()
            guard len[p.left] > 0, len[p.right] > 0, len[p.left] + len[p.right] == p.size else { continue }
            len[p.left] += len[p.right]
            len[p.right] = 0
            next[p.left] = next[p.right]
            if next[p.right] < n { prev[next[p.right]] = p.left }
            consider(prev[p.left], p.left)
            consider(p.left, next[p.left])
        }
        var j = 0
        while j < n {
            let piece = s[start[j]..<(start[j] + len[j])]
            if let id = tokenIDs[ByteKey(piece)] {
                out.append(Int(id))
            } else {
                for b in piece {
                    let t = byteTokens[Int(b)]
                    if t >= 0 { out.append(Int(t)) } else if let u = unknownID { out.append(u) }
                }
            }
            j = next[j]
        }
    }

    // MARK: decoding

    public func bytes(of id: Int) -> [UInt8] {
        tokenBytes.indices.contains(id) ? tokenBytes[id] : []
    }

    /// The text of `ids` as llama.cpp's detokenizer gives it: the space the encoder prepends is dropped from
    /// the first token. (A stream of generated tokens uses `bytes(of:)`, which keeps it.)
    public func decode(_ ids: [Int]) -> String {
        var all: [UInt8] = []
        for (k, id) in ids.enumerated() {
            let b = bytes(of: id)
            if k == 0 && addSpacePrefix && b.first == 0x20 { all.append(contentsOf: b.dropFirst()) } else { all.append(contentsOf: b) }
        }
        return String(decoding: all, as: UTF8.self)
    }

    public func piece(_ id: Int) -> String { String(decoding: bytes(of: id), as: UTF8.self) }

    public func tokenID(_ text: String) -> Int? { tokenIDs[ByteKey(text)].map(Int.init) }

    public func isEndOfGeneration(_ id: Int) -> Bool { specials.endOfGeneration.contains(id) }

    public func isSpecial(_ id: Int) -> Bool {
        guard tokenTypes.indices.contains(id) else { return false }
        return tokenTypes[id] == .control || tokenTypes[id] == .userDefined || tokenTypes[id] == .unknown
    }
}
