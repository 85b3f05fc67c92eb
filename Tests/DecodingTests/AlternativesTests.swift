// The `alternatives` event: after each `entropy` event when DecodeSettings.topAlternatives asks for
// it, the k most probable tokens of the same distribution, checked against a full sort of the
// distribution recomputed from the toy model's logits; off by default, leaving traces unchanged.
import Testing
import Foundation
@testable import TokenloomDecoding

struct AlternativesTests {
    static func model() -> ToyModel { ToyModel(vocab: 12, seed: 17, scale: 1.4, prefixWeight: 0.5) }

    /// The toy model's logits row predicting position `sequence.count` (a fresh pass over the prefix).
    static func logits(after sequence: [Int]) throws -> [Float] {
        let m = model()
        let l = try m.forward(tokens: sequence, cache: m.makeCache())
        return l.row(l.rows - 1)
    }

    /// Reference: softmax(z / T) in Double, then a full sort (probability descending, id ascending).
    static func reference(_ z: [Float], temperature T: Double, k: Int) -> [(token: Int, p: Double)] {
        let m = Double(z.max()!)
        let e = z.map { _expD((Double($0) - m) / T) }
        let Z = e.reduce(0, +)
        return e.enumerated().map { (token: $0.offset, p: $0.element / Z) }
            .sorted { $0.p != $1.p ? $0.p > $1.p : $0.token < $1.token }.prefix(k).map { $0 }
    }

    /// Every `entropy` event is followed at once by an `alternatives` event at the same position.
    static func pairs(_ events: [TraceEvent]) -> [(position: Int, tokens: [Int], probs: [Double])] {
        var out: [(Int, [Int], [Double])] = []
        for (i, e) in events.enumerated() {
            guard case .entropy(let pos, _) = e else { continue }
            guard i + 1 < events.count, case .alternatives(let p2, let t, let p) = events[i + 1], p2 == pos else {
                Issue.record("entropy at \(pos) without alternatives right after it"); continue
            }
            out.append((pos, t, p))
        }
        return out
    }

