// FuzzSeeds: small valid GGUF images built in code, so the fuzzer has seeds even without a corpus:
// a tiny Llama-shaped model with tokenizer metadata, and one with quantised tensor types.
import TokenloomKernels
import TokenloomModels

enum FuzzSeeds {
    static func builtIn() -> [[UInt8]] { [tinyLlama(), quantised()] }

    /// Two layers, d=8, 2 heads, vocab 6, F32 weights, gpt2-style tokenizer metadata.
    static func tinyLlama() -> [UInt8] {
        var w = GGUFWriter()
        let d = 8, ff = 16, vocab = 6, layers = 2
        w.add("general.architecture", .string("llama"))
        w.add("llama.block_count", .uint32(UInt32(layers)))
        w.add("llama.context_length", .uint32(64))
        w.add("llama.embedding_length", .uint32(UInt32(d)))
        w.add("llama.feed_forward_length", .uint32(UInt32(ff)))
        w.add("llama.attention.head_count", .uint32(2))
        w.add("llama.attention.head_count_kv", .uint32(1))
        w.add("llama.rope.freq_base", .float32(10000))
        w.add("llama.attention.layer_norm_rms_epsilon", .float32(1e-5))
        w.add("tokenizer.ggml.model", .string("gpt2"))
        w.add("tokenizer.ggml.pre", .string("smollm"))
        w.add("tokenizer.ggml.tokens", .array(["<|endoftext|>", "a", "b", "ab", "Ġ", "Ġa"].map { .string($0) }))
        w.add("tokenizer.ggml.token_type", .array([3, 1, 1, 1, 1, 1].map { .int32($0) }))
        w.add("tokenizer.ggml.merges", .array(["a b", "Ġ a"].map { .string($0) }))
        w.add("tokenizer.ggml.eos_token_id", .uint32(0))
        func filled(_ n: Int, _ k: Int) -> [Float] { (0..<n).map { Float(($0 * 7 + k) % 13) / 13 - 0.5 } }
        w.addF32("token_embd.weight", dims: [d, vocab], filled(d * vocab, 1))
        w.addF32("output_norm.weight", dims: [d], filled(d, 2))
        for l in 0..<layers {
            w.addF32("blk.\(l).attn_norm.weight", dims: [d], filled(d, 3))
            w.addF32("blk.\(l).attn_q.weight", dims: [d, d], filled(d * d, 4))
            w.addF32("blk.\(l).attn_k.weight", dims: [d, d / 2], filled(d * d / 2, 5))
            w.addF32("blk.\(l).attn_v.weight", dims: [d, d / 2], filled(d * d / 2, 6))
            w.addF32("blk.\(l).attn_output.weight", dims: [d, d], filled(d * d, 7))
            w.addF32("blk.\(l).ffn_norm.weight", dims: [d], filled(d, 8))
            w.addF32("blk.\(l).ffn_gate.weight", dims: [d, ff], filled(d * ff, 9))
            w.addF32("blk.\(l).ffn_up.weight", dims: [d, ff], filled(d * ff, 10))
            w.addF32("blk.\(l).ffn_down.weight", dims: [ff, d], filled(d * ff, 11))
        }
        return w.encoded()
    }

    /// One tensor of each block-quantised type the engine reads (bytes arbitrary but well-sized).
    static func quantised() -> [UInt8] {
        var w = GGUFWriter()
        w.add("general.architecture", .string("llama"))
        w.add("general.alignment", .uint32(64))
        w.alignment = 64
        for (i, t) in [GGMLType.q4_0, .q4_1, .q8_0, .q4_K, .q6_K, .f16, .bf16].enumerated() {
            let n = t.blockSize == 1 ? 32 : t.blockSize
            let bytes = t.byteCount(elements: n * 2)!
            w.tensors.append(GGUFWriter.Tensor(name: "t\(i).\(t.name)", dims: [n, 2], type: t,
                                               data: (0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 31) }))
        }
        return w.encoded()
    }
}
