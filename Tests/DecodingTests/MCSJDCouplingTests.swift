// MC-SJD's maximal coupling must leave a refreshed draft distributed exactly as this pass's p_new
// (that is what its recorded q claims). A direct check at one slot, where p_new is known exactly:
// L = 3 from a fixed prefix, draft 1 a fresh unlikely token (so it is usually rejected and slot 1 is
// refreshed), draft 2 drawn from a known q_old (uniform, so both the keep and the residual branch
// run). Over 1,000 seeded passes the refreshed slot's tokens match p_new (chi-square); the variant
// whose keep probability ignores q_old is caught, which the 2,400-run output test misses.
import Testing
@testable import TokenloomDecoding
import TokenloomModels

struct MCSJDCouplingTests {
    static func refreshedSlot(ignoreOldQ: Bool, passes: Int = 1000) throws -> (chi2: Double, df: Int, p: Double, used: Int, kept: Int) {
        let V = SJDLosslessTests.V, prompt = SJDLosslessTests.prompt
        let model = ToyModel(vocab: V, seed: 5, scale: 1.5, prefixWeight: 0.5)
        let settings = DecodeSettings(maxNewTokens: 7, sampler: SamplerSettings(temperature: 1), seed: 0)
        func dist(_ seq: [Int]) throws -> Distribution {
            let logits = try model.forward(tokens: seq, cache: model.makeCache())
            return Sampler.distribution(logits: logits.row(logits.rows - 1), settings: settings.sampler)
        }
        func prefilled() throws -> SJDDecoder {
            let d = try SJDDecoder(model: model, prompt: prompt, settings: settings, window: 3, coupling: true)
            d.couplingIgnoresOldQ = ignoreOldQ
            _ = try d.step()                                    // the same first token every time (seed 0)
            return d
        }
        let t0 = try prefilled().generated[0]
        let p0 = try dist(prompt + [t0])
        let d1 = p0.probs.indices.min { p0.probs[$0] < p0.probs[$1] }!
        let pNew = try dist(prompt + [t0, d1])                  // slot 1's row: its input is draft 1
        let qOld = Distribution(probs: [Float](repeating: 1 / Float(V), count: V))
        var draftRNG = SeededRNG(seed: 2024)
        var counts = [Int](repeating: 0, count: V), used = 0, kept = 0
        for pass in 0..<passes {
            let d = try prefilled()
            d.state.rng = SeededRNG(seed: UInt64(pass) + 1)
            let x = qOld.sample(&draftRNG)
            d.drafts = [(token: d1, q: .oneHot), (token: x, q: .dist(qOld))]
            _ = try d.step()
            guard d.generated.count == 2 else { continue }      // draft 1 passed: slot 1 was not refreshed
            let refreshed = d.drafts[0].token
            counts[refreshed] += 1; used += 1
            if refreshed == x { kept += 1 }
        }
        let r = ChiSquare.pValue(observed: counts, expected: pNew.probs.map(Double.init))
        return (r.chi2, r.df, r.p, used, kept)
    }

    @Test func refreshedDraftIsDistributedAsPNew() throws {
        let r = try Self.refreshedSlot(ignoreOldQ: false)
        #expect(r.used > 900 && r.kept > r.used / 5 && r.kept < r.used * 4 / 5, "used \(r.used), kept \(r.kept)")
        #expect(r.p > 0.01, "chi2 \(r.chi2) df \(r.df) p \(r.p)")
    }

    @Test func keepProbabilityIgnoringQOldIsCaught() throws {
        let r = try Self.refreshedSlot(ignoreOldQ: true)
        #expect(r.p < 1e-6, "the wrong coupling passed: chi2 \(r.chi2) df \(r.df) p \(r.p)")
    }
}
