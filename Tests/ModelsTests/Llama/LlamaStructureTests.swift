// LlamaModel's structure on tiny random-weight files: k-position forward == k single forwards,
// truncation, embedding inputs, tied/untied output, biases, NeoX RoPE, and clear errors for bad files.
import Testing
import TokenloomKernels
@testable import TokenloomModels

func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

@Suite struct LlamaStructureTests {
    static let configs: [TinyLlamaFile.Config] = {
        var untied = TinyLlamaFile.Config(); untied.tied = false; untied.weightType = .q8_0
        var qwen = TinyLlamaFile.Config(); qwen.arch = "qwen2"; qwen.biases = true; qwen.weightType = .q4_0
        var f32 = TinyLlamaFile.Config(); f32.weightType = .f32; f32.kvHeads = 4
        return [TinyLlamaFile.Config(), untied, qwen, f32, kquant(.q4_K), kquant(.q6_K)]
    }()

    /// A tiny model whose matrices are all `type`, wide enough for the K types' blocks of 256.
    static func kquant(_ type: GGMLType) -> TinyLlamaFile.Config {
        var c = TinyLlamaFile.Config(); c.weightType = type; c.d = 256; c.ff = 512
        return c
    }

    /// A K-type token embedding is transcoded only when it is also the output matrix; lookups give the
    /// file's values either way.
    @Test func embeddingIsTranscodedOnlyWhenItIsTheOutput() throws {
        var tied = Self.kquant(.q4_K); tied.embeddingType = .q6_K
        var untied = tied; untied.tied = false
        let a = try TinyLlamaFile.model(tied, integerPath: true), b = try TinyLlamaFile.model(untied, integerPath: true)
        #expect(a.tokenEmbedding.isTranscoded && a.output.isTranscoded)
        #expect(!b.tokenEmbedding.isTranscoded && b.output.isTranscoded)
        let f = try TinyLlamaFile.model(tied, integerPath: false)
        var x = [Float](repeating: 0, count: 256), y = x
        a.tokenEmbedding.dequantizeRow(17, into: &x)
        f.tokenEmbedding.dequantizeRow(17, into: &y)
        #expect(x.map(\.bitPattern) == y.map(\.bitPattern))
        let h = try a.hiddenStates(tokens: [17], layer: 0)
        #expect(h[0] == x)
    }

