// A tiny random-weight Llama GGUF written with GGUFWriter: covers the model's structure in
// milliseconds without the real model. Every draw comes from a seeded generator.
import TokenloomKernels
@testable import TokenloomModels

struct TinyRandom {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) }
    mutating func normal() -> Float { (uniform() + uniform() + uniform() + uniform() - 2) * 1.7 }
}

enum TinyLlamaFile {
    struct Config {
        var arch = "llama"
        var layers = 2, d = 64, heads = 4, kvHeads = 2, ff = 96, vocab = 50, context = 64
        var tied = true
        var biases = false
        var weightType: GGMLType = .q4_1
        var overrides: [(String, GGUFValue)] = []
    }

    /// Q4_1 / Q8_0 / Q4_0 / F32 blocks of random weights of scale ~ 1/sqrt(cols).
    static func encode(_ type: GGMLType, rows: Int, cols: Int, rng: inout TinyRandom) -> [UInt8] {
        let scale = 1 / Float(cols).squareRoot()
        func h(_ f: Float) -> [UInt8] { let v = Dequantize.floatToFP16(f); return [UInt8(v & 0xff), UInt8(v >> 8)] }
        var out: [UInt8] = []
        for _ in 0..<(rows * cols / type.blockSize) {
            switch type {
            case .q4_1:
                out += h(scale / 4) + h(-2 * scale)
                for _ in 0..<16 { out.append(UInt8(truncatingIfNeeded: rng.next() >> 20)) }
            case .q4_0:
                out += h(scale / 4)
                for _ in 0..<16 { out.append(UInt8(truncatingIfNeeded: rng.next() >> 20)) }
            case .q8_0:
                out += h(scale / 64)
                for _ in 0..<32 { out.append(UInt8(truncatingIfNeeded: rng.next() >> 20)) }
            default:
                out += withUnsafeBytes(of: (rng.normal() * scale).bitPattern.littleEndian) { Array($0) }
            }
        }
        return out
    }

    static func make(_ c: Config = Config(), seed: UInt64 = 7) -> [UInt8] {
        var rng = TinyRandom(seed)
        var w = GGUFWriter()
        let hd = c.d / c.heads
        w.add("general.architecture", .string(c.arch))
        w.add("general.name", .string("tiny-\(c.arch)"))
        w.add("\(c.arch).block_count", .uint32(UInt32(c.layers)))
        w.add("\(c.arch).embedding_length", .uint32(UInt32(c.d)))
        w.add("\(c.arch).attention.head_count", .uint32(UInt32(c.heads)))
        w.add("\(c.arch).attention.head_count_kv", .uint32(UInt32(c.kvHeads)))
        w.add("\(c.arch).feed_forward_length", .uint32(UInt32(c.ff)))
        w.add("\(c.arch).context_length", .uint32(UInt32(c.context)))
        w.add("\(c.arch).rope.freq_base", .float32(10000))
        w.add("\(c.arch).attention.layer_norm_rms_epsilon", .float32(1e-5))
        for (k, v) in c.overrides {
            w.metadata.removeAll { $0.0 == k }
            w.add(k, v)
        }
        func matrix(_ name: String, rows: Int, cols: Int, type: GGMLType? = nil) {
            let t = type ?? c.weightType
            w.tensors.append(.init(name: name, dims: [cols, rows], type: t, data: encode(t, rows: rows, cols: cols, rng: &rng)))
        }
        func norm(_ name: String, _ n: Int) { w.addF32(name, dims: [n], (0..<n).map { _ in 1 + 0.1 * rng.normal() }) }
        func bias(_ name: String, _ n: Int) { w.addF32(name, dims: [n], (0..<n).map { _ in 0.1 * rng.normal() }) }
        matrix("token_embd.weight", rows: c.vocab, cols: c.d, type: .q8_0)
        norm("output_norm.weight", c.d)
        if !c.tied { matrix("output.weight", rows: c.vocab, cols: c.d) }
        for l in 0..<c.layers {
            let p = "blk.\(l)."
            norm(p + "attn_norm.weight", c.d)
            matrix(p + "attn_q.weight", rows: c.heads * hd, cols: c.d)
            matrix(p + "attn_k.weight", rows: c.kvHeads * hd, cols: c.d)
            matrix(p + "attn_v.weight", rows: c.kvHeads * hd, cols: c.d)
            if c.biases {
                bias(p + "attn_q.bias", c.heads * hd); bias(p + "attn_k.bias", c.kvHeads * hd); bias(p + "attn_v.bias", c.kvHeads * hd)
            }
            matrix(p + "attn_output.weight", rows: c.d, cols: c.heads * hd)
            norm(p + "ffn_norm.weight", c.d)
            matrix(p + "ffn_gate.weight", rows: c.ff, cols: c.d)
            matrix(p + "ffn_up.weight", rows: c.ff, cols: c.d)
            matrix(p + "ffn_down.weight", rows: c.d, cols: c.ff)
        }
        return w.encoded()
    }

    static func model(_ c: Config = Config(), seed: UInt64 = 7, threads: Int = 2) throws -> LlamaModel {
        try LlamaModel(file: GGUFFile(bytes: make(c, seed: seed), path: "tiny.gguf"), threads: threads)
    }
}
