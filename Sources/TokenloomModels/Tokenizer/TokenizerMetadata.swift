// TokenizerMetadata: the `tokenizer.*` keys of a GGUF file, read and checked once for every tokenizer kind,
// and the loader that picks the tokenizer `tokenizer.ggml.model` names (gpt2: byte-level BPE; llama: SentencePiece).

/// What the CLI, decoders and TUI need beyond `Tokenizing`: token texts, specials, and the chat format.
public protocol GGUFTokenizer: Tokenizing {
    /// Token text as the vocabulary stores it.
    var tokens: [String] { get }
    var chatTemplate: ChatTemplate { get }
    func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int]
    /// One token's text for display (a partial UTF-8 character shows as U+FFFD).
    func piece(_ id: Int) -> String
    /// The id of the token whose stored text is `text` (e.g. "<|im_end|>").
    func tokenID(_ text: String) -> Int?
    func isSpecial(_ id: Int) -> Bool
}

public enum TokenizerLoader {
    /// The tokenizer a GGUF file describes. Throws TokenizerError for unknown kinds or malformed metadata.
    public static func load(from gguf: GGUFFile) throws -> any GGUFTokenizer {
        switch gguf.metadata["tokenizer.ggml.model"]?.string {
        case "llama": return try SentencePieceTokenizer(gguf: gguf)
        default: return try BPETokenizer(gguf: gguf)
        }
    }
}

struct TokenizerMetadata {
    let path: String
    let model: String
    let tokens: [String]
    let types: [TokenType]?
    let scores: [Float]?
    let merges: [String]?
    let pre: String?
    let bosID: Int?, eosID: Int?, unknownID: Int?, paddingID: Int?
    let extraEndIDs: [Int]
    let addBOS: Bool?, addEOS: Bool?, addSpacePrefix: Bool?
    let chatTemplate: ChatTemplate

    init(gguf: GGUFFile) throws {
        let path = gguf.path, meta = gguf.metadata
        self.path = path
        model = meta["tokenizer.ggml.model"]?.string ?? "(missing)"
        func strings(_ key: String) throws -> [String]? {
            guard let v = meta[key] else { return nil }
            guard let a = v.array else { throw TokenizerError(path: path, "metadata '\(key)' should be an array of strings") }
            let s = a.compactMap(\.string)
            guard s.count == a.count else { throw TokenizerError(path: path, "metadata '\(key)' should be an array of strings") }
            return s
        }
        guard let tokens = try strings("tokenizer.ggml.tokens") else {
            throw TokenizerError(path: path, "missing metadata key 'tokenizer.ggml.tokens'")
        }
        self.tokens = tokens
        merges = try strings("tokenizer.ggml.merges")
        if let a = meta["tokenizer.ggml.token_type"]?.array {
            let t = a.compactMap { $0.int.flatMap(TokenType.init(rawValue:)) }
            guard t.count == tokens.count else {
                throw TokenizerError(path: path, "tokenizer.ggml.token_type has \(a.count) entries for \(tokens.count) tokens, or unknown types")
            }
            types = t
        } else {
            types = nil
        }
        if let a = meta["tokenizer.ggml.scores"]?.array {
            let s = a.compactMap(\.float)
            guard s.count == tokens.count else {
                throw TokenizerError(path: path, "tokenizer.ggml.scores has \(a.count) entries for \(tokens.count) tokens, or non-numbers")
            }
            scores = s
        } else {
            scores = nil
        }
        pre = meta["tokenizer.ggml.pre"]?.string
        func id(_ key: String) throws -> Int? {
            guard let v = meta[key] else { return nil }
            guard let i = v.int, i >= 0, i < tokens.count else {
                throw TokenizerError(path: path, "metadata '\(key)' = \(v.summary) is not a token id below \(tokens.count)")
            }
            return i
        }
        bosID = try id("tokenizer.ggml.bos_token_id")
        eosID = try id("tokenizer.ggml.eos_token_id")
        unknownID = try id("tokenizer.ggml.unknown_token_id")
        paddingID = try id("tokenizer.ggml.padding_token_id")
        extraEndIDs = [try id("tokenizer.ggml.eot_token_id"), try id("tokenizer.ggml.eom_token_id")].compactMap { $0 }
        addBOS = meta["tokenizer.ggml.add_bos_token"]?.bool
        addEOS = meta["tokenizer.ggml.add_eos_token"]?.bool
        addSpacePrefix = meta["tokenizer.ggml.add_space_prefix"]?.bool
        chatTemplate = ChatTemplate(template: meta["tokenizer.chat_template"]?.string)
    }
}
