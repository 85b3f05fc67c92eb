// Sampler and RNG: the warping order, greedy, filters, entropy, and reproducible draws.
import Testing
@testable import TokenloomDecoding
import TokenloomTestSupport

struct SamplerTests {
    let logits: [Float] = [2, 1, 0, 3, -1]

    @Test func greedyIsOneHotAtArgmax() {
        let d = Sampler.distribution(logits: logits, settings: .greedy)
        #expect(d.probs == [0, 0, 0, 1, 0])
        #expect(Sampler.argmax([1, 5, 5, 2]) == 1)                 // ties: lowest id
        #expect(d.entropy < 1e-8)
    }

    @Test func temperatureSoftmax() {
        let d = Sampler.distribution(logits: logits, settings: SamplerSettings(temperature: 2))
        let e = logits.map { _expD(Double($0) / 2) }
        let z = e.reduce(0, +)
        for i in 0..<5 { #expect(abs(d[i] - e[i] / z) < 1e-6) }
    }

    @Test(arguments: [(1, [3]), (2, [0, 3]), (3, [0, 1, 3]), (5, [0, 1, 2, 3, 4])])
    func topKKeepsTheKLargest(k: Int, kept: [Int]) {
        let d = Sampler.distribution(logits: logits, settings: SamplerSettings(topK: k))
        #expect((0..<5).filter { d[$0] > 0 } == kept)
        #expect(abs(d.probs.reduce(0, +) - 1) < 1e-6)
    }

    @Test func topPKeepsTheSmallestNucleus() {
        let p = Sampler.softmax(logits)                              // 0.237, 0.087, 0.032, 0.644, 0.012
        let top1 = Double(p[3]), top2 = top1 + Double(p[0])
        for (topP, count) in [(top1 - 0.01, 1), (top1 + 0.01, 2), (top2 + 0.01, 3), (1.0, 5)] {
            let d = Sampler.distribution(logits: logits, settings: SamplerSettings(topP: topP))
            #expect(d.probs.filter { $0 > 0 }.count == count, "top-p \(topP)")
            #expect(abs(d.probs.reduce(0, +) - 1) < 1e-6)
        }
        // top-k then top-p: the nucleus is taken on the renormalised top-k distribution.
        let kp = Sampler.distribution(logits: logits, settings: SamplerSettings(topK: 2, topP: 0.7))
        #expect(kp.probs.filter { $0 > 0 }.count == 1)               // 0.644/0.881 = 0.731 >= 0.7
    }

    @Test func entropyInNats() {
        let d = Distribution(probs: [0.25, 0.25, 0.25, 0.25])
        #expect(abs(d.entropy - _logD(4)) < 1e-6)
        // The one-pass entropy from logits equals the definition on softmax(z).
        let z: [Float] = [2, 1, 0, 3, -1, -.infinity]
        let p = Sampler.softmax(z).map(Double.init)
        let h = -p.filter { $0 > 0 }.map { $0 * _logD($0) }.reduce(0, +)
        #expect(abs(Sampler.entropy(logits: z) - h) < 1e-6)
        #expect(Sampler.entropy(logits: [5, 5]) - _logD(2) < 1e-9)
    }

    @Test func rngIsReproducibleAndUniform() {
        var a = SeededRNG(seed: 42), b = SeededRNG(seed: 42), c = SeededRNG(seed: 43)
        let xa = (0..<5).map { _ in a.next() }, xb = (0..<5).map { _ in b.next() }
        #expect(xa == xb && xa != (0..<5).map { _ in c.next() })
        var r = SeededRNG(seed: 0)
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0..<20000 { counts[r.below(10)] += 1 }
        #expect(ChiSquare.pValue(observed: counts, expected: [Double](repeating: 0.1, count: 10)).p > 0.001)
        let d = Distribution(probs: [0.5, 0, 0.3, 0.2])
        var draws = [Int](repeating: 0, count: 4)
        for _ in 0..<20000 { draws[d.sample(&r)] += 1 }
        #expect(draws[1] == 0)
        #expect(ChiSquare.pValue(observed: [draws[0], draws[2], draws[3]], expected: [0.5, 0.3, 0.2]).p > 0.001)
    }

    @Test func badSettingsAreTypedErrors() {
        #expect(throws: DecodeError.self) { try SamplerSettings(temperature: -1).validate() }
        #expect(throws: DecodeError.self) { try SamplerSettings(topP: 0).validate() }
        let m = ToyModel(vocab: 4, seed: 1)
        #expect(throws: DecodeError.self) { try AutoregressiveDecoder(model: m, prompt: [], settings: DecodeSettings()) }
        #expect(throws: DecodeError.self) { try AutoregressiveDecoder(model: m, prompt: [9], settings: DecodeSettings()) }
        #expect(throws: DecodeError.self) { try JacobiDecoder(model: m, prompt: [1], settings: DecodeSettings(), window: 0) }
    }
}
