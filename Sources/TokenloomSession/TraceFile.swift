// TraceFile: reads a trace written by `tokenloom generate --trace` (JSON Lines, one TraceEvent a
// line, optionally opened by a header {"trace": "tokenloom", "version": 1, ...}) into the steps a
// ReplayDecoder plays back. Errors name the file and line.
import Foundation
import TokenloomDecoding
import TokenloomModels

public enum TraceFileError: UserFacingError, Sendable {
    public var exitCode: Int32 { ExitStatus.badData }
    case unreadable(String)
    case empty(String)
    case badLine(file: String, line: Int, detail: String)
    case version(file: String, found: Int, supported: Int)

    public var description: String {
        switch self {
        case .unreadable(let f): return "\(f): cannot read the trace file"
        case .empty(let f): return "\(f): the trace has no events"
        case .badLine(let f, let l, let d): return "\(f):\(l): not a trace event (\(d))"
        case .version(let f, let v, let s): return "\(f): trace version \(v) is not supported (this tokenloom reads version \(s))"
        }
    }
}

public struct TraceFile: Sendable {
    public static let version = 1
    /// The decoder that wrote it (from the header, else guessed from the events it emitted).
    public var decoder: String
    /// Tokens of the prompt when the header lists them, else as many -1 as the prefill covered.
    public var prompt: [Int]
    public var steps: [[TraceEvent]]

    public static func read(path: String) throws -> TraceFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw TraceFileError.unreadable(path) }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    public static func parse(_ text: String, file: String) throws -> TraceFile {
        let decoder = JSONDecoder()
        var events: [TraceEvent] = []
        var headerName: String?
        var headerPrompt: [Int]?
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let bytes = Data(line.utf8)
            if events.isEmpty, let obj = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any], obj["event"] == nil,
               obj["trace"] != nil {
                let v = obj["version"] as? Int ?? version
                guard v == version else { throw TraceFileError.version(file: file, found: v, supported: version) }
                headerName = obj["decoder"] as? String
                headerPrompt = obj["prompt_tokens"] as? [Int]
                continue
            }
            let event: TraceEvent
            do { event = try decoder.decode(TraceEvent.self, from: bytes) } catch {
                throw TraceFileError.badLine(file: file, line: i + 1, detail: describe(error))
            }
            if let why = outOfRange(event) { throw TraceFileError.badLine(file: file, line: i + 1, detail: why) }
            events.append(event)
        }
        guard !events.isEmpty else { throw TraceFileError.empty(file) }
        var prompt = headerPrompt ?? []
        if prompt.isEmpty, case .forward(0, let n, _)? = events.first { prompt = Array(repeating: -1, count: max(1, n)) }
        if prompt.isEmpty { prompt = [-1] }
        return TraceFile(decoder: headerName ?? guessDecoder(events), prompt: prompt, steps: ReplayDecoder.split(events))
    }

    /// The bounds a recorded event must keep, so that a replay never allocates or draws without limit.
    public static let positionLimit = 1 << 24, countLimit = 1 << 16, trialLimit = 1024, gateLimit = 4096

    /// Why `e` is outside what any decoder writes, or nil.
    static func outOfRange(_ e: TraceEvent) -> String? {
        func pos(_ x: Int, _ name: String) -> String? {
            (0..<positionLimit).contains(x) ? nil : "'\(name)' \(x) is outside 0..<\(positionLimit)"
        }
        func token(_ x: Int) -> String? { (-1..<positionLimit).contains(x) ? nil : "token \(x) is outside -1..<\(positionLimit)" }
        func num(_ x: Double, _ name: String) -> String? { x.isFinite && abs(x) <= 1e9 ? nil : "'\(name)' \(x) is not a number in ±1e9" }
        func list(_ xs: [Int]) -> String? { xs.count <= countLimit ? xs.lazy.compactMap(token).first : "more than \(countLimit) tokens" }
        func trial(_ t: Int) -> String? { (0..<trialLimit).contains(t) ? nil : "trial \(t) is outside 0..<\(trialLimit)" }
        switch e {
        case .forward(let start, let count, let ms):
            return pos(start, "start") ?? ((1...countLimit).contains(count) ? nil : "count \(count) is outside 1...\(countLimit)") ?? num(ms, "wall_ms")
        case .draft(let p, let t, let q): return pos(p, "position") ?? token(t) ?? num(q, "q")
        case .accept(let p, let t, let pp, let q, let u), .reject(let p, let t, let pp, let q, let u):
            return pos(p, "position") ?? token(t) ?? num(pp, "p") ?? num(q, "q") ?? num(u, "u")
        case .match(let p, let g, let t): return pos(p, "position") ?? token(g) ?? token(t)
        case .resample(let p, let t): return pos(p, "position") ?? token(t)
        case .commit(let start, let tokens): return pos(start, "start") ?? list(tokens)
        case .entropy(let p, let h): return pos(p, "position") ?? num(h, "nats")
        case .alternatives(let p, let tokens, let probs):
            return pos(p, "position") ?? list(tokens) ?? probs.lazy.compactMap { num($0, "probs") }.first
        case .branchOpened(let p, let h, let trials):
            return pos(p, "position") ?? num(h, "entropy") ?? ((1...trialLimit).contains(trials) ? nil : "trials \(trials) is outside 1...\(trialLimit)")
        case .trialToken(let t, let tok, let p): return trial(t) ?? token(tok) ?? num(p, "p")
        case .trialScored(let t, let ppl): return trial(t) ?? num(ppl, "perplexity")
        case .branchChosen(let t): return trial(t)
        case .denoise(let p, let level): return pos(p, "position") ?? ((0...1000).contains(level) ? nil : "level \(level) is outside 0...1000")
        case .fuserGate(let i, let v): return ((0..<gateLimit).contains(i) ? nil : "index \(i) is outside 0..<\(gateLimit)") ?? num(v, "value")
        case .ngram(let p, let tokens, let matched): return pos(p, "position") ?? list(tokens) ?? ((0...countLimit).contains(matched) ? nil : "matched \(matched) is out of range")
        case .finished: return nil
        }
    }

    /// The decoder whose events these look like.
    public static func guessDecoder(_ events: [TraceEvent]) -> String {
        var drafts = false, verdicts = false
        for e in events {
            switch e {
            case .branchOpened, .trialToken: return "CNTP"
            case .denoise: return "SJD2"
            case .ngram: return "Lookahead"
            case .accept, .reject: verdicts = true
            case .match: drafts = true
            case .draft: drafts = true
            default: break
            }
        }
        return verdicts ? "SJD" : drafts ? "Jacobi" : "AR"
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c): return c.underlyingError.map { _ in "invalid JSON" } ?? c.debugDescription
        case DecodingError.keyNotFound(let k, _): return "missing '\(k.stringValue)'"
        case DecodingError.typeMismatch(_, let c): return "wrong type at '\(c.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.valueNotFound(_, let c): return "missing value at '\(c.codingPath.map(\.stringValue).joined(separator: "."))'"
        default: return "\(error)"
        }
    }
}
