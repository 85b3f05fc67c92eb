// BPETokenizer: byte-level BPE from a GGUF file's metadata (`tokenizer.ggml.model = gpt2`), as llama.cpp does it:
// special tokens matched whole in the text, then the named pre-tokenizer, then ranked merges per word.
// Decoding maps each token back to its raw bytes; invalid UTF-8 across tokens is repaired with U+FFFD.

/// Token kinds as GGUF's `tokenizer.ggml.token_type` numbers them.
public enum TokenType: Int, Sendable {
    case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
}

public final class BPETokenizer: GGUFTokenizer, Sendable {
    /// Token text as the vocabulary stores it (byte-level characters for normal tokens).
    public let tokens: [String]
    public let tokenTypes: [TokenType]
    public let preTokenizer: PreTokenizerKind
    public let bosID: Int?
    public let eosID: Int?
    public let unknownID: Int?
    public let paddingID: Int?
    /// Whether `encode(_:addSpecial: true)` prepends BOS / appends EOS (`tokenizer.ggml.add_bos_token`).
    public let addBOS: Bool
    public let addEOS: Bool
    /// The chat format the model's `tokenizer.chat_template` calls for (raw when absent).
    public let chatTemplate: ChatTemplate

    public var vocabSize: Int { tokens.count }

    private let tokenIDs: [ByteKey: Int32]
    private let merger: BPEMerger
    /// Raw bytes of each token (what decoding emits).
    private let tokenBytes: [[UInt8]]
    private let specials: SpecialTokens

    /// Reads the tokenizer of a GGUF file. Throws TokenizerError naming the missing or malformed key.
    /// `preTokenizer` overrides `tokenizer.ggml.pre` (tests use it to run one vocabulary through every scanner).
    public convenience init(gguf: GGUFFile, preTokenizer override: PreTokenizerKind? = nil) throws {
        let m = try TokenizerMetadata(gguf: gguf)
        guard m.model == "gpt2" else {
            let what = m.model == "llama" ? "is SentencePiece ('llama'): use TokenizerLoader" : "'\(m.model)' is not supported"
            throw TokenizerError(path: m.path, "tokenizer model \(what) (byte-level BPE is 'gpt2')")
        }
        guard let merges = m.merges else { throw TokenizerError(path: m.path, "missing metadata key 'tokenizer.ggml.merges'") }
        let preName = m.pre ?? "gpt2"
        guard let pre = override ?? PreTokenizerKind(ggufName: preName) else {
            throw TokenizerError(path: m.path, "unknown pre-tokenizer '\(preName)' (supported: smollm, llama3/llama-bpe, qwen2, gpt2)")
        }
        try self.init(tokens: m.tokens, types: m.types, merges: merges, preTokenizer: pre,
                      bosID: m.bosID, eosID: m.eosID, unknownID: m.unknownID, paddingID: m.paddingID,
                      // Without the key, llama.cpp adds BOS for Llama-3's pre-tokenizer only.
                      extraEndIDs: m.extraEndIDs, addBOS: m.addBOS ?? (pre == .llama3), addEOS: m.addEOS ?? false,
                      chatTemplate: m.chatTemplate, path: m.path)
    }

    /// Opens `path` and reads its tokenizer.
    public convenience init(path: String) throws {
        try self.init(gguf: try GGUFFile(path: path))
    }

