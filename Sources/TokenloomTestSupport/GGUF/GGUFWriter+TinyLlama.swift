// GGUFWriter+TinyLlama: the hyperparameters and weights of a tiny Llama-shaped model, shared by the
// fuzzer's seeds, the CLI's bad-input tests and the model-structure tests (one builder, not one per
// caller). By default the weights are small deterministic F32 values; `tensorData` supplies others.

import TokenloomKernels
import TokenloomModels

extension GGUFWriter {
    public struct TinyLlama {
        public var architecture = "llama"
        public var layers = 2, d = 8, ff = 16, heads = 2, kvHeads = 1, vocab = 6, context = 64
        public var ropeBase: Float = 10000
        /// Write a separate `output.weight` (untied output).
        public var untiedOutput = false
        /// The type of a named tensor (default F32); non-F32 tensors get zero bytes of the right size.
        public var tensorType: (String) -> GGMLType = { _ in .f32 }
        /// Tensors to leave out (to test a missing tensor).
        public var omit: Set<String> = []
        /// Qwen2-style Q/K/V biases (`attn_q.bias`, …) after each layer's V weight.
        public var biases = false
        /// The bytes of a tensor (name, ggml dims, type), called in file order; nil: deterministic
        /// F32 values, and zero bytes of the right size for other types.
        public var tensorData: ((String, [Int], GGMLType) -> [UInt8])?
        public init() {}
    }

    /// `<arch>.*` hyperparameter keys of `m`; add tokenizer keys after this, then `addTinyLlamaTensors`.
    public mutating func addTinyLlamaHyperparameters(_ m: TinyLlama) {
        let a = m.architecture
        add("general.architecture", .string(a))
        add("\(a).block_count", .uint32(UInt32(m.layers)))
        add("\(a).context_length", .uint32(UInt32(m.context)))
        add("\(a).embedding_length", .uint32(UInt32(m.d)))
        add("\(a).feed_forward_length", .uint32(UInt32(m.ff)))
        add("\(a).attention.head_count", .uint32(UInt32(m.heads)))
        add("\(a).attention.head_count_kv", .uint32(UInt32(m.kvHeads)))
        add("\(a).rope.freq_base", .float32(m.ropeBase))
        add("\(a).attention.layer_norm_rms_epsilon", .float32(1e-5))
    }

    /// Every tensor of `m` in llama.cpp's order, with small deterministic values (no generator needed).
    public mutating func addTinyLlamaTensors(_ m: TinyLlama) {
        let d = m.d, ff = m.ff, kv = d * m.kvHeads / m.heads
        func filled(_ n: Int, _ k: Int) -> [Float] { (0..<n).map { Float(($0 * 7 + k) % 13) / 13 - 0.5 } }
        func put(_ name: String, _ dims: [Int], _ k: Int) {
            if m.omit.contains(name) { return }
            let type = m.tensorType(name)
            if let data = m.tensorData { tensors.append(Tensor(name: name, dims: dims, type: type, data: data(name, dims, type))); return }
            if type == .f32 { addF32(name, dims: dims, filled(dims.reduce(1, *), k)); return }
            let bytes = type.byteCount(elements: dims.reduce(1, *)) ?? 0
            tensors.append(Tensor(name: name, dims: dims, type: type, data: [UInt8](repeating: 0, count: bytes)))
        }
        put("token_embd.weight", [d, m.vocab], 1)
        put("output_norm.weight", [d], 2)
        if m.untiedOutput { put("output.weight", [d, m.vocab], 3) }
        for l in 0..<m.layers {
            put("blk.\(l).attn_norm.weight", [d], 3)
            put("blk.\(l).attn_q.weight", [d, d], 4)
            put("blk.\(l).attn_k.weight", [d, kv], 5)
            put("blk.\(l).attn_v.weight", [d, kv], 6)
            if m.biases {
                put("blk.\(l).attn_q.bias", [d], 12)
                put("blk.\(l).attn_k.bias", [kv], 13)
                put("blk.\(l).attn_v.bias", [kv], 14)
            }
            put("blk.\(l).attn_output.weight", [d, d], 7)
            put("blk.\(l).ffn_norm.weight", [d], 8)
            put("blk.\(l).ffn_gate.weight", [d, ff], 9)
            put("blk.\(l).ffn_up.weight", [d, ff], 10)
            put("blk.\(l).ffn_down.weight", [ff, d], 11)
        }
    }

    /// Tokens of the tiny gpt2-style vocabulary: EOS first, then byte-level BPE pieces.
    public static let tinyGPT2Tokens = ["<|endoftext|>", "a", "b", "ab", "Ġ", "Ġa", "c", "d"]

    /// gpt2-style tokenizer metadata (SmolLM pre-tokenizer, merges `a b` and `Ġ a`, EOS id 0) over the
    /// first `count` of `tinyGPT2Tokens`; the EOS token's type is control (3) when `controlEOS`, else normal.
    public mutating func addTinyGPT2Tokenizer(count: Int = 6, controlEOS: Bool) {
        let toks = Self.tinyGPT2Tokens.prefix(count)
        add("tokenizer.ggml.model", .string("gpt2"))
        add("tokenizer.ggml.pre", .string("smollm"))
        add("tokenizer.ggml.tokens", .array(toks.map { .string($0) }))
        add("tokenizer.ggml.token_type", .array(toks.indices.map { .int32($0 == 0 && controlEOS ? 3 : 1) }))
        add("tokenizer.ggml.merges", .array(["a b", "Ġ a"].map { .string($0) }))
        add("tokenizer.ggml.eos_token_id", .uint32(0))
    }
}