    @Test(arguments: [0.0, 0.7])
    func arAlternativesAreTheFiveLargestInOrder(temperature: Double) throws {
        let prompt = [1, 2]
        let s = DecodeSettings(maxNewTokens: 12, sampler: SamplerSettings(temperature: temperature), seed: 3,
                               topAlternatives: 5)
        let d = try AutoregressiveDecoder(model: Self.model(), prompt: prompt, settings: s)
        let events = try runToEnd(d)
        let found = Self.pairs(events)
        #expect(found.count == 12)
        let sequence = prompt + d.generated
        for f in found {
            // Greedy reports the model's temperature-1 distribution, sampling its warped one.
            let ref = Self.reference(try Self.logits(after: Array(sequence[..<f.position])),
                                     temperature: temperature == 0 ? 1 : temperature, k: 5)
            #expect(f.tokens == ref.map(\.token), "position \(f.position)")
            #expect(f.probs.count == 5)
            for (p, r) in zip(f.probs, ref) { #expect(abs(p - r.p) < 1e-5) }
            #expect(zip(f.probs, f.probs.dropFirst()).allSatisfy { $0 >= $1 })
        }
    }

    @Test func onlyTokensTheSamplerCanDrawAreListed() throws {
        // top-k 3 leaves three tokens with probability above 0: the three largest logits.
        let s = DecodeSettings(maxNewTokens: 6, sampler: SamplerSettings(temperature: 1, topK: 3), seed: 9, topAlternatives: 5)
        let d = try AutoregressiveDecoder(model: Self.model(), prompt: [4], settings: s)
        let events = try runToEnd(d)
        let sequence = [4] + d.generated
        for f in Self.pairs(events) {
            let ref = Self.reference(try Self.logits(after: Array(sequence[..<f.position])), temperature: 1, k: 3)
            #expect(f.tokens == ref.map(\.token))
            #expect(abs(f.probs.reduce(0, +) - 1) < 1e-5)
        }
    }

    @Test(arguments: ["jacobi", "sjd", "cntp", "lookahead"])
    func offByDefaultAndOtherwiseTheSameTrace(kind: String) throws {
        func make(_ k: Int) throws -> Decoder {
            let m = Self.model()
            let sampled = DecodeSettings(maxNewTokens: 20, sampler: SamplerSettings(temperature: 1, topK: 8), seed: 5,
                                         isEnd: { $0 == 0 }, topAlternatives: k)
            let greedy = DecodeSettings(maxNewTokens: 20, seed: 5, topAlternatives: k)
            switch kind {
            case "jacobi": return try JacobiDecoder(model: m, prompt: [1, 2], settings: greedy, window: 5, initScheme: .random)
            case "sjd": return try SJDDecoder(model: m, prompt: [1, 2], settings: sampled, window: 5)
            case "cntp": return try CNTPDecoder(model: m, prompt: [1, 2], settings: sampled, punctuation: [0])
            default: return try LookaheadDecoder(model: m, prompt: [1, 2], settings: greedy)
            }
        }
        let plain = untimed(try runToEnd(try make(0)))
        let rich = untimed(try runToEnd(try make(5)))
        #expect(!plain.contains { if case .alternatives = $0 { return true }; return false })
        #expect(Self.pairs(rich).count == plain.filter { if case .entropy = $0 { return true }; return false }.count)
        #expect(rich.filter { if case .alternatives = $0 { return false }; return true } == plain)
    }

    @Test func partialSelectionKeepsTheLowestIdOnTiesAndSkipsTheFloor() {
        let x: [Float] = [0.1, 0.5, -.infinity, 0.5, .nan, 0.9, 0.1, 0.5]
        #expect(Sampler.topIndices(x, k: 3, above: -.infinity) == [5, 1, 3])
        #expect(Sampler.topIndices(x, k: 10, above: 0.2) == [5, 1, 3, 7])
        #expect(Sampler.topIndices(x, k: 0, above: -.infinity).isEmpty)
        let top = Sampler.topAlternatives(logits: [0, .infinity * -1, 0, 0], k: 2)
        #expect(top.tokens == [0, 2] && top.probs.allSatisfy { abs($0 - 1.0 / 3) < 1e-12 })
        // The fused pass reports the very entropy `entropy(logits:)` does, and the same top tokens.
        var rng = SeededRNG(seed: 4)
        let z = (0..<500).map { i in i % 7 == 0 ? -Float.infinity : Float(rng.uniform() * 12 - 6) }
        let fused = Sampler.entropyAndTop(logits: z, k: 5), alone = Sampler.topAlternatives(logits: z, k: 5)
        #expect(fused.nats == Sampler.entropy(logits: z))
        #expect(fused.tokens == alone.tokens && zip(fused.probs, alone.probs).allSatisfy { abs($0 - $1) < 1e-15 })
    }

    @Test func jsonLinesRoundTripAndBadInput() throws {
        let e = TraceEvent.alternatives(position: 37, tokens: [512, 7, 9], probs: [0.5, 0.25, 0.125])
        let line = try TraceCoding.line(e)
        #expect(line == #"{"event":"alternatives","position":37,"probs":[0.5,0.25,0.125],"tokens":[512,7,9]}"#)
        #expect(try TraceCoding.events(fromJSONLines: line) == [e])
        #expect(throws: (any Error).self) {
            try TraceCoding.events(fromJSONLines: #"{"event":"alternatives","position":1,"probs":[0.5],"tokens":[1,2]}"#)
        }
        #expect(throws: DecodeError.badSettings("top alternatives must be >= 0, got -1")) {
            try AutoregressiveDecoder(model: Self.model(), prompt: [1], settings: DecodeSettings(topAlternatives: -1))
        }
    }
}