    /// Builds a tokenizer from its parts (tests build small vocabularies this way).
    public init(tokens: [String], types: [TokenType]? = nil, merges: [String], preTokenizer: PreTokenizerKind,
                bosID: Int? = nil, eosID: Int? = nil, unknownID: Int? = nil, paddingID: Int? = nil,
                extraEndIDs: [Int] = [], addBOS: Bool = false, addEOS: Bool = false,
                chatTemplate: ChatTemplate = ChatTemplate(template: nil), path: String = "<tokenizer>") throws {
        guard !tokens.isEmpty, tokens.count < Int(Int32.max) / 2 else {
            throw TokenizerError(path: path, "vocabulary of \(tokens.count) tokens")
        }
        var types = types ?? [TokenType](repeating: .normal, count: tokens.count)
        guard types.count == tokens.count else {
            throw TokenizerError(path: path, "\(types.count) token types for \(tokens.count) tokens")
        }
        for i in [bosID, eosID, unknownID, paddingID].compactMap({ $0 }) + extraEndIDs where !(0..<tokens.count).contains(i) {
            throw TokenizerError(path: path, "special token id \(i) is outside the vocabulary of \(tokens.count)")
        }
        var ids: [ByteKey: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() where ids[ByteKey(t)] == nil { ids[ByteKey(t)] = Int32(i) }

        let specials = SpecialTokens(tokens: tokens, types: &types, eosID: eosID, extraEndIDs: extraEndIDs)
        var bytes: [[UInt8]] = []
        bytes.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() {
            switch types[i] {
            case .control, .userDefined, .unknown: bytes.append(Array(t.utf8))
            case .unused: bytes.append([])
            default: bytes.append(ByteLevel.decode(t))
            }
        }

        self.tokens = tokens
        self.tokenTypes = types
        self.preTokenizer = preTokenizer
        self.bosID = bosID
        self.eosID = eosID
        self.unknownID = unknownID
        self.paddingID = paddingID
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.chatTemplate = chatTemplate
        self.tokenIDs = ids
        self.merger = try BPEMerger(merges: merges, tokenIDs: ids, vocabCount: tokens.count, path: path)
        self.tokenBytes = bytes
        self.specials = specials
    }

    // MARK: encoding

    public func encode(_ text: String, addSpecial: Bool) -> [Int] {
        encode(text, addSpecial: addSpecial, parseSpecial: true)
    }

    /// Token ids for `text`. `parseSpecial`: match control tokens such as `<|im_start|>` written in the text
    /// (user-defined tokens are always matched); `addSpecial`: BOS/EOS as the model asks.
    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int] {
        var out: [Int] = []
        let bytes = Array(text.utf8)
        out.reserveCapacity(bytes.count / 3 + 2)
        if addSpecial && addBOS, let b = bosID { out.append(b) }
        var cache: [ArraySlice<UInt8>: [Int32]] = [:]
        for fragment in specials.partition(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                out.append(Int(id))
            case .text(let range):
                let t = ScalarText(utf8: bytes[range])
                var start = 0
                for end in PreTokenizer.split(t, kind: preTokenizer) {
                    let word = bytes[(range.lowerBound + t.byteOffsets[start])..<(range.lowerBound + t.byteOffsets[end])]
                    start = end
                    if let hit = cache[word] {
                        for s in hit { out.append(Int(s)) }
                        continue
                    }
                    let ids = tokenize(word: word)
                    cache[word] = ids
                    for s in ids { out.append(Int(s)) }
                }
            }
        }
        if addSpecial && addEOS, let e = eosID { out.append(e) }
        return out
    }

    /// The token ids of one pre-tokenized word.
    private func tokenize(word: ArraySlice<UInt8>) -> [Int32] {
        // Llama-3 takes a word that is itself a token whole, without merging (llama.cpp's ignore_merges).
        if preTokenizer == .llama3, let id = tokenIDs[ByteKey(ByteLevel.encode(word))] { return [id] }
        var out: [Int32] = []
        for s in merger.merge(word) {
            if Int(s) < merger.vocabCount {
                out.append(s)
            } else {
                // A merge result the vocabulary lacks: fall back to its single-byte tokens.
                for u in merger.extraSymbols[Int(s) - merger.vocabCount].unicodeScalars {
                    if let id = tokenIDs[ByteKey(String(u))] { out.append(id) }
                }
            }
        }
        return out
    }

    // MARK: decoding

    public func bytes(of id: Int) -> [UInt8] {
        tokenBytes.indices.contains(id) ? tokenBytes[id] : []
    }

    public func decode(_ ids: [Int]) -> String {
        var all: [UInt8] = []
        for id in ids { all.append(contentsOf: bytes(of: id)) }
        return String(decoding: all, as: UTF8.self)
    }

    public func piece(_ id: Int) -> String {
        String(decoding: bytes(of: id), as: UTF8.self)
    }

    public func tokenID(_ text: String) -> Int? {
        tokenIDs[ByteKey(text)].map(Int.init)
    }

    public func isEndOfGeneration(_ id: Int) -> Bool {
        specials.endOfGeneration.contains(id)
    }

    public func isSpecial(_ id: Int) -> Bool {
        guard tokenTypes.indices.contains(id) else { return false }
        return tokenTypes[id] == .control || tokenTypes[id] == .userDefined || tokenTypes[id] == .unknown
    }
}
