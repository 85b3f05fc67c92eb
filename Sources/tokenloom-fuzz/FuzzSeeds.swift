// FuzzSeeds: small valid GGUF images built in code, so the fuzzer has seeds even without a corpus:
// a tiny Llama-shaped model with tokenizer metadata, one with quantised tensor types, a tiny Llama with
// a SentencePiece tokenizer (byte fallback), and tiny tokenloom-image models shaped like the shipped ones.
import Foundation
import TokenloomKernels
import TokenloomModels
import TokenloomTestSupport

enum FuzzSeeds {
    static func builtIn() -> [[UInt8]] {
        [tinyLlama(), quantised(), tinySentencePieceLlama(), tinyImage(fused: false), tinyImage(fused: true)]
    }

    /// Two layers, d=8, 2 heads, vocab 6, F32 weights, gpt2-style tokenizer metadata.
    static func tinyLlama() -> [UInt8] {
        var w = GGUFWriter()
        let m = GGUFWriter.TinyLlama()
        w.addTinyLlamaHyperparameters(m)
        w.addTinyGPT2Tokenizer(count: 6, controlEOS: true)
        w.addTinyLlamaTensors(m)
        return w.encoded()
    }

    /// One tensor of each block-quantised type the engine reads (bytes arbitrary but well-sized).
    static func quantised() -> [UInt8] {
        var w = GGUFWriter()
        w.add("general.architecture", .string("llama"))
        w.add("general.alignment", .uint32(64))
        w.alignment = 64
        for (i, t) in [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .iq4_NL, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K,
                       .f16, .bf16].enumerated() {
            let n = t.blockSize == 1 ? 32 : t.blockSize
            let bytes = t.byteCount(elements: n * 2)!
            w.tensors.append(GGUFWriter.Tensor(name: "t\(i).\(t.name)", dims: [n, 2], type: t,
                                               data: (0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 31) }))
        }
        return w.encoded()
    }

    /// The tiny Llama with the first `count` tokens of a real vocabulary (SmolLM2's, as the shipped image
    /// models carry it) and the merges that stay inside them: real BPE metadata at a seed's size.
    static func tinyLlama(vocabularyOf file: GGUFFile, count: Int = 1200) -> [UInt8]? {
        guard let all = file.metadata["tokenizer.ggml.tokens"]?.stringArray, all.count >= count,
              let merges = file.metadata["tokenizer.ggml.merges"]?.stringArray else { return nil }
        let tokens = Array(all.prefix(count))
        let known = Set(tokens)
        let kept = merges.filter { m in
            let parts = m.split(separator: " ", maxSplits: 1).map(String.init)
            return parts.count == 2 && known.contains(parts[0]) && known.contains(parts[1]) && known.contains(parts[0] + parts[1])
        }
        var w = GGUFWriter()
        var m = GGUFWriter.TinyLlama()
        m.layers = 1; m.context = 32; m.ropeBase = 100000; m.vocab = count
        w.addTinyLlamaHyperparameters(m)
        for key in ["tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.bos_token_id",
                    "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id",
                    "tokenizer.ggml.add_bos_token", "tokenizer.chat_template"] {
            if let v = file.metadata[key] { w.add(key, v) }
        }
        w.add("tokenizer.ggml.tokens", .array(tokens.map { .string($0) }))
        if let types = file.metadata["tokenizer.ggml.token_type"]?.array { w.add("tokenizer.ggml.token_type", .array(Array(types.prefix(count)))) }
        w.add("tokenizer.ggml.merges", .array(kept.map { .string($0) }))
        w.addTinyLlamaTensors(m)
        return w.encoded()
    }

    static func filled(_ n: Int, _ k: Int) -> [Float] { (0..<n).map { Float(($0 * 7 + k) % 13) / 13 - 0.5 } }

    /// The tiny Llama with a SentencePiece ('llama') vocabulary: specials, 256 byte tokens, a few pieces.
    static func tinySentencePieceLlama() -> [UInt8] {
        var w = GGUFWriter()
        var tokens = ["<unk>", "<s>", "</s>"] + (0..<256).map { String(format: "<0x%02X>", $0) }
        tokens += ["\u{2581}", "a", "b", "\u{2581}a", "ab", "\u{2581}ab"]
        var m = GGUFWriter.TinyLlama()
        m.layers = 1; m.context = 32; m.kvHeads = 2; m.vocab = tokens.count; m.untiedOutput = true
        w.addTinyLlamaHyperparameters(m)
        w.add("tokenizer.ggml.model", .string("llama"))
        w.add("tokenizer.ggml.tokens", .array(tokens.map { .string($0) }))
        w.add("tokenizer.ggml.scores", .array(tokens.indices.map { .float32(-Float($0) / 10) }))
        w.add("tokenizer.ggml.token_type", .array(tokens.indices.map { .int32($0 < 3 ? 3 : $0 < 259 ? 6 : 1) }))
        w.add("tokenizer.ggml.bos_token_id", .uint32(1))
        w.add("tokenizer.ggml.eos_token_id", .uint32(2))
        w.add("tokenizer.ggml.unknown_token_id", .uint32(0))
        w.addTinyLlamaTensors(m)
        return w.encoded()
    }

    /// A tokenloom-image model with the shipped files' keys and tensors at toy sizes: d=4, 2 heads,
    /// 1 encoder and 1 decoder block, 2 prompt slots, 1 stabiliser, a 2x2 grid, 3 colours, 2 noise levels.
    static func tinyImage(fused: Bool) -> [UInt8] {
        var w = GGUFWriter()
        let a = "tokenloom-image.", d = 4, ffn = 8, t = 2, s = 1, grid = 2, colours = 3, levels = 2, llm = 4
        w.add("general.architecture", .string("tokenloom-image"))
        w.add("general.name", .string(fused ? "emoji-fused" : "emoji"))
        w.add(a + "embedding_length", .uint32(UInt32(d)))
        w.add(a + "head_count", .uint32(2))
        w.add(a + "feed_forward_length", .uint32(UInt32(ffn)))
        w.add(a + "block_count", .uint32(1))
        w.add(a + "encoder.block_count", .uint32(1))
        w.add(a + "text_length", .uint32(UInt32(t)))
        w.add(a + "stabiliser_count", .uint32(UInt32(s)))
        w.add(a + "grid", .uint32(UInt32(grid)))
        w.add(a + "image_vocab", .uint32(UInt32(colours)))
        w.add(a + "levels", .uint32(UInt32(levels)))
        w.add(a + "layer_norm_rms_epsilon", .float32(1e-5))
        w.add(a + "sigmas", .array([0, 0.5, 1].map { .float32($0) }))
        w.add(a + "text_vocab", .array([1, 3].map { .int32($0) }))
        w.add(a + "prompts", .array([.string("sun")]))
        w.add(a + "fused", .bool(fused))
        if fused {
            w.add(a + "llm.embedding_length", .uint32(UInt32(llm)))
            w.add(a + "llm.layer", .uint32(0))
            w.add(a + "llm.instructions", .array([.string("draw")]))
        }
        w.add("tokenizer.ggml.model", .string("gpt2"))
        w.add("tokenizer.ggml.pre", .string("smollm"))
        w.add("tokenizer.ggml.tokens", .array(["<|endoftext|>", "s", "u", "n", "un", "sun"].map { .string($0) }))
        w.add("tokenizer.ggml.token_type", .array([3, 1, 1, 1, 1, 1].map { .int32($0) }))
        w.add("tokenizer.ggml.merges", .array(["u n", "s un"].map { .string($0) }))
        w.add("tokenizer.ggml.eos_token_id", .uint32(0))
        var k = 0
        func f32(_ name: String, _ dims: [Int]) { k += 1; w.addF32(name, dims: dims, filled(dims.reduce(1, *), k)) }
        func f16(_ name: String, _ dims: [Int]) {
            k += 1
            let bytes = filled(dims.reduce(1, *), k).flatMap { v -> [UInt8] in
                let b = Float16(v).bitPattern
                return [UInt8(truncatingIfNeeded: b), UInt8(truncatingIfNeeded: b >> 8)]
            }
            w.tensors.append(GGUFWriter.Tensor(name: name, dims: dims, type: .f16, data: bytes))
        }
        func block(_ p: String) {
            f32(p + "attn_norm", [d])
            for n in ["attn_q", "attn_k", "attn_v", "attn_output"] { f16(p + n, [d, d]) }
            f32(p + "ffn_norm", [d])
            f16(p + "ffn_up", [d, ffn]); f16(p + "ffn_down", [ffn, d])
        }
        f16("text.token_embd", [d, 3]); f16("text.pos_embd", [d, t])
        block("text.blk.0.")
        f32("text.output_norm", [d])
        f16("fuser.z_theta.weight", [d, d]); f32("fuser.z_theta.bias", [d])
        if fused {
            f16("fuser.z_beta.weight", [llm, d]); f32("fuser.z_beta.bias", [d])
            f32("fuser.scale", [llm]); f32("fuser.instr_hidden", [llm, s])
        }
        f16("fuser.stab", [d, s]); f16("cond.pos_embd", [d, t + s])
        f16("img.token_embd", [d, colours]); f32("img.boi", [d])
        f16("img.row_embd", [d, grid]); f16("img.col_embd", [d, grid]); f16("img.level_embd", [d, levels + 1])
        block("dec.blk.0.")
        f32("dec.output_norm", [d]); f16("dec.output", [d, colours])
        f32("img.mu", [d]); f32("img.sd", [d]); f32("img.palette", [3, colours])
        w.tensors.append(GGUFWriter.Tensor(name: "img.references", dims: [grid * grid, 1], type: .i8, data: [0, 1, 2, 1]))
        return w.encoded()
    }
}
