// The few most probable tokens of a distribution or a logits row, found by partial selection (one
// pass keeping a sorted list of k), not by sorting the whole vocabulary. For the `alternatives` event.

extension Sampler {
    /// Indices of the `k` largest values of `x` that exceed `floor`, largest first, lowest index on ties.
    public static func topIndices(_ x: [Float], k: Int, above floor: Float) -> [Int] {
        guard k > 0 else { return [] }
        var index: [Int] = [], value: [Float] = []       // [<= k], sorted by value, descending
        index.reserveCapacity(k + 1); value.reserveCapacity(k + 1)
        x.withUnsafeBufferPointer { b in
            for i in 0..<b.count {
                let v = b[i]
                guard v > floor else { continue }            // NaN fails this too
                if index.count == k, !(v > value[k - 1]) { continue }
                var j = index.count
                while j > 0, value[j - 1] < v { j -= 1 }       // after equal values: lower ids stay first
                index.insert(i, at: j); value.insert(v, at: j)
                if index.count > k { index.removeLast(); value.removeLast() }
            }
        }
        return index
    }

    /// The `k` most probable tokens of softmax(z) (temperature 1) and their probabilities.
    public static func topAlternatives(logits z: [Float], k: Int) -> (tokens: [Int], probs: [Double]) {
        let tokens = topIndices(z, k: k, above: -.infinity)
        guard let first = tokens.first else { return ([], []) }
        let m = z[first]
        var Z = 0.0
        z.withUnsafeBufferPointer { b in for v in b where v > -.infinity { Z += _exp(Double(v - m)) } }
        return (tokens, tokens.map { _exp(Double(z[$0] - m)) / Z })
    }

    /// The entropy of softmax(z) in nats, computed exactly as `entropy(logits:)` does, together with
    /// its `k` most probable tokens: the probabilities reuse that pass's max and normaliser.
    public static func entropyAndTop(logits z: [Float], k: Int) -> (nats: Double, tokens: [Int], probs: [Double]) {
        let tokens = topIndices(z, k: k, above: -.infinity)
        guard let first = tokens.first else { return (entropy(logits: z), [], []) }
        let m = z[first]                                   // the max (topIndices skips NaN and -inf)
        var Z = 0.0, S = 0.0
        z.withUnsafeBufferPointer { b in
            for v in b where v > -.infinity {
                let d = Double(v - m), e = _exp(d)
                Z += e; S += e * d
            }
        }
        return (_log(Z) - S / Z, tokens, tokens.map { _exp(Double(z[$0] - m)) / Z })
    }
}

extension Distribution {
    /// The `k` most probable tokens (probability above 0) and their probabilities.
    public func top(_ k: Int) -> (tokens: [Int], probs: [Double]) {
        let tokens = Sampler.topIndices(probs, k: k, above: 0)
        return (tokens, tokens.map { self[$0] })
    }
}
