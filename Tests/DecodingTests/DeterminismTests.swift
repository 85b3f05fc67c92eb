// Same seed => identical tokens and identical trace (timing fields aside), for every decoder;
// traces survive a JSON Lines round trip with timing only in `wall_ms`.
import Testing
import Foundation
@testable import TokenloomDecoding

struct DeterminismTests {
    static func make(_ kind: String, seed: UInt64) throws -> Decoder {
        let model = ToyModel(vocab: 8, seed: 31, scale: 1.3, prefixWeight: 0.5)
        let sampled = DecodeSettings(maxNewTokens: 30, sampler: SamplerSettings(temperature: 1, topK: 6, topP: 0.95),
                                     seed: seed, isEnd: { $0 == 0 })
        let greedy = DecodeSettings(maxNewTokens: 30, seed: seed)
        switch kind {
        case "ar": return try AutoregressiveDecoder(model: model, prompt: [1, 2], settings: sampled)
        case "jacobi": return try JacobiDecoder(model: model, prompt: [1, 2], settings: greedy, window: 6, initScheme: .random)
        case "sjd": return try SJDDecoder(model: model, prompt: [1, 2], settings: sampled, window: 6)
        case "sjd-mc": return try SJDDecoder(model: model, prompt: [1, 2], settings: sampled, window: 6, coupling: true)
        case "cntp": return try CNTPDecoder(model: model, prompt: [1, 2], settings: sampled, punctuation: [0])
        default: return try LookaheadDecoder(model: model, prompt: [1, 2], settings: greedy)
        }
    }

    @Test(arguments: ["ar", "jacobi", "sjd", "sjd-mc", "cntp", "lookahead"])
    func sameSeedSameTrace(kind: String) throws {
        let a = try Self.make(kind, seed: 5), b = try Self.make(kind, seed: 5)
        let ea = try runToEnd(a), eb = try runToEnd(b)
        #expect(a.generated == b.generated)
        #expect(untimed(ea) == untimed(eb))
        let lines = try ea.map(TraceCoding.line).joined(separator: "\n")
        #expect(try TraceCoding.events(fromJSONLines: lines) == ea)
        // Timing only in fields ending _ms.
        for line in lines.split(separator: "\n") {
            let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            #expect(obj.keys.allSatisfy { !$0.lowercased().contains("ms") || $0.hasSuffix("_ms") })
        }
        if kind != "jacobi" && kind != "lookahead" {
            let c = try Self.make(kind, seed: 6)
            try runToEnd(c)
            #expect(c.generated != a.generated)
        }
    }
}
