// LlamaHyperparameters: the sizes of a Llama-family model read from GGUF metadata (`<arch>.*`
// keys) and checked for sense before any tensor is touched.
import TokenloomKernels

public struct LlamaHyperparameters: Sendable, Equatable {
    public var architecture: String
    public var layers: Int            // n_layer
    public var embedding: Int         // d_model
    public var heads: Int             // n_head
    public var kvHeads: Int           // n_head_kv (grouped-query attention)
    public var headDim: Int
    public var feedForward: Int       // n_ff
    public var vocab: Int
    public var contextLength: Int     // trained context
    public var ropeBase: Float
    public var ropeDims: Int
    public var rmsEps: Float
    /// RoPE pairs (i, i + dims/2) (GPT-NeoX / Qwen2 style) instead of (2i, 2i+1) (llama).
    public var ropeNeox: Bool

    public var qDim: Int { heads * headDim }
    public var kvDim: Int { kvHeads * headDim }

    /// Reads and validates the hyperparameters of `file` (architecture `arch`).
    public init(file: GGUFFile) throws {
        let path = file.path
        guard let arch = file.architecture else {
            throw ModelError.inconsistent(path: path, detail: "missing metadata key 'general.architecture'")
        }
        architecture = arch
        func int(_ key: String) throws -> Int { try file.requireInt("\(arch).\(key)") }
        func optInt(_ key: String) throws -> Int? { try file.optionalInt("\(arch).\(key)") }
        func bad(_ what: String) -> ModelError { .inconsistent(path: path, detail: what) }

        layers = try int("block_count")
        embedding = try int("embedding_length")
        heads = try int("attention.head_count")
        kvHeads = try optInt("attention.head_count_kv") ?? heads
        feedForward = try int("feed_forward_length")
        contextLength = try optInt("context_length") ?? 2048
        rmsEps = try file.optionalFloat("\(arch).attention.layer_norm_rms_epsilon") ?? 1e-5
        ropeBase = try file.optionalFloat("\(arch).rope.freq_base") ?? 10000
        ropeNeox = arch == "qwen2"

        guard (1...1024).contains(layers) else { throw bad("absurd block_count \(layers) (1 to 1024)") }
        guard (1...65536).contains(embedding) else { throw bad("absurd embedding_length \(embedding)") }
        guard (1...1024).contains(heads) else { throw bad("absurd attention.head_count \(heads)") }
        guard (1...heads).contains(kvHeads), heads % kvHeads == 0 else {
            throw bad("attention.head_count_kv \(kvHeads) does not divide head_count \(heads)")
        }
        headDim = try optInt("attention.key_length") ?? (embedding / max(heads, 1))
        guard headDim > 0, headDim % 2 == 0, headDim <= 1024,
              try optInt("attention.key_length") != nil || embedding % heads == 0 else {
            throw bad("embedding_length \(embedding) is not a whole number of \(heads) heads of even size")
        }
        if let vl = try optInt("attention.value_length"), vl != headDim {
            throw bad("attention.value_length \(vl) differs from key_length \(headDim) (unsupported)")
        }
        ropeDims = try optInt("rope.dimension_count") ?? headDim
        guard ropeDims > 0, ropeDims % 2 == 0, ropeDims <= headDim else {
            throw bad("rope.dimension_count \(ropeDims) must be even and at most the head size \(headDim)")
        }
        guard (1...(1 << 20)).contains(feedForward) else { throw bad("absurd feed_forward_length \(feedForward)") }
        guard (1...(1 << 24)).contains(contextLength) else { throw bad("absurd context_length \(contextLength)") }
        guard ropeBase.isFinite, ropeBase > 0 else { throw bad("rope.freq_base \(ropeBase) must be positive") }
        guard rmsEps.isFinite, rmsEps > 0, rmsEps < 1 else { throw bad("absurd layer_norm_rms_epsilon \(rmsEps)") }

        // The vocabulary size is the token embedding's row count (vocab_size is optional metadata).
        let embd = try file.tensor("token_embd.weight")
        guard embd.dims.count == 2, embd.dims[0] == embedding else {
            throw ModelError.badShape(path: path, tensor: embd.name, expected: [embedding, -1], found: embd.dims)
        }
        vocab = embd.dims[1]
        if let v = try optInt("vocab_size"), v != vocab {
            throw bad("vocab_size \(v) differs from token_embd.weight's \(vocab) rows")
        }
        // Like llama.cpp, the tokenizer's vocabulary must match the embedding exactly: an id past
        // either end would index garbage.
        if let n = file.metadata["tokenizer.ggml.tokens"]?.array?.count, n != vocab {
            throw bad("the tokenizer's vocabulary has \(n) tokens but token_embd.weight has \(vocab) rows")
        }
    }
}
