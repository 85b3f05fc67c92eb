// BadModelFiles: writes a valid tiny Llama GGUF and broken variants of it, for the bad-input table.
import Foundation
import TokenloomKernels
import TokenloomModels
import TokenloomTestSupport

enum BadModelFiles {
    static let d = 8, ff = 16, vocab = 6, layers = 2

    /// A valid tiny Llama: 2 layers, d=8, 2 heads (1 KV head), vocab 6, gpt2-style tokenizer.
    static func tiny(architecture: String = "llama", vocabTokens: Int = vocab,
                     qType: GGMLType = .f32, dropTensor: String? = nil) -> GGUFWriter {
        var m = GGUFWriter.TinyLlama()
        m.architecture = architecture
        m.layers = layers; m.d = d; m.ff = ff; m.vocab = vocab
        m.tensorType = { $0 == "blk.0.attn_q.weight" ? qType : .f32 }
        m.omit = dropTensor.map { [$0] } ?? []
        var w = GGUFWriter()
        w.addTinyLlamaHyperparameters(m)
        w.addTinyGPT2Tokenizer(count: vocabTokens, controlEOS: false)
        w.addTinyLlamaTensors(m)
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
