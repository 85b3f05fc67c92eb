// SJD's bonus token (taken from the last row when every draft passes) is distributed as AR's.
// SJDLosslessTests compare tokens 1-3 only, and with a window of 4 the bonus token is always token 5
// or later, so here every 3-token window of a 7-token continuation is compared (chi-square against
// exact marginals, enumerated on the toy model; Holm over the 5 windows), with windows 4 and 2. The
// variant that takes the bonus token from the row before (y[L-2]) is caught.
import Testing
@testable import TokenloomDecoding
import TokenloomModels

struct SJDWindowTests {
    static let V = SJDLosslessTests.V
    static let length = 7
    static let sampler = SamplerSettings(temperature: 1)
    static let model = ToyModel(vocab: V, seed: 5, scale: 1.5, prefixWeight: 0.5)

    /// Exact P(t_k, t_k+1, t_k+2) under AR for k = 0 ..< length - 2, by enumerating every continuation. // [length-2][V^3]
    static func exactWindows() throws -> [[Double]] {
        var out = [[Double]](repeating: [Double](repeating: 0, count: V * V * V), count: length - 2)
        func visit(_ seq: [Int], _ pr: Double, _ cache: KVCache, _ input: [Int]) throws {
            let k = seq.count - 3
            if k >= 0 { let cell: Int = (seq[k] * V + seq[k + 1]) * V + seq[k + 2]; out[k][cell] += pr }
            guard seq.count < length else { return }
            let c = cache.copy()
            let logits = try model.forward(tokens: input, cache: c)
            let p = Sampler.distribution(logits: logits.row(logits.rows - 1), settings: sampler)
            for t in 0..<V where p[t] > 0 { try visit(seq + [t], pr * p[t], c, [t]) }
        }
        try visit([], 1, model.makeCache(), SJDLosslessTests.prompt)
        return out
    }

    /// Holm-adjusted smallest p over the windows, and how many passes ended with a bonus token.
    static func windowTest(L: Int, wrongRow: Bool, samples: Int = 2400) throws -> (p: Double, raw: [Double], bonus: Int) {
        let exact = try exactWindows()
        var counts = [[Int]](repeating: [Int](repeating: 0, count: V * V * V), count: length - 2)
        var bonus = 0
        for seed in 0..<samples {
            let s = DecodeSettings(maxNewTokens: length, sampler: sampler, seed: UInt64(seed))
            let d = try SJDDecoder(model: model, prompt: SJDLosslessTests.prompt, settings: s, window: L)
            d.bonusFromRowBefore = wrongRow
            while !d.isFinished {
                let ev = try d.step()
                if ev.contains(where: { $0.name == "draft" }) && !ev.contains(where: { $0.name == "reject" }) { bonus += 1 }
            }
            let g = d.generated
            for k in 0..<(length - 2) { counts[k][(g[k] * V + g[k + 1]) * V + g[k + 2]] += 1 }
        }
        let raw = (0..<(length - 2)).map { ChiSquare.pValue(observed: counts[$0], expected: exact[$0]).p }
        return (ChiSquare.holm(raw).min()!, raw, bonus)
    }

    @Test(arguments: [4, 2])
    func everyWindowMatchesAR(L: Int) throws {
        let r = try Self.windowTest(L: L, wrongRow: false)
        #expect(r.bonus > 500, "the bonus path ran \(r.bonus) times")
        #expect(r.p > 0.01, "Holm p \(r.p), per window \(r.raw)")
    }

    @Test(arguments: [4, 2])
    func bonusFromTheRowBeforeIsCaught(L: Int) throws {
        let r = try Self.windowTest(L: L, wrongRow: true)
        #expect(r.p < 1e-6, "the wrong bonus row passed: Holm p \(r.p), per window \(r.raw)")
    }
}
