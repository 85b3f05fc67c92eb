// BPETokenizer: byte-level BPE from a GGUF file's metadata (`tokenizer.ggml.model = gpt2`), as llama.cpp does it:
// special tokens matched whole in the text, then the named pre-tokenizer, then ranked merges per word.
// Decoding maps each token back to its raw bytes; invalid UTF-8 across tokens is repaired with U+FFFD.

/// Token kinds as GGUF's `tokenizer.ggml.token_type` numbers them.
public enum TokenType: Int, Sendable {
    case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
}

public final class BPETokenizer: Tokenizing, Sendable {
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

    private let tokenIDs: [String: Int32]
    private let merger: BPEMerger
    /// Raw bytes of each token (what decoding emits).
    private let tokenBytes: [[UInt8]]
    /// Tokens matched whole in the input, longest first; `always` ones even when specials are not parsed.
    private let specials: [(bytes: [UInt8], id: Int32, always: Bool)]
    private let endOfGeneration: Set<Int>

    /// Token texts that end a turn in the chat formats we know (llama.cpp treats them as end-of-generation).
    static let endOfGenerationTexts: Set<String> = [
        "<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|endoftext|>", "<|end_of_text|>", "<end_of_turn>", "<|end|>", "<EOT>",
    ]

    /// Reads the tokenizer of a GGUF file. Throws TokenizerError naming the missing or malformed key.
    /// `preTokenizer` overrides `tokenizer.ggml.pre` (tests use it to run one vocabulary through every scanner).
    public convenience init(gguf: GGUFFile, preTokenizer override: PreTokenizerKind? = nil) throws {
        let path = gguf.path, meta = gguf.metadata
        let model = meta["tokenizer.ggml.model"]?.string ?? "(missing)"
        guard model == "gpt2" else {
            let what = model == "llama" ? "SentencePiece ('llama') tokenizers are not supported yet" : "tokenizer model '\(model)' is not supported"
            throw TokenizerError(path: path, "\(what) (byte-level BPE 'gpt2' is)")
        }
        func strings(_ key: String) throws -> [String] {
            guard let a = meta[key]?.array else { throw TokenizerError(path: path, "missing metadata key '\(key)'") }
            let s = a.compactMap(\.string)
            guard s.count == a.count else { throw TokenizerError(path: path, "metadata '\(key)' should be an array of strings") }
            return s
        }
        let tokens = try strings("tokenizer.ggml.tokens")
        let merges = try strings("tokenizer.ggml.merges")
        var types: [TokenType]? = nil
        if let a = meta["tokenizer.ggml.token_type"]?.array {
            let t = a.compactMap { $0.int.flatMap(TokenType.init(rawValue:)) }
            guard t.count == tokens.count else {
                throw TokenizerError(path: path, "tokenizer.ggml.token_type has \(a.count) valid-looking entries for \(tokens.count) tokens, or unknown types")
            }
            types = t
        }
        let preName = meta["tokenizer.ggml.pre"]?.string ?? "gpt2"
        guard let pre = override ?? PreTokenizerKind(ggufName: preName) else {
            throw TokenizerError(path: path, "unknown pre-tokenizer '\(preName)' (supported: smollm, llama3/llama-bpe, qwen2, gpt2)")
        }
        func id(_ key: String) throws -> Int? {
            guard let v = meta[key] else { return nil }
            guard let i = v.int, i >= 0, i < tokens.count else {
                throw TokenizerError(path: path, "metadata '\(key)' = \(v.summary) is not a token id below \(tokens.count)")
            }
            return i
        }
        try self.init(tokens: tokens, types: types, merges: merges, preTokenizer: pre,
                      bosID: try id("tokenizer.ggml.bos_token_id"), eosID: try id("tokenizer.ggml.eos_token_id"),
                      unknownID: try id("tokenizer.ggml.unknown_token_id"), paddingID: try id("tokenizer.ggml.padding_token_id"),
                      extraEndIDs: [try id("tokenizer.ggml.eot_token_id"), try id("tokenizer.ggml.eom_token_id")].compactMap { $0 },
                      addBOS: meta["tokenizer.ggml.add_bos_token"]?.bool ?? false,
                      addEOS: meta["tokenizer.ggml.add_eos_token"]?.bool ?? false,
                      chatTemplate: ChatTemplate(template: meta["tokenizer.chat_template"]?.string),
                      path: path)
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
        var ids: [String: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() where ids[t] == nil { ids[t] = Int32(i) }

        // Turn-ending tokens count as control tokens even when the file calls them normal (as llama.cpp does).
        var ends = Set(extraEndIDs)
        if let e = eosID { ends.insert(e) }
        for (i, t) in tokens.enumerated() where Self.endOfGenerationTexts.contains(t) {
            ends.insert(i)
            if types[i] == .normal { types[i] = .control }
        }

        var bytes: [[UInt8]] = []
        bytes.reserveCapacity(tokens.count)
        var specials: [(bytes: [UInt8], id: Int32, always: Bool)] = []
        for (i, t) in tokens.enumerated() {
            switch types[i] {
            case .control, .userDefined, .unknown:
                bytes.append(Array(t.utf8))
                if !t.isEmpty { specials.append((Array(t.utf8), Int32(i), types[i] == .userDefined)) }
            case .unused:
                bytes.append([])
            default:
                bytes.append(ByteLevel.decode(t))
            }
        }
        specials.sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }

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
        self.endOfGeneration = ends
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
        for fragment in partition(bytes, parseSpecial: parseSpecial) {
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
        if preTokenizer == .llama3, let id = tokenIDs[ByteLevel.encode(word)] { return [id] }
        var out: [Int32] = []
        for s in merger.merge(word) {
            if Int(s) < merger.vocabCount {
                out.append(s)
            } else {
                // A merge result the vocabulary lacks: fall back to its single-byte tokens.
                for u in merger.extraSymbols[Int(s) - merger.vocabCount].unicodeScalars {
                    if let id = tokenIDs[String(u)] { out.append(id) }
                }
            }
        }
        return out
    }

    private enum Fragment { case token(Int32), text(Range<Int>) }

    /// Splits the text at every occurrence of a special token, longest tokens first (llama.cpp's order).
    private func partition(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = bytes.isEmpty ? [] : [.text(0..<bytes.count)]
        for special in specials where parseSpecial || special.always {
            let needle = special.bytes
            var next: [Fragment] = []
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

    // MARK: decoding

    public func bytes(of id: Int) -> [UInt8] {
        tokenBytes.indices.contains(id) ? tokenBytes[id] : []
    }

    public func decode(_ ids: [Int]) -> String {
        var all: [UInt8] = []
        for id in ids { all.append(contentsOf: bytes(of: id)) }
        return String(decoding: all, as: UTF8.self)
    }

    /// One token's text for display (a partial UTF-8 character shows as U+FFFD).
    public func piece(_ id: Int) -> String {
        String(decoding: bytes(of: id), as: UTF8.self)
    }

    /// The id of the token whose stored text is `text` (e.g. "<|im_end|>").
    public func tokenID(_ text: String) -> Int? {
        tokenIDs[text].map(Int.init)
    }

    public func isEndOfGeneration(_ id: Int) -> Bool {
        endOfGeneration.contains(id)
    }

    public func isSpecial(_ id: Int) -> Bool {
        guard tokenTypes.indices.contains(id) else { return false }
        return tokenTypes[id] == .control || tokenTypes[id] == .userDefined || tokenTypes[id] == .unknown
    }
}
