// TraceEvent's JSON form: one flat object per event, {"event": name, ...fields}. The only timing
// field is `wall_ms` (in `forward`); every other field is identical for the same seed.
// `TraceCoding` turns events into JSON Lines and back.
#if canImport(Foundation)
import Foundation
#endif

extension TraceEvent: Codable {
    enum Key: String, CodingKey {
        case event, start, count, wall_ms, position, token, q, p, u, tokens, nats, entropy, trials, trial
        case perplexity, level, index, value, matched, reason, probs, guess, target
    }

    public func encode(to encoder: Swift.Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(name, forKey: .event)
        switch self {
        case .forward(let start, let count, let ms):
            try c.encode(start, forKey: .start); try c.encode(count, forKey: .count); try c.encode(ms, forKey: .wall_ms)
        case .draft(let position, let token, let q):
            try c.encode(position, forKey: .position); try c.encode(token, forKey: .token); try c.encode(q, forKey: .q)
        case .accept(let position, let token, let p, let q, let u), .reject(let position, let token, let p, let q, let u):
            try c.encode(position, forKey: .position); try c.encode(token, forKey: .token)
            try c.encode(p, forKey: .p); try c.encode(q, forKey: .q); try c.encode(u, forKey: .u)
        case .match(let position, let guess, let target):
            try c.encode(position, forKey: .position); try c.encode(guess, forKey: .guess); try c.encode(target, forKey: .target)
        case .resample(let position, let token):
            try c.encode(position, forKey: .position); try c.encode(token, forKey: .token)
        case .commit(let start, let tokens):
            try c.encode(start, forKey: .start); try c.encode(tokens, forKey: .tokens)
        case .entropy(let position, let nats):
            try c.encode(position, forKey: .position); try c.encode(nats, forKey: .nats)
        case .alternatives(let position, let tokens, let probs):
            try c.encode(position, forKey: .position); try c.encode(tokens, forKey: .tokens); try c.encode(probs, forKey: .probs)
        case .branchOpened(let position, let entropy, let trials):
            try c.encode(position, forKey: .position); try c.encode(entropy, forKey: .entropy); try c.encode(trials, forKey: .trials)
        case .trialToken(let trial, let token, let p):
            try c.encode(trial, forKey: .trial); try c.encode(token, forKey: .token); try c.encode(p, forKey: .p)
        case .trialScored(let trial, let perplexity):
            try c.encode(trial, forKey: .trial); try c.encode(perplexity, forKey: .perplexity)
        case .branchChosen(let trial):
            try c.encode(trial, forKey: .trial)
        case .denoise(let position, let level):
            try c.encode(position, forKey: .position); try c.encode(level, forKey: .level)
        case .fuserGate(let index, let value):
            try c.encode(index, forKey: .index); try c.encode(value, forKey: .value)
        case .ngram(let position, let tokens, let matched):
            try c.encode(position, forKey: .position); try c.encode(tokens, forKey: .tokens); try c.encode(matched, forKey: .matched)
        case .finished(let reason):
            try c.encode(reason, forKey: .reason)
        }
    }

    public init(from decoder: Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        let name = try c.decode(String.self, forKey: .event)
        func i(_ k: Key) throws -> Int { try c.decode(Int.self, forKey: k) }
        func d(_ k: Key) throws -> Double { try c.decode(Double.self, forKey: k) }
        switch name {
        case "forward": self = .forward(start: try i(.start), count: try i(.count), ms: try d(.wall_ms))
        case "draft": self = .draft(position: try i(.position), token: try i(.token), q: try d(.q))
        case "accept": self = .accept(position: try i(.position), token: try i(.token), p: try d(.p), q: try d(.q), u: try d(.u))
        case "reject": self = .reject(position: try i(.position), token: try i(.token), p: try d(.p), q: try d(.q), u: try d(.u))
        case "match": self = .match(position: try i(.position), guess: try i(.guess), target: try i(.target))
        case "resample": self = .resample(position: try i(.position), token: try i(.token))
        case "commit": self = .commit(start: try i(.start), tokens: try c.decode([Int].self, forKey: .tokens))
        case "entropy": self = .entropy(position: try i(.position), nats: try d(.nats))
        case "alternatives":
            let tokens = try c.decode([Int].self, forKey: .tokens), probs = try c.decode([Double].self, forKey: .probs)
            guard tokens.count == probs.count else {
                throw DecodingError.dataCorruptedError(forKey: .probs, in: c, debugDescription: "alternatives: \(tokens.count) tokens but \(probs.count) probabilities")
            }
            self = .alternatives(position: try i(.position), tokens: tokens, probs: probs)
        case "branchOpened": self = .branchOpened(position: try i(.position), entropy: try d(.entropy), trials: try i(.trials))
        case "trialToken": self = .trialToken(trial: try i(.trial), token: try i(.token), p: try d(.p))
        case "trialScored": self = .trialScored(trial: try i(.trial), perplexity: try d(.perplexity))
        case "branchChosen": self = .branchChosen(trial: try i(.trial))
        case "denoise": self = .denoise(position: try i(.position), level: try i(.level))
        case "fuserGate": self = .fuserGate(index: try i(.index), value: try d(.value))
        case "ngram": self = .ngram(position: try i(.position), tokens: try c.decode([Int].self, forKey: .tokens), matched: try i(.matched))
        case "finished": self = .finished(reason: try c.decode(String.self, forKey: .reason))
        default:
            throw DecodingError.dataCorruptedError(forKey: .event, in: c, debugDescription: "unknown trace event '\(name)'")
        }
    }
}

public enum TraceCoding {
    /// One event as one JSON line (keys sorted, so the same event always prints the same).
    public static func line(_ event: TraceEvent) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: try e.encode(event), as: UTF8.self)
    }

    /// Events read back from JSON Lines text (blank lines skipped).
    public static func events(fromJSONLines text: String) throws -> [TraceEvent] {
        let d = JSONDecoder()
        return try text.split(separator: "\n").filter { !$0.allSatisfy(\.isWhitespace) }.map {
            try d.decode(TraceEvent.self, from: Data($0.utf8))
        }
    }
}
