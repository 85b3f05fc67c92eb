// ScenarioFile: a scenario and its guided tour read from a TOML file (examples/*.toml; the keys are
// documented in examples/README.md). Errors are one line: file:line:column for TOML syntax, the
// full key path for unknown keys and bad values.
import Foundation
import TOMLKit
import TokenloomDecoding
import TokenloomModels

public enum ScenarioFileError: UserFacingError, Sendable, Equatable {
    case notFound(String)
    case syntax(file: String, line: Int, column: Int, message: String)
    case unknownKey(file: String, key: String)
    case badValue(file: String, key: String, why: String)
    case missing(file: String, key: String)

    public var description: String {
        switch self {
        case .notFound(let f): return "\(f): no such scenario file"
        case .syntax(let f, let l, let c, let m): return "\(f):\(l):\(c): scenario syntax error: \(m)"
        case .unknownKey(let f, let k): return "\(f): unknown scenario key '\(k)'"
        case .badValue(let f, let k, let why): return "\(f): scenario key '\(k)' \(why)"
        case .missing(let f, let k): return "\(f): scenario key '\(k)' is required"
        }
    }

    public var exitCode: Int32 { ExitStatus.badData }
}

public struct ScenarioFile: Sendable, Equatable {
    /// The file it came from (as given), for messages.
    public var path: String
    public var title: String
    /// One line for `tokenloom tour`'s list.
    public var summary: String
    public var scenario: Scenario
    /// Pane titles by decoder index (the decoder's own name where the file gives no label).
    public var labels: [String]
    public var tour: [TourStop]

    /// The file's name without folder and extension ("01-jacobi-vs-ar").
    public var name: String { ((path as NSString).lastPathComponent as NSString).deletingPathExtension }

