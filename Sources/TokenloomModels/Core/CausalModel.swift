// CausalModel: the contract every model tokenloom decodes with obeys.
//
//   forward(inputs at positions n ..< n+k, cache holding n positions) -> logits [k, vocab]
//
// The cache then holds n+k positions; `cache.truncate(to: m)` rolls rejected drafts back.
// One k-position forward reads each weight once (not k times): that is what makes Jacobi-style
// decoding pay on a CPU.

/// One input position: a token id, or (SJD2) an embedding vector at a noise level.
public enum ModelInput: Sendable, Equatable {
    case token(Int)
    /// A vector in the model's input-embedding space ([embeddingDim]) and its noise level
    /// (0 = clean); models without level embeddings ignore the level.
    case embedding([Float], level: Int)

    public var token: Int? { if case .token(let t) = self { return t }; return nil }
}

/// Logits for k consecutive positions. // [rows, vocab], row-major
public struct Logits: Sendable {
    public let rows: Int
    public let vocab: Int
    public var data: [Float]
    /// For a model that names only its top K per row (a remote one): the probability the named tokens
    /// hold together, per row; the others carry a far-negative logit. nil for a model with all logits. // [rows]
    public var namedMass: [Float]?

    public init(rows: Int, vocab: Int, data: [Float]) {
        precondition(data.count == rows * vocab, "Logits: \(data.count) values for [\(rows), \(vocab)]")
        self.rows = rows; self.vocab = vocab; self.data = data
    }

    /// The logits of position i (0-based within this forward). // [vocab]
    public func row(_ i: Int) -> [Float] { Array(data[i * vocab ..< (i + 1) * vocab]) }

    /// Whether every logit is a finite number.
    public var allFinite: Bool { data.withUnsafeBufferPointer { b in !b.contains { !$0.isFinite } } }
}

public protocol CausalModel: AnyObject, Sendable {
    /// A short name for displays ("SmolLM2-135M-Instruct", "builtin:emoji").
    var displayName: String { get }
    var vocabSize: Int { get }
    /// Longest sequence (cache positions) the model accepts.
    var contextLength: Int { get }
    /// Width of the input embedding (what `.embedding` inputs must have).
    var embeddingDim: Int { get }

    /// A fresh, empty cache sized for this model.
    func makeCache() -> KVCache

    /// Runs `inputs` at the positions after what `cache` holds, appends them to the cache, and
    /// returns one logits row per input. Throws ModelError.contextFull when they would not fit.
    func forward(_ inputs: [ModelInput], cache: KVCache) throws -> Logits
}

extension CausalModel {
    public func forward(tokens: [Int], cache: KVCache) throws -> Logits {
        try forward(tokens.map { .token($0) }, cache: cache)
    }
}
