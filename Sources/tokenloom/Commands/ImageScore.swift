// The facts about a decoded image that `generate` and `bench decoders` report: the nearest training
// reference and the pixel error to the prompt's own reference.
import TokenloomModels

/// What a decoded grid is nearest to, and how far it is from its own prompt's reference.
struct ImageScore {
    let trained: Bool
    let nearest: String?
    let pixelError: Double?
    let retrieved: Bool?

    init(_ tokens: [Int], prompt: String, weights: ImageARWeights) {
        let near = weights.references.isEmpty ? nil : weights.nearestReference(to: tokens)
        nearest = near.flatMap { $0 >= 0 && $0 < weights.prompts.count ? weights.prompts[$0] : nil }
        guard let own = weights.promptIndex(prompt), own < weights.references.count else {
            trained = false; pixelError = nil; retrieved = nil
            return
        }
        trained = true
        pixelError = weights.pixelError(tokens, reference: own)
        retrieved = near == own
    }
}