    public static func load(path: String) throws -> ScenarioFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw ScenarioFileError.notFound(path) }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ScenarioFileError.syntax(file: path, line: 1, column: 1, message: "not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    static let topKeys: Set<String> = ["title", "summary", "model", "prompt", "chat", "seed", "max_tokens",
                                       "threads", "decoders", "tour"]
    static let decoderKeys: Set<String> = ["name", "label", "window", "init", "temperature", "top_k", "top_p",
                                           "levels", "model"]
    static let stopKeys: Set<String> = ["pass", "event", "decoder", "note"]

    /// Parses a scenario file's text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws -> ScenarioFile {
        let root: TOMLTable
        if let problem = TOMLGuard.firstProblem(text) {
            throw ScenarioFileError.syntax(file: file, line: problem.line, column: problem.column, message: problem.message)
        }
        do { root = try TOMLTable(string: text) } catch let e as TOMLParseError {
            throw ScenarioFileError.syntax(file: file, line: e.source.begin.line, column: e.source.begin.column,
                                           message: e.description)
        }
        let r = Reader(file: file)
        try r.onlyKnown(root, topKeys, prefix: "")
        let title = try r.string(root, "title", prefix: "") ?? ""
        guard !title.isEmpty else { throw ScenarioFileError.missing(file: file, key: "title") }
        let prompt = try r.string(root, "prompt", prefix: "") ?? ""
        guard !prompt.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ScenarioFileError.missing(file: file, key: "prompt")
        }
        let model = try r.string(root, "model", prefix: "") ?? ""
        guard !model.isEmpty else { throw ScenarioFileError.missing(file: file, key: "model") }
        let seed = try r.int(root, "seed", prefix: "", in: 0...Int.max) ?? Int(DecoderRegistry.defaultSeed)
        let maxTokens = try r.int(root, "max_tokens", prefix: "", in: Scenario.maxTokensRange) ?? 64
        let threads = try r.int(root, "threads", prefix: "", in: Scenario.threadsRange)

        var decoders: [ScenarioPane] = []
        var labels: [String] = []
        for (i, t) in try r.tables(root, "decoders").enumerated() {
            let p = "decoders[\(i + 1)]."
            try r.onlyKnown(t, decoderKeys, prefix: p)
            guard let name = try r.string(t, "name", prefix: p), !name.isEmpty else {
                throw ScenarioFileError.missing(file: file, key: p + "name")
            }
            let entry: DecoderEntry
            do { entry = try DecoderRegistry.lookup(name) } catch {
                throw ScenarioFileError.badValue(file: file, key: p + "name", why: "is not a decoder: \(error)")
            }
            var c = DecoderSpec(kind: entry.kind)
            c.window = try r.int(t, "window", prefix: p, in: DecoderSpec.windowRange)
            c.temperature = try r.double(t, "temperature", prefix: p, in: DecoderSpec.temperatureRange)
            c.topK = try r.int(t, "top_k", prefix: p, in: DecoderSpec.topKRange) ?? 0
            c.topP = try r.double(t, "top_p", prefix: p, in: 0...1) ?? 1
            if c.topP <= 0 { throw ScenarioFileError.badValue(file: file, key: p + "top_p", why: "must be above 0, got \(c.topP)") }
            c.levels = try r.int(t, "levels", prefix: p, in: DecoderSpec.levelsRange)
            if let s = try r.string(t, "init", prefix: p) {
                guard s == "random" || s == "repeat" else {
                    throw ScenarioFileError.badValue(file: file, key: p + "init", why: "must be \"random\" or \"repeat\", got \"\(s.escapingControlCharacters)\"")
                }
                c.initRandom = s == "random"
            }
            let label = try r.string(t, "label", prefix: p)
            decoders.append(ScenarioPane(c, label: label, model: try r.string(t, "model", prefix: p)))
            labels.append(label ?? entry.title)
        }
        guard (1...4).contains(decoders.count) else {
            throw ScenarioFileError.badValue(file: file, key: "decoders", why: "needs 1 to 4 [[decoders]] tables, got \(decoders.count)")
        }

        var stops: [TourStop] = []
        for (i, t) in try r.tables(root, "tour").enumerated() {
            let p = "tour[\(i + 1)]."
            try r.onlyKnown(t, stopKeys, prefix: p)
            var stop = TourStop(note: try r.string(t, "note", prefix: p) ?? "")
            guard !stop.note.isEmpty else { throw ScenarioFileError.missing(file: file, key: p + "note") }
            stop.pass = try r.int(t, "pass", prefix: p, in: 0...Scenario.maxTokensRange.upperBound)
            if let e = try r.string(t, "event", prefix: p) {
                guard let ev = TourEvent(rawValue: e) else {
                    throw ScenarioFileError.badValue(file: file, key: p + "event",
                        why: "must be one of \(TourEvent.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), got \"\(e)\"")
                }
                stop.event = ev
            }
            guard stop.pass != nil || stop.event != nil else { throw ScenarioFileError.missing(file: file, key: p + "pass' or '" + p + "event") }
            if let d = try r.string(t, "decoder", prefix: p) {
                guard labels.contains(d) else {
                    throw ScenarioFileError.badValue(file: file, key: p + "decoder",
                        why: "names no pane (panes: \(labels.joined(separator: ", "))), got \"\(d)\"")
                }
                stop.decoder = d
            }
            stops.append(stop)
        }
        let scenario = Scenario(modelRef: model, prompt: prompt, chat: try r.bool(root, "chat", prefix: "") ?? false,
                                decoders: decoders, seed: UInt64(seed), maxNewTokens: maxTokens, threads: threads)
        return ScenarioFile(path: file, title: title, summary: try r.string(root, "summary", prefix: "") ?? "",
                            scenario: scenario, labels: labels, tour: stops)
    }

    /// Typed reads with one-line errors naming the key.
    struct Reader {
        let file: String

        func onlyKnown(_ t: TOMLTable, _ known: Set<String>, prefix: String) throws {
            for k in t.keys.sorted() where !known.contains(k) {
                throw ScenarioFileError.unknownKey(file: file, key: prefix + k)
            }
        }
        func string(_ t: TOMLTable, _ k: String, prefix: String) throws -> String? {
            guard let v = t[k] else { return nil }
            guard let s = v.string else { throw bad(prefix + k, "wants a string", v) }
            return s
        }
        func bool(_ t: TOMLTable, _ k: String, prefix: String) throws -> Bool? {
            guard let v = t[k] else { return nil }
            guard let b = v.bool else { throw bad(prefix + k, "wants true or false", v) }
            return b
        }
        func int(_ t: TOMLTable, _ k: String, prefix: String, in range: ClosedRange<Int>) throws -> Int? {
            guard let v = t[k] else { return nil }
            guard let i = v.int else { throw bad(prefix + k, "wants a whole number", v) }
            guard range.contains(i) else {
                throw ScenarioFileError.badValue(file: file, key: prefix + k, why: "must be in \(range.lowerBound)...\(range.upperBound), got \(i)")
            }
            return i
        }
        func double(_ t: TOMLTable, _ k: String, prefix: String, in range: ClosedRange<Double>) throws -> Double? {
            guard let v = t[k] else { return nil }
            guard let d = v.double ?? v.int.map(Double.init) else { throw bad(prefix + k, "wants a number", v) }
            guard d.isFinite, range.contains(d) else {
                throw ScenarioFileError.badValue(file: file, key: prefix + k, why: "must be in \(range.lowerBound)...\(range.upperBound), got \(d)")
            }
            return d
        }
        /// An array of tables (`[[name]]`); empty when absent.
        func tables(_ t: TOMLTable, _ k: String) throws -> [TOMLTable] {
            guard let v = t[k] else { return [] }
            guard let a = v.array else { throw bad(k, "wants [[\(k)]] tables", v) }
            return try a.enumerated().map { i, e in
                guard let tt = e.table else { throw bad("\(k)[\(i + 1)]", "wants a table", e) }
                return tt
            }
        }
        func bad(_ key: String, _ want: String, _ v: TOMLValueConvertible) -> ScenarioFileError {
            .badValue(file: file, key: key, why: "\(want), got \(v.type)")
        }
    }
}
