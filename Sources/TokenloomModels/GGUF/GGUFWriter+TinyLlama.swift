// GGUFWriter+TinyLlama: the hyperparameters and deterministic F32 weights of a tiny Llama-shaped
// model, shared by the fuzzer's seeds and the CLI's bad-input tests (one builder, not one per caller).

import TokenloomKernels

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
            put("blk.\(l).attn_output.weight", [d, d], 7)
            put("blk.\(l).ffn_norm.weight", [d], 8)
            put("blk.\(l).ffn_gate.weight", [d, ff], 9)
            put("blk.\(l).ffn_up.weight", [d, ff], 10)
            put("blk.\(l).ffn_down.weight", [ff, d], 11)
        }
    }
}
