// DraftInit: how a Jacobi-style decoder fills a fresh slot of its window.
//   repeatLast: copy the last token available (committed or carried draft);
//   random: uniform over the draft tokens (the image vocabulary) or the whole vocabulary;
//   repeatLeft(gridWidth): the spatial scheme of SJD's `repeat_horizon` on an image grid (rows of
//     gridWidth tokens, starting at the first generated token): a slot at column c > 0 copies the
//     token at column c-1, clamped to the last token that was available before this refill (so a
//     run of new slots repeats one token); column 0 falls back to random.
public enum DraftInit: Sendable, Equatable {
    case repeatLast
    case random
    case repeatLeft(gridWidth: Int)

    /// Fresh drafts for generated-token indices firstIndex ..< firstIndex+count, given the tokens
    /// available before the refill (generated tokens then carried drafts, by generated index).
    func fill(count: Int, firstIndex: Int, available: [Int], lastToken: Int, state: DecodeState) -> [Int] {
        var out: [Int] = []
        for k in 0..<count {
            switch self {
            case .repeatLast:
                out.append(available.last ?? lastToken)
            case .random:
                out.append(state.randomDraft())
            case .repeatLeft(let w):
                let g = firstIndex + k
                if w <= 0 || g % w == 0 || available.isEmpty {
                    out.append(state.randomDraft())
                } else {
                    out.append(available[min(g - 1, available.count - 1)])
                }
            }
        }
        return out
    }
}