    /// The copies are weighed against memory: past half of it the model keeps the float path and says
    /// why; within it, the note gives the copies' size (the same as the matrices the kernels read).
    @Test func transcodingYieldsToMemory() throws {
        let bytes = TinyLlamaFile.make(Self.kquant(.q4_K), seed: 7)
        let copies = LlamaModel.transcodedBytes(of: try GGUFFile(bytes: bytes, path: "tiny.gguf"))
        #expect(copies > 0)
        let fits = try LlamaModel(file: GGUFFile(bytes: bytes, path: "tiny.gguf"), integerPath: true, memoryBytes: 2 * copies)
        #expect(fits.layers[0].wGate.isTranscoded)
        #expect(fits.transcodeNote == "integer (copies transcoded at load: \(copies / 1_000_000) MB)")
        let tight = try LlamaModel(file: GGUFFile(bytes: bytes, path: "tiny.gguf"), integerPath: true, memoryBytes: 2 * copies - 2)
        #expect(!tight.layers[0].wGate.isTranscoded && !tight.output.isTranscoded)
        #expect(tight.transcodeNote?.hasPrefix("float: the transcoded copies") == true)
        let asked = try LlamaModel(file: GGUFFile(bytes: bytes, path: "tiny.gguf"), integerPath: false)
        #expect(asked.transcodeNote == (WeightMatrix.integerPathDefault ? "float (the integer path was turned off by the caller)"
                                                                        : "float (TOKENLOOM_KQUANT_PATH=float)"))
        let plain = try TinyLlamaFile.model(integerPath: true)
        #expect(plain.transcodeNote == nil)
        // An untied K-type embedding is never copied, so a file whose only K tensor it is has no copies.
        var untied = TinyLlamaFile.Config(); untied.tied = false; untied.weightType = .q8_0
        untied.embeddingType = .q6_K; untied.d = 256; untied.ff = 512
        let onlyEmbedding = try TinyLlamaFile.model(untied, integerPath: true)
        #expect(!onlyEmbedding.tokenEmbedding.isTranscoded && onlyEmbedding.transcodeNote == nil)
    }

    /// Each transcoded type loads and generates, its integer path near its float path: they differ by
    /// the activations' 8-bit quantisation only, each matmul's output moved by ~0.5% of its size
    /// (TranscodeTests bounds one matmul), 0.8% to 3.2% of the logits' spread (their RMS deviation)
    /// through the 2 layers here; and the two paths pick the same next token.
    @Test(arguments: [GGMLType.q5_0, .q5_1, .iq4_NL, .q3_K, .q4_K, .q5_K, .q6_K])
    func transcodedTypesFollowTheFloatPath(type: GGMLType) throws {
        let int = try TinyLlamaFile.model(Self.kquant(type), integerPath: true)
        let flt = try TinyLlamaFile.model(Self.kquant(type), integerPath: false)
        #expect(int.layers[1].wDown.isTranscoded && int.output.type == .q8_0 && !flt.layers[1].wDown.isTranscoded)
        let tokens = [3, 17, 42, 5, 9, 0, 49]
        let a = try int.forward(tokens: tokens, cache: int.makeCache())
        let b = try flt.forward(tokens: tokens, cache: flt.makeCache())
        var worst = 0.0
        for j in 0..<tokens.count {
            let x = a.row(j), y = b.row(j)
            let diff = zip(x, y).reduce(0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
            let mean = y.reduce(0, +) / Float(y.count)
            let spread = y.reduce(0) { $0 + Double($1 - mean) * Double($1 - mean) }.squareRoot()
            worst = max(worst, diff / spread)
            #expect(x.allSatisfy(\.isFinite) && spread > 0)
            #expect(diff <= 0.05 * spread, "\(type.name) position \(j): |int - float| \(diff), spread \(spread)")
            #expect(x.indices.max { x[$0] < x[$1] } == y.indices.max { y[$0] < y[$1] }, "\(type.name) position \(j): argmax")
        }
        print("\(type.name): |int - float| / spread of the logits, worst of \(tokens.count) positions: \(worst)")
    }

    @Test(arguments: 0..<configs.count) func kPositionsEqualSingleForwards(index: Int) throws {
        let model = try TinyLlamaFile.model(Self.configs[index])
        let tokens = [3, 17, 42, 5, 9, 0, 49, 23, 11]
        let batched = try model.forward(tokens: tokens, cache: model.makeCache())
        let cache = model.makeCache()
        for (j, t) in tokens.enumerated() {
            let single = try model.forward(tokens: [t], cache: cache)
            #expect(maxAbsDiff(single.row(0), batched.row(j)) <= 1e-3, "position \(j)")
        }
        #expect(cache.count == tokens.count)
        // Mixed split: 4 then 5 positions.
        let c2 = model.makeCache()
        let a = try model.forward(tokens: Array(tokens[0..<4]), cache: c2)
        let b = try model.forward(tokens: Array(tokens[4...]), cache: c2)
        #expect(maxAbsDiff(a.data + b.data, batched.data) <= 1e-3)
    }

    @Test func truncateThenForwardEqualsForwardDirectly() throws {
        let model = try TinyLlamaFile.model()
        let direct = try model.forward(tokens: [1, 2, 3, 4, 5, 6], cache: model.makeCache())
        let cache = model.makeCache()
        _ = try model.forward(tokens: [1, 2, 3, 40, 41, 42, 43], cache: cache)   // a rejected draft
        cache.truncate(to: 3)
        let again = try model.forward(tokens: [4, 5, 6], cache: cache)
        #expect(cache.count == 6)
        for j in 0..<3 { #expect(maxAbsDiff(again.row(j), direct.row(3 + j)) <= 1e-4) }
        // A copied cache evolves independently.
        let fork = cache.copy()
        fork.truncate(to: 5)
        let viaFork = try model.forward(tokens: [6], cache: fork)
        #expect(maxAbsDiff(viaFork.row(0), direct.row(5)) <= 1e-4)
        #expect(cache.count == 6)
    }

    @Test func embeddingInputOfTheTokenRowEqualsTheToken() throws {
        let model = try TinyLlamaFile.model()
        var row = [Float](repeating: 0, count: model.embeddingDim)
        row.withUnsafeMutableBufferPointer { model.tokenEmbedding.dequantizeRow(17, into: $0.baseAddress!) }
        let a = try model.forward([.token(3), .token(17)], cache: model.makeCache())
        let b = try model.forward([.token(3), .embedding(row, level: 0)], cache: model.makeCache())
        #expect(a.data == b.data)
    }

    @Test func hiddenStatesAreTheResidualStream() throws {
        let model = try TinyLlamaFile.model()
        let h0 = try model.hiddenStates(tokens: [5, 6], layer: 0)
        var row = [Float](repeating: 0, count: model.embeddingDim)
        row.withUnsafeMutableBufferPointer { model.tokenEmbedding.dequantizeRow(6, into: $0.baseAddress!) }
        #expect(h0[1] == row)
        let h2 = try model.hiddenStates(tokens: [5, 6], layer: 2)
        #expect(h2.count == 2 && h2[0].count == model.embeddingDim && h2[1] != row)
        #expect(throws: ModelError.self) { try model.hiddenStates(tokens: [1], layer: 3) }
    }

    @Test func tiedAndUntiedOutputsDiffer() throws {
        var untied = TinyLlamaFile.Config(); untied.tied = false
        let a = try TinyLlamaFile.model().forward(tokens: [1, 2], cache: TinyLlamaFile.model().makeCache())
        let m = try TinyLlamaFile.model(untied)
        let b = try m.forward(tokens: [1, 2], cache: m.makeCache())
        #expect(a.vocab == b.vocab && a.data != b.data)
    }

    @Test func threadCountDoesNotChangeResults() throws {
        let m1 = try TinyLlamaFile.model(threads: 1), m3 = try TinyLlamaFile.model(threads: 3)
        let a = try m1.forward(tokens: [4, 8, 15, 16, 23, 42], cache: m1.makeCache())
        let b = try m3.forward(tokens: [4, 8, 15, 16, 23, 42], cache: m3.makeCache())
        #expect(a.data == b.data)
    }

    @Test func badInputsThrow() throws {
        let model = try TinyLlamaFile.model()
        #expect(throws: ModelError.self) { try model.forward(tokens: [50], cache: model.makeCache()) }
        #expect(throws: ModelError.self) { try model.forward(tokens: [-1], cache: model.makeCache()) }
        #expect(throws: ModelError.self) { try model.forward([.embedding([1, 2], level: 0)], cache: model.makeCache()) }
        let cache = model.makeCache()
        #expect(throws: ModelError.self) { try model.forward(tokens: [Int](repeating: 1, count: 65), cache: cache) }
        #expect(cache.count == 0)
        let other = KVCache(layers: 3, kvDim: 32, capacity: 8)
        #expect(throws: ModelError.self) { try model.forward(tokens: [1], cache: other) }
    }

    @Test func absurdOrInconsistentHyperparametersAreModelErrors() throws {
        func load(_ overrides: [(String, GGUFValue)]) throws {
            var c = TinyLlamaFile.Config(); c.overrides = overrides
            _ = try LlamaModel(file: GGUFFile(bytes: TinyLlamaFile.make(c), path: "bad.gguf"))
        }
        let cases: [[(String, GGUFValue)]] = [
            [("llama.block_count", .uint32(0))],
            [("llama.block_count", .uint32(3))],                  // blk.2 tensors missing
            [("llama.attention.head_count", .uint32(5))],         // 64 not divisible by 5
            [("llama.attention.head_count_kv", .uint32(3))],      // does not divide 4
            [("llama.embedding_length", .uint32(1 << 30))],
            [("llama.feed_forward_length", .uint32(97))],          // tensor shapes disagree
            [("llama.rope.freq_base", .float32(-1))],
            [("llama.vocab_size", .uint32(51))],
        ]
        for o in cases {
            #expect(throws: (any Error).self, "\(o[0].0)") { try load(o) }
            do { try load(o) } catch {
                #expect(error is ModelError || error is GGUFError, "\(o[0].0): \(error)")
                #expect("\(error)".contains("bad.gguf"), "\(error)")
            }
        }
    }

    @Test func loaderDispatchesOnArchitecture() throws {
        var c = TinyLlamaFile.Config(); c.arch = "gpt-j"
        let bytes = TinyLlamaFile.make(c)
        let path = FileManagerTemp.write(bytes, name: "gptj.gguf")
        defer { FileManagerTemp.remove(path) }
        do { _ = try ModelLoader.load(path: path); Issue.record("expected unknownArchitecture") } catch let e as ModelError {
            #expect("\(e)".contains("gpt-j"))
        }
        let okPath = FileManagerTemp.write(TinyLlamaFile.make(), name: "tiny-ok.gguf")
        defer { FileManagerTemp.remove(okPath) }
        let m = try ModelLoader.load(path: okPath)
        #expect(m.vocabSize == 50 && m.embeddingDim == 64 && m.contextLength == 64)
    }
}

import Foundation
import TokenloomTestSupport
enum FileManagerTemp {
    static func write(_ bytes: [UInt8], name: String) -> String {
        let path = NSTemporaryDirectory() + "tokenloom-\(ProcessInfo.processInfo.processIdentifier)-" + name
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }
    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }
}
