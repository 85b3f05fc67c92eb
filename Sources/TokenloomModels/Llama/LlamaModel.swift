// LlamaModel: the Llama-architecture forward pass (SmolLM2, TinyLlama, Llama 2/3, and Qwen2 with its
// q/k/v biases) over weights read in place from a mapped GGUF file.
//
//   x = embed(inputs)                                     // [k, d]
//   per layer:  h = rmsnorm(x) g_attn
//               q, k, v = h Wq^T, h Wk^T, h Wv^T (+ b)    // [k, H hd], [k, Hkv hd] x2 (k, v into the cache)
//               rope(q, k) at positions n0 ..< n0+k
//               x += attention(q, cache K, cache V) Wo^T  // causal over cache + new rows
//               h = rmsnorm(x) g_ffn
//               x += (silu(h Wg^T) * (h Wu^T)) Wd^T
//   logits = rmsnorm(x) g_out  W_out^T                    // [k, vocab]; W_out = token_embd when tied
import CKernels
import TokenloomKernels

public final class LlamaModel: CausalModel, @unchecked Sendable {
    struct Layer {
        let attnNorm: [Float]                    // [d]
        let wq, wk, wv, wo: WeightMatrix         // [H hd, d], [Hkv hd, d] x2, [d, H hd]
        let bq, bk, bv: [Float]?                 // Qwen2 biases
        let ffnNorm: [Float]                     // [d]
        let wGate, wUp, wDown: WeightMatrix      // [ff, d] x2, [d, ff]
    }

    public let hp: LlamaHyperparameters
    public let displayName: String
    public var vocabSize: Int { hp.vocab }
    public var embeddingDim: Int { hp.embedding }
    /// Positions a cache holds: the trained context, capped by the capacity asked for at load.
    public let contextLength: Int
    /// Kernel threads.
    public let threads: Int
    /// The file the weights live in (mapped; must outlive the model, so the model owns it).
    public let file: GGUFFile

    let layers: [Layer]
    let tokenEmbedding: WeightMatrix            // [vocab, d]
    let outputNorm: [Float]                     // [d]
    let output: WeightMatrix                    // [vocab, d]
    let ropeCos: [Float], ropeSin: [Float]      // [contextLength, ropeDims/2]
    /// When set, each forward adds its per-op wall times here (benchmarks only; not thread-safe).
    public var profile: OpProfile?
    /// How the types with a transcoded form are multiplied, for the benchmarks' header: nil when the file
    /// has none of them, else which path and what its copies cost (or why they were not made).
    public let transcodeNote: String?

    /// The share of physical memory the transcoded copies may take. They live beside the file's
    /// mapping; past this a model keeps the float path rather than risk the OOM killer (a 7B Q4_K_M's
    /// copies would be about 9.6 GB).
    public static let transcodeMemoryShare = 0.5

    /// Bytes of the transcoded copies of `file`'s 2-D tensors: every one of a transcodable type but the
    /// token embedding when the file has its own output matrix (lookups read the file; see init).
    static func transcodedBytes(of file: GGUFFile) -> Int {
        let untied = file.tensorsByName["output.weight"] != nil
        return file.tensors.reduce(0) { sum, t in
            let it = tl_q8s_type(Int32(t.type.rawValue))
            guard it != 0, t.dims.count == 2, !(untied && t.name == "token_embd.weight") else { return sum }
            return sum + t.elementCount / 32 * Int(tl_q8s_block_bytes(it))
        }
    }

