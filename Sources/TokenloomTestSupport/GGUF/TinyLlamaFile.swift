// TinyLlamaFile: the tiny Llama (GGUFWriter.TinyLlama) at d=64 with seeded random quantised weights,
// for the model-structure tests: covers the model's structure in milliseconds without the real
// model. Every draw comes from a seeded generator.
import TokenloomKernels
import TokenloomModels

public struct TinyRandom {
    public var state: UInt64
    public init(_ seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    public mutating func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
    public mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) }
    public mutating func normal() -> Float { (uniform() + uniform() + uniform() + uniform() - 2) * 1.7 }
}

public enum TinyLlamaFile {
    public struct Config {
        public var arch = "llama"
        public var layers = 2, d = 64, heads = 4, kvHeads = 2, ff = 96, vocab = 50, context = 64
        public var tied = true
        public var biases = false
        public var weightType: GGMLType = .q4_1
        public var embeddingType: GGMLType = .q8_0
        public var overrides: [(String, GGUFValue)] = []
        public init() {}
    }

    /// Q4_1 / Q8_0 / Q4_0 / F32 blocks of random weights of scale ~ 1/sqrt(cols); Q5_0, Q5_1, IQ4_NL and
    /// Q2_K ... Q6_K: random quants and packed scales with d (and dmin, m) sized to about that scale.
    public static func encode(_ type: GGMLType, rows: Int, cols: Int, rng: inout TinyRandom) -> [UInt8] {
        let scale = 1 / Float(cols).squareRoot()
        func h(_ f: Float) -> [UInt8] { let v = Dequantize.floatToFP16(f); return [UInt8(v & 0xff), UInt8(v >> 8)] }
        func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 20) } }
        var out: [UInt8] = []
        for _ in 0..<(rows * cols / type.blockSize) {
            switch type {
            // Weight ~ d * (typical |q| * typical scale code) ~ scale, dividing by the codes' sizes.
            case .q5_0: out += h(scale / 8) + bytes(20)
            case .q5_1: out += h(scale / 8) + h(-2 * scale) + bytes(20)
            case .iq4_NL: out += h(scale / 64) + bytes(16)
            case .q4_K: out += h(scale / 240) + h(scale / 32) + bytes(140)       // sc ~ 32, q ~ 8
            case .q5_K: out += h(scale / 480) + h(scale / 32) + bytes(172)
            case .q6_K: out += bytes(208) + h(scale / 1024)                    // sc ~ 64, q ~ 16
            case .q3_K: out += bytes(108) + h(scale / 32)                      // sc ~ 16, q ~ 2
            case .q2_K: out += bytes(80) + h(scale / 8) + h(scale / 16)
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

    public static func make(_ c: Config = Config(), seed: UInt64 = 7) -> [UInt8] {
        final class RNG { var r: TinyRandom; init(_ s: UInt64) { r = TinyRandom(s) } }
        let rng = RNG(seed)
        var m = GGUFWriter.TinyLlama()
        m.architecture = c.arch
        m.layers = c.layers; m.d = c.d; m.heads = c.heads; m.kvHeads = c.kvHeads; m.ff = c.ff
        m.vocab = c.vocab; m.context = c.context
        m.untiedOutput = !c.tied
        m.biases = c.biases
        // Norms and biases are F32, the token embedding `embeddingType`, every other matrix `weightType`.
        m.tensorType = { name in
            name.hasSuffix("norm.weight") || name.hasSuffix(".bias") ? .f32
                : name == "token_embd.weight" ? c.embeddingType : c.weightType
        }
        m.tensorData = { name, dims, type in
            let n = dims.reduce(1, *)
            func f32(_ v: (inout TinyRandom) -> Float) -> [UInt8] {
                (0..<n).flatMap { _ in withUnsafeBytes(of: v(&rng.r).bitPattern.littleEndian) { Array($0) } }
            }
            if name.hasSuffix("norm.weight") { return f32 { 1 + 0.1 * $0.normal() } }
            if name.hasSuffix(".bias") { return f32 { 0.1 * $0.normal() } }
            return encode(type, rows: dims.count > 1 ? dims[1] : 1, cols: dims[0], rng: &rng.r)
        }
        var w = GGUFWriter()
        w.addTinyLlamaHyperparameters(m)
        w.add("general.name", .string("tiny-\(c.arch)"))
        for (k, v) in c.overrides {
            w.metadata.removeAll { $0.0 == k }
            w.add(k, v)
        }
        w.addTinyLlamaTensors(m)
        return w.encoded()
    }

    public static func model(_ c: Config = Config(), seed: UInt64 = 7, threads: Int = 2,
                             integerPath: Bool = WeightMatrix.integerPathDefault) throws -> LlamaModel {
        try LlamaModel(file: GGUFFile(bytes: make(c, seed: seed), path: "tiny.gguf"), threads: threads, integerPath: integerPath)
    }
}
