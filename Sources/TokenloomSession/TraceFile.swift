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
            do { events.append(try decoder.decode(TraceEvent.self, from: bytes)) } catch {
                throw TraceFileError.badLine(file: file, line: i + 1, detail: describe(error))
            }
        }
        guard !events.isEmpty else { throw TraceFileError.empty(file) }
        var prompt = headerPrompt ?? []
        if prompt.isEmpty, case .forward(0, let n, _)? = events.first { prompt = Array(repeating: -1, count: max(1, n)) }
        if prompt.isEmpty { prompt = [-1] }
        return TraceFile(decoder: headerName ?? guessDecoder(events), prompt: prompt, steps: ReplayDecoder.split(events))
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