    /// `general.name` when it reads as a name, else the file's name: converters often fill
    /// general.name with a title-cased slug of the fine-tune ("Smollm2 135M 8k Lc100K Mix1 Ep2").
    static func displayName(of file: GGUFFile) -> String {
        let fileName = String(file.path.split(separator: "/").last ?? Substring(file.path))
        let bare = fileName.hasSuffix(".gguf") ? String(fileName.dropLast(5)) : fileName
        guard let name = file.metadata["general.name"]?.string, !name.isEmpty, name.count <= 48,
              !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return bare }
        if let finetune = file.metadata["general.finetune"]?.string, !finetune.isEmpty,
           name.lowercased().replacingOccurrences(of: " ", with: "-").contains(finetune.lowercased()) {
            return bare
        }
        return name
    }

    /// Loads a `llama` / `qwen2` GGUF. `cacheCapacity` caps the positions a cache holds (RAM).
    /// `integerPath`: transcode Q5_0, Q5_1, IQ4_NL and the K types (not Q2_K) for the integer kernels
    /// (WeightMatrix; default: unless TOKENLOOM_KQUANT_PATH=float); false keeps them on the float path.
    /// `memoryBytes`: the memory the copies are weighed against (default: this machine's physical memory).
    public init(file: GGUFFile, cacheCapacity: Int = 4096, threads: Int? = nil,
                integerPath asked: Bool = WeightMatrix.integerPathDefault, memoryBytes: Int = Parallel.physicalMemoryBytes) throws {
        let copies = Self.transcodedBytes(of: file)
        let budget = Int(Double(memoryBytes) * Self.transcodeMemoryShare)
        let integerPath = asked && (memoryBytes <= 0 || copies <= budget)   // 0: the system does not say
        func mb(_ b: Int) -> String { String(b / 1_000_000) + " MB" }
        transcodeNote = copies == 0 ? nil
            : integerPath ? "integer (copies transcoded at load: \(mb(copies)))"
            : asked ? "float: the transcoded copies (\(mb(copies))) would exceed half of the \(mb(memoryBytes)) of memory"
            : WeightMatrix.integerPathDefault ? "float (the integer path was turned off by the caller)"
            : "float (TOKENLOOM_KQUANT_PATH=float)"
        let hp = try LlamaHyperparameters(file: file)
        self.hp = hp
        self.file = file
        self.threads = max(1, threads ?? Parallel.coreCount)
        displayName = LlamaModel.displayName(of: file)
        contextLength = max(1, min(hp.contextLength, cacheCapacity))
        let path = file.path

        func matrix(_ name: String, rows: Int, cols: Int, transcode: Bool? = nil) throws -> WeightMatrix {
            let t = try file.tensor(name)
            guard t.dims == [cols, rows] else {
                throw ModelError.badShape(path: path, tensor: name, expected: [cols, rows], found: t.dims)
            }
            guard let w = WeightMatrix(type: t.type, rows: rows, cols: cols, bytes: file.bytes(of: t),
                                       integerPath: transcode ?? integerPath) else {
                throw ModelError.unsupportedTensorType(path: path, tensor: name, type: t.type.name)
            }
            return w
        }
        func vector(_ name: String, _ n: Int) throws -> [Float] {
            let t = try file.tensor(name)
            guard t.dims == [n] else { throw ModelError.badShape(path: path, tensor: name, expected: [n], found: t.dims) }
            guard let w = WeightMatrix(type: t.type, rows: 1, cols: n, bytes: file.bytes(of: t), integerPath: false) else {
                throw ModelError.unsupportedTensorType(path: path, tensor: name, type: t.type.name)
            }
            var out = [Float](repeating: 0, count: n)
            out.withUnsafeMutableBufferPointer { w.dequantizeRow(0, into: $0.baseAddress!) }
            guard out.allSatisfy({ $0.isFinite }) else {
                throw ModelError.inconsistent(path: path, detail: "tensor '\(name)' holds non-finite values")
            }
            return out
        }
        func optionalVector(_ name: String, _ n: Int) throws -> [Float]? {
            file.tensorsByName[name] == nil ? nil : try vector(name, n)
        }

        let d = hp.embedding, ff = hp.feedForward
        // The embedding's transcoded copy only when it is the output matrix too (lookups read the file).
        let tied = file.tensorsByName["output.weight"] == nil
        tokenEmbedding = try matrix("token_embd.weight", rows: hp.vocab, cols: d, transcode: integerPath && tied)
        outputNorm = try vector("output_norm.weight", d)
        output = tied ? tokenEmbedding : try matrix("output.weight", rows: hp.vocab, cols: d)
        layers = try (0..<hp.layers).map { l in
            let p = "blk.\(l)."
            return Layer(attnNorm: try vector(p + "attn_norm.weight", d),
                         wq: try matrix(p + "attn_q.weight", rows: hp.qDim, cols: d),
                         wk: try matrix(p + "attn_k.weight", rows: hp.kvDim, cols: d),
                         wv: try matrix(p + "attn_v.weight", rows: hp.kvDim, cols: d),
                         wo: try matrix(p + "attn_output.weight", rows: d, cols: hp.qDim),
                         bq: try optionalVector(p + "attn_q.bias", hp.qDim),
                         bk: try optionalVector(p + "attn_k.bias", hp.kvDim),
                         bv: try optionalVector(p + "attn_v.bias", hp.kvDim),
                         ffnNorm: try vector(p + "ffn_norm.weight", d),
                         wGate: try matrix(p + "ffn_gate.weight", rows: ff, cols: d),
                         wUp: try matrix(p + "ffn_up.weight", rows: ff, cols: d),
                         wDown: try matrix(p + "ffn_down.weight", rows: d, cols: ff))
        }
        (ropeCos, ropeSin) = Ops.ropeTables(count: contextLength, dims: hp.ropeDims, base: hp.ropeBase)
    }

    public convenience init(path: String, cacheCapacity: Int = 4096, threads: Int? = nil) throws {
        try self.init(file: GGUFFile(path: path), cacheCapacity: cacheCapacity, threads: threads)
    }

    /// Bytes of weights one forward reads (every matrix once, whatever k; transcoded matrices' copies):
    /// the memory traffic that bounds a single-position forward.
    public var weightBytesPerForward: Int {
        let perLayer = layers.map { L in [L.wq, L.wk, L.wv, L.wo, L.wGate, L.wUp, L.wDown].reduce(0) { $0 + $1.rows * $1.kernelRowBytes } }
        return perLayer.reduce(0, +) + output.rows * output.kernelRowBytes
    }

    /// Multiply-adds of the matrix products per position (attention's, which grow with the context,
    /// are not counted): the work that bounds a many-position forward.
    public var multiplyAddsPerPosition: Int {
        let perLayer = layers.map { L in [L.wq, L.wk, L.wv, L.wo, L.wGate, L.wUp, L.wDown].reduce(0) { $0 + $1.rows * $1.cols } }
        return perLayer.reduce(0, +) + output.rows * output.cols
    }

    public func makeCache() -> KVCache {
        KVCache(layers: hp.layers, kvDim: hp.kvDim, capacity: contextLength)
    }

    public func forward(_ inputs: [ModelInput], cache: KVCache) throws -> Logits {
        let k = inputs.count
        guard k > 0 else { return Logits(rows: 0, vocab: hp.vocab, data: []) }
        let x = try run(inputs, cache: cache, stopAfter: hp.layers)
        defer { x.deallocate() }
        // logits = rmsnorm(x) g_out W_out^T   [k, vocab]
        let h = Activations(k: k, cols: hp.embedding)
        let t0 = OpProfile.now()
        Ops.rmsNorm(x, outputNorm, rows: k, n: hp.embedding, eps: hp.rmsEps, into: h.x)
        var data = [Float](repeating: 0, count: k * hp.vocab)
        data.withUnsafeMutableBufferPointer { MatMul.run(output, h, into: $0.baseAddress!, threads: threads) }
        profile?.lap("output", since: t0)
        return Logits(rows: k, vocab: hp.vocab, data: data)
    }

    /// The residual stream after block `layer` (0 = the token embeddings, `hp.layers` = the last
    /// block, before the final norm) for each token of `tokens`, run on a fresh cache. // [tokens, d]
    public func hiddenStates(tokens: [Int], layer: Int) throws -> [[Float]] {
        guard (0...hp.layers).contains(layer) else {
            throw ModelError.badInput("hidden-state layer \(layer) is outside 0...\(hp.layers)")
        }
        guard !tokens.isEmpty else { return [] }
        let x = try run(tokens.map { .token($0) }, cache: makeCache(), stopAfter: layer)
        defer { x.deallocate() }
        let d = hp.embedding
        return (0..<tokens.count).map { Array(UnsafeBufferPointer(start: x + $0 * d, count: d)) }
    }

    /// Embeds `inputs`, runs blocks 0 ..< stopAfter at the positions after `cache`, appends their
    /// keys and values to the cache, and returns the residual stream [k, d] (caller deallocates).
    func run(_ inputs: [ModelInput], cache: KVCache, stopAfter: Int) throws -> UnsafeMutablePointer<Float> {
        let k = inputs.count, d = hp.embedding, n0 = cache.count
        guard cache.layers == hp.layers, cache.kvDim == hp.kvDim, cache.capacity <= contextLength else {
            throw ModelError.badInput("the cache was not made by this model (makeCache())")
        }
        guard n0 + k <= cache.capacity else { throw ModelError.contextFull(needed: n0 + k, context: cache.capacity) }

        let x = UnsafeMutablePointer<Float>.allocate(capacity: k * d)      // [k, d] residual stream
        var ok = false
        defer { if !ok { x.deallocate() } }
        for (j, input) in inputs.enumerated() {
            switch input {
            case .token(let t):
                guard t >= 0 && t < hp.vocab else {
                    throw ModelError.badInput("token id \(t) is outside the vocabulary of \(hp.vocab)")
                }
                tokenEmbedding.dequantizeRow(t, into: x + j * d)
            case .embedding(let v, _):
                guard v.count == d else {
                    throw ModelError.badInput("embedding input has \(v.count) values, the model's width is \(d)")
                }
                v.withUnsafeBufferPointer { (x + j * d).update(from: $0.baseAddress!, count: d) }
            }
        }

        let hIn = Activations(k: k, cols: d)                  // normed input of q/k/v and gate/up
        let attn = Activations(k: k, cols: hp.qDim)           // attention output, input of Wo
        let gate = Activations(k: k, cols: hp.feedForward)    // silu(gate) * up, input of Wd
        let q = UnsafeMutablePointer<Float>.allocate(capacity: k * hp.qDim)         // [k, H hd]
        let up = UnsafeMutablePointer<Float>.allocate(capacity: k * hp.feedForward) // [k, ff]
        let delta = UnsafeMutablePointer<Float>.allocate(capacity: k * d)           // [k, d]
        defer { q.deallocate(); up.deallocate(); delta.deallocate() }

        let prof = profile
        var t = OpProfile.now()
        for (l, L) in layers.prefix(stopAfter).enumerated() {
            let kNew = cache.keyRow(l, n0), vNew = cache.valueRow(l, n0)          // [k, Hkv hd] each
            Ops.rmsNorm(x, L.attnNorm, rows: k, n: d, eps: hp.rmsEps, into: hIn.x)
            hIn.invalidate()
            MatMul.run([.init(L.wq, into: q), .init(L.wk, into: kNew), .init(L.wv, into: vNew)], hIn, threads: threads)
            if let p = prof { t = p.lap("norm+qkv", since: t) }
            if let b = L.bq { addBias(q, b, rows: k) }
            if let b = L.bk { addBias(kNew, b, rows: k) }
            if let b = L.bv { addBias(vNew, b, rows: k) }
            ropeCos.withUnsafeBufferPointer { c in
                ropeSin.withUnsafeBufferPointer { s in
                    Ops.rope(q, rows: k, heads: hp.heads, headDim: hp.headDim, dims: hp.ropeDims,
                             startPosition: n0, cos: c.baseAddress!, sin: s.baseAddress!, neox: hp.ropeNeox)
                    Ops.rope(kNew, rows: k, heads: hp.kvHeads, headDim: hp.headDim, dims: hp.ropeDims,
                             startPosition: n0, cos: c.baseAddress!, sin: s.baseAddress!, neox: hp.ropeNeox)
                }
            }
            if let p = prof { t = p.lap("rope", since: t) }
            Ops.attention(q: q, keys: cache.keys[l], values: cache.values[l], n0: n0, k: k, heads: hp.heads,
                          kvHeads: hp.kvHeads, headDim: hp.headDim, into: attn.x, threads: threads)
            if let p = prof { t = p.lap("attention", since: t) }
            attn.invalidate()
            MatMul.run(L.wo, attn, into: delta, threads: threads)
            for i in 0..<(k * d) { x[i] += delta[i] }
            if let p = prof { t = p.lap("wo", since: t) }

            Ops.rmsNorm(x, L.ffnNorm, rows: k, n: d, eps: hp.rmsEps, into: hIn.x)
            hIn.invalidate()
            MatMul.run([.init(L.wGate, into: gate.x), .init(L.wUp, into: up)], hIn, threads: threads)
            if let p = prof { t = p.lap("norm+gate/up", since: t) }
            Ops.swiGLU(gate.x, up, n: k * hp.feedForward)
            gate.invalidate()
            MatMul.run(L.wDown, gate, into: delta, threads: threads)
            for i in 0..<(k * d) { x[i] += delta[i] }
            if let p = prof { t = p.lap("swiglu+down", since: t) }
        }
        if stopAfter == hp.layers { cache.advance(by: k) }
        ok = true
        return x
    }

    private func addBias(_ y: UnsafeMutablePointer<Float>, _ b: [Float], rows: Int) {
        let n = b.count
        for r in 0..<rows { for i in 0..<n { y[r * n + i] += b[i] } }
    }
}
