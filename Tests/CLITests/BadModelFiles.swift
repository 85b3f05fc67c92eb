// BadModelFiles: writes a valid tiny Llama GGUF and broken variants of it, for the bad-input table.
import Foundation
import TokenloomKernels
import TokenloomModels

enum BadModelFiles {
    static let d = 8, ff = 16, vocab = 6, layers = 2

    /// A valid tiny Llama: 2 layers, d=8, 2 heads (1 KV head), vocab 6, gpt2-style tokenizer.
    static func tiny(architecture: String = "llama", vocabTokens: Int = vocab,
                     qType: GGMLType = .f32, dropTensor: String? = nil) -> GGUFWriter {
        var w = GGUFWriter()
        w.add("general.architecture", .string(architecture))
        let a = architecture
        w.add("\(a).block_count", .uint32(UInt32(layers)))
        w.add("\(a).context_length", .uint32(64))
        w.add("\(a).embedding_length", .uint32(UInt32(d)))
        w.add("\(a).feed_forward_length", .uint32(UInt32(ff)))
        w.add("\(a).attention.head_count", .uint32(2))
        w.add("\(a).attention.head_count_kv", .uint32(1))
        w.add("\(a).rope.freq_base", .float32(10000))
        w.add("\(a).attention.layer_norm_rms_epsilon", .float32(1e-5))
        let toks = ["<|endoftext|>", "a", "b", "ab", "Ġ", "Ġa", "c", "d"].prefix(vocabTokens)
        w.add("tokenizer.ggml.model", .string("gpt2"))
        w.add("tokenizer.ggml.pre", .string("smollm"))
        w.add("tokenizer.ggml.tokens", .array(toks.map { .string($0) }))
        w.add("tokenizer.ggml.token_type", .array(toks.map { _ in .int32(1) }))
        w.add("tokenizer.ggml.merges", .array(["a b", "Ġ a"].map { .string($0) }))
        w.add("tokenizer.ggml.eos_token_id", .uint32(0))
        func filled(_ n: Int, _ k: Int) -> [Float] { (0..<n).map { Float(($0 * 7 + k) % 13) / 13 - 0.5 } }
        func add(_ name: String, _ dims: [Int], _ k: Int, type: GGMLType = .f32) {
            if name == dropTensor { return }
            if type == .f32 { w.addF32(name, dims: dims, filled(dims.reduce(1, *), k)); return }
            let bytes = type.byteCount(elements: dims.reduce(1, *)) ?? 0
            w.tensors.append(GGUFWriter.Tensor(name: name, dims: dims, type: type, data: [UInt8](repeating: 0, count: bytes)))
        }
        add("token_embd.weight", [d, vocab], 1)
        add("output_norm.weight", [d], 2)
        for l in 0..<layers {
            add("blk.\(l).attn_norm.weight", [d], 3)
            add("blk.\(l).attn_q.weight", [d, d], 4, type: l == 0 ? qType : .f32)
            add("blk.\(l).attn_k.weight", [d, d / 2], 5)
            add("blk.\(l).attn_v.weight", [d, d / 2], 6)
            add("blk.\(l).attn_output.weight", [d, d], 7)
            add("blk.\(l).ffn_norm.weight", [d], 8)
            add("blk.\(l).ffn_gate.weight", [d, ff], 9)
            add("blk.\(l).ffn_up.weight", [d, ff], 10)
            add("blk.\(l).ffn_down.weight", [ff, d], 11)
        }
        return w
    }

    /// A scratch folder for one test's files.
    static func folder(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokenloom-bad-\(name)-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func write(_ bytes: [UInt8], _ path: String) -> String {
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    /// Offset where the first tensor-info record starts (right after the metadata).
    static func patchU64(_ bytes: inout [UInt8], at offset: Int, _ v: UInt64) {
        for i in 0..<8 { bytes[offset + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
    }

    /// Byte offset of the ne[0] field of the tensor named `name` in an encoded file.
    static func offsetOfFirstDim(of name: String, in bytes: [UInt8]) -> Int? {
        let needle = Array(name.utf8)
        guard let i = (0...(bytes.count - needle.count)).first(where: { Array(bytes[$0..<$0 + needle.count]) == needle }) else { return nil }
        return i + needle.count + 4  // name, then u32 n_dims, then ne[0]
    }
}
