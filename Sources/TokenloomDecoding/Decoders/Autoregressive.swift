// Autoregressive: one token per forward pass, greedy (temperature 0) or sampled from the warped
// distribution. The baseline every other decoder is measured against.
import TokenloomModels

public final class AutoregressiveDecoder: StateBackedDecoder {
    public let name = "AR"
    public let state: DecodeState

    public init(model: CausalModel, prompt: [Int], settings: DecodeSettings) throws {
        state = try DecodeState(model: model, prompt: prompt, settings: settings)
    }


    public var mode: String { samplerMode(state.settings.sampler) }
    public var rule: String {
        state.settings.sampler.isGreedy
            ? "AR (greedy): each forward pass feeds the last token and commits the argmax, the most probable next token. One token per pass."
            : "AR (sampling at \(samplerMode(state.settings.sampler))): each forward pass feeds the last token and commits one token drawn from the model's distribution. One token per pass."
    }

    public func step() throws -> [TraceEvent] {
        guard !state.isFinished else { return [] }
        // The first pass is the prefill of the whole prompt; later passes feed the last token.
        let inputs = state.prefilled ? [state.lastToken] : state.prompt
        let (logits, fwd) = try state.forward(inputs)
        var events = [fwd]
        let position = state.length
        let p = state.distribution(logits, logits.rows - 1, predicting: position)
        events += state.entropyEvents(logits, logits.rows - 1, predicting: position, warped: p)
        let token = state.settings.sampler.isGreedy ? p.argmax : p.sample(&state.rng)
        state.commit([token], events: &events)
        return events
    }
}
