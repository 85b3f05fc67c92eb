// Dumps SmolLM2 hidden states for the image model's training recipe (training/features.py), so that
// the fused model trains on the numbers tokenloom's own engine computes. Runs only when asked:
//   TOKENLOOM_DUMP_FEATURES=<dir with feature_request.json> swift test --filter ImageFeatureDump
import Foundation
import Testing
@testable import TokenloomModels
import TokenloomTestSupport

private let dumpDir = ProcessInfo.processInfo.environment["TOKENLOOM_DUMP_FEATURES"]

@Suite struct ImageFeatureDump {
    struct Request: Decodable { let layer: Int; let sequences: [[Int]] }

    @Test(.enabled(if: dumpDir != nil, "set TOKENLOOM_DUMP_FEATURES to a folder with feature_request.json"))
    func dumpHiddenStates() throws {
        let dir = try #require(dumpDir)
        let req = try JSONDecoder().decode(Request.self,
            from: Data(contentsOf: URL(fileURLWithPath: dir + "/feature_request.json")))
        let llm = try LlamaModel(path: try TestModels.smolLM2(), cacheCapacity: 64)
        var out = [Float]()                                    // [sum of sequence lengths, 576]
        for seq in req.sequences {
            let h = try llm.hiddenStates(tokens: seq, layer: req.layer)
            #expect(h.count == seq.count)
            for row in h { out += row }
        }
        let data = out.withUnsafeBufferPointer { Data(buffer: $0) }
        try data.write(to: URL(fileURLWithPath: dir + "/feature_states.f32"))
    }
}
