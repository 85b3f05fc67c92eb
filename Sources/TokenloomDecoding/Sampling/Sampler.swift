// Sampler: turns one logits row into the distribution a decoder samples from (the "warped"
// distribution), and draws from it.
//
// Order (the same as Hugging Face's warpers): logit processor (caller) -> temperature -> top-k ->
// softmax -> top-p (nucleus) -> renormalise. Temperature 0 means greedy: a one-hot distribution at
// the argmax (ties go to the lowest token id). Entropy is in nats.

/// Sampling settings. topK 0 and topP 1 switch those filters off.
public struct SamplerSettings: Sendable, Equatable, Codable {
    public var temperature: Double
    public var topK: Int
    public var topP: Double

    public init(temperature: Double = 1, topK: Int = 0, topP: Double = 1) {
        self.temperature = temperature; self.topK = topK; self.topP = topP
    }

    public static let greedy = SamplerSettings(temperature: 0)
    public var isGreedy: Bool { temperature <= 0 }

    /// Checks the ranges; a one-line message for bad values.
    /// Temperature 1 with no top-k or top-p cut: the model's own distribution.
    public var isUnwarped: Bool { temperature == 1 && topK == 0 && topP >= 1 }

    public func validate() throws {
        guard temperature >= 0, temperature.isFinite else {
            throw DecodeError.badSettings("temperature must be >= 0, got \(temperature)")
        }
        guard topK >= 0 else { throw DecodeError.badSettings("top-k must be >= 0, got \(topK)") }
        guard topP > 0, topP <= 1 else { throw DecodeError.badSettings("top-p must be in (0, 1], got \(topP)") }
    }
}

/// A probability distribution over the vocabulary. // probs: [vocab], sums to 1
public struct Distribution: Sendable, Equatable {
    public var probs: [Float]

    public init(probs: [Float]) { self.probs = probs }

    public static func oneHot(_ token: Int, vocab: Int) -> Distribution {
        var p = [Float](repeating: 0, count: vocab)
        p[token] = 1
        return Distribution(probs: p)
    }

    public var vocab: Int { probs.count }
    public subscript(_ token: Int) -> Double { Double(probs[token]) }

    /// Entropy in nats, -sum p ln(p + 1e-10) (the CNTP reference's formula).
    public var entropy: Double {
        var h = 0.0
        for p in probs where p > 0 { let d = Double(p); h -= d * _log(d + 1e-10) }
        return h
    }

    /// The most probable token (lowest id on ties).
    public var argmax: Int { Sampler.argmax(probs) }

    /// Inverse-CDF draw with one uniform from `rng`.
    public func sample(_ rng: inout SeededRNG) -> Int {
        Sampler.draw(weights: probs, u: rng.uniform())
    }
}

public enum Sampler {
    /// The warped distribution of one logits row. // logits: [vocab]
    public static func distribution(logits: [Float], settings: SamplerSettings) -> Distribution {
        let V = logits.count
        if settings.isGreedy { return .oneHot(argmax(logits), vocab: V) }
        let invT = Float(1 / settings.temperature)
        var z = logits.map { $0 * invT }                       // [vocab]
        if settings.topK > 0 && settings.topK < V {
            // Keep every token whose logit is >= the k-th largest (ties at the edge are kept).
            let kth = z.sorted(by: >)[settings.topK - 1]
            for i in 0..<V where z[i] < kth { z[i] = -.infinity }
        }
        var p = softmax(z)
        if settings.topP < 1 {
            // Smallest set of most probable tokens whose mass reaches topP; the rest get 0.
            // Only tokens above a small floor are sorted when their mass already reaches topP
            // (the nucleus is then among them); otherwise every non-zero token is.
            let byProb: (Int, Int) -> Bool = { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }
            var candidates = (0..<V).filter { p[$0] >= 1e-6 }
            if candidates.reduce(0.0, { $0 + Double(p[$1]) }) < settings.topP {
                candidates = (0..<V).filter { p[$0] > 0 }
            }
            let order = candidates.sorted(by: byProb)
            var cum = 0.0, keep = 0
            for i in order {
                cum += Double(p[i]); keep += 1
                if cum >= settings.topP { break }
            }
            var q = [Float](repeating: 0, count: V)
            var total = 0.0
            for i in order.prefix(keep) { q[i] = p[i]; total += Double(p[i]) }
            let inv = Float(1 / total)
            for i in order.prefix(keep) { q[i] *= inv }
            p = q
        }
        return Distribution(probs: p)
    }

    /// Numerically safe softmax (max subtracted); -inf entries get 0.
    public static func softmax(_ z: [Float]) -> [Float] {
        let m = z.max() ?? 0
        var e = [Float](repeating: 0, count: z.count)
        var total = 0.0
        for i in 0..<z.count where z[i] > -.infinity {
            let v = Float(_exp(Double(z[i] - m)))
            e[i] = v; total += Double(v)
        }
        let inv = Float(1 / total)
        for i in 0..<e.count { e[i] *= inv }
        return e
    }

    /// Entropy in nats of softmax(z), in one pass over the logits without building the
    /// distribution: H = ln Z - sum_i p_i (z_i - m), with m = max z and Z = sum_i exp(z_i - m).
    public static func entropy(logits z: [Float]) -> Double {
        z.withUnsafeBufferPointer { b -> Double in
            var m = -Float.infinity
            for v in b where v > m { m = v }
            guard m > -.infinity else { return 0 }
            var Z = 0.0, S = 0.0
            for v in b where v > -.infinity {
                let d = Double(v - m), e = _exp(d)
                Z += e; S += e * d
            }
            return _log(Z) - S / Z
        }
    }

    /// Index of the largest value, lowest index on ties.
    public static func argmax(_ x: [Float]) -> Int {
        var best = 0
        var bestValue = -Float.infinity
        for i in 0..<x.count where x[i] > bestValue { best = i; bestValue = x[i] }
        return best
    }

    /// Index drawn proportionally to non-negative `weights` with uniform u in [0, 1).
    public static func draw(weights: [Float], u: Double) -> Int {
        var total = 0.0
        for w in weights { total += Double(w) }
        let target = u * total
        var cum = 0.0, lastPositive = 0
        for i in 0..<weights.count where weights[i] > 0 {
            cum += Double(weights[i]); lastPositive = i
            if target < cum { return i }
        }
        return lastPositive                                      // rounding left a sliver
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func _exp(_ x: Double) -> Double { Glibc.exp(x) }
#else
import Foundation
@inline(__always) func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) func _exp(_ x: Double) -> Double { Foundation.exp(x) }
#endif
