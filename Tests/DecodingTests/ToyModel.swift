// ToyModel: a tiny deterministic causal model for the decoder tests, with a real KVCache.
// Logits at position i are a fixed random function of (token i-1, token i), plus, when `prefixWeight`
// is not 0, a random function of a hash of the whole prefix 0...i (so any cache mistake, a stale or
// misplaced row, changes the output). The cache stores, per position, the token and the prefix hash.
@testable import TokenloomModels
import TokenloomDecoding

final class ToyModel: CausalModel, @unchecked Sendable {
    let displayName = "toy"
    let vocabSize: Int
    let contextLength: Int
    let embeddingDim = 1
    let prefixWeight: Float
    /// Logit bonus for repeating the current token / the token before it (makes greedy output
    /// constant / 2-periodic, the cases where window decoders must win).
    var copyCurrent: Float = 0, copyPrevious: Float = 0
    /// Logits given (previous token + 1, current token): [(V+1) * V, V]
    let table: [Float]
    /// Per-hash-bucket logits: [64, V]
    let hashTable: [Float]

    init(vocab V: Int, seed: UInt64, scale: Float = 1.5, prefixWeight: Float = 0, context: Int = 512) {
        vocabSize = V; contextLength = context; self.prefixWeight = prefixWeight
        var rng = SeededRNG(seed: seed)
        func gauss() -> Float {
            let u1 = max(rng.uniform(), 1e-12), u2 = rng.uniform()
            return Float((-2 * _logD(u1)).squareRoot() * _cosD(2 * Double.pi * u2))
        }
        table = (0..<((V + 1) * V * V)).map { _ in scale * gauss() }
        hashTable = (0..<(64 * V)).map { _ in gauss() }
    }

    func makeCache() -> KVCache { KVCache(layers: 1, kvDim: 2, capacity: contextLength) }

    func forward(_ inputs: [ModelInput], cache: KVCache) throws -> Logits {
        let n = cache.count, V = vocabSize
        guard n + inputs.count <= contextLength else {
            throw ModelError.contextFull(needed: n + inputs.count, context: contextLength)
        }
        var out = [Float](repeating: 0, count: inputs.count * V)        // [k, V]
        for (k, input) in inputs.enumerated() {
            guard let t = input.token, t >= 0, t < V else { throw ModelError.badInput("toy: bad input") }
            let pos = n + k
            let prev = pos == 0 ? -1 : Int(cache.keyRow(0, pos - 1)[0])
            let hPrev: UInt32 = pos == 0 ? 0 : UInt32(cache.keyRow(0, pos - 1)[1])
            let h = ((hPrev &* 2_654_435_761) ^ UInt32(t &+ 1) &* 40503) & 0xFFFFFF
            cache.keyRow(0, pos)[0] = Float(t)
            cache.keyRow(0, pos)[1] = Float(h)
            let base = ((prev + 1) * V + t) * V
            let hb = Int(h % 64) * V
            for v in 0..<V { out[k * V + v] = table[base + v] + prefixWeight * hashTable[hb + v] }
            out[k * V + t] += copyCurrent
            if prev >= 0 { out[k * V + prev] += copyPrevious }
        }
        cache.advance(by: inputs.count)
        return Logits(rows: inputs.count, vocab: V, data: out)
    }
}

#if canImport(Glibc)
import Glibc
func _logD(_ x: Double) -> Double { Glibc.log(x) }
func _cosD(_ x: Double) -> Double { Glibc.cos(x) }
func _expD(_ x: Double) -> Double { Glibc.exp(x) }
#endif

/// Runs a decoder to the end and returns every event.
@discardableResult
func runToEnd(_ d: Decoder, maxSteps: Int = 100_000) throws -> [TraceEvent] {
    var events: [TraceEvent] = []
    var steps = 0
    while !d.isFinished && steps < maxSteps { events += try d.step(); steps += 1 }
    return events
}

/// A trace with timing zeroed (the only field allowed to differ between equal-seed runs).
func untimed(_ events: [TraceEvent]) -> [TraceEvent] {
    events.map { if case .forward(let s, let c, _) = $0 { return .forward(start: s, count: c, ms: 0) }; return $0 }
}
