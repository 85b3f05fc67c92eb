// CompletionAnswer: the parts of an OpenAI-style completions answer (echo + logprobs) that a
// verification pass needs, read defensively: anything a server sends is data, never trusted to
// have the shape asked for. Also the small answers of /v1/models and the tokenize endpoints.
import Foundation

/// How a server names a token in `tokens` and in the keys of `top_logprobs`.
public enum RemoteTokenKey: Hashable, Sendable {
    /// vLLM with `return_tokens_as_token_ids`: "token_id:123".
    case id(Int)
    /// Everyone else: the token's text.
    case text(String)

    init(_ s: String) {
        if s.hasPrefix("token_id:"), let n = Int(s.dropFirst(9)), n >= 0 { self = .id(n) } else { self = .text(s) }
    }
}

/// One position of the echo: the log-probability of the token at it, and the top alternatives.
public struct EchoPosition: Sendable, Equatable {
    public var tokenLogprob: Double?
    /// The top-K (key, log-probability) pairs, as the server listed them; nil where the server sent null.
    public var top: [RemoteTokenKey: Double]?
}

public struct CompletionAnswer: Sendable, Equatable {
    /// The echoed tokens (prompt, then what was generated), as the server names them.
    public var tokens: [RemoteTokenKey]
    public var positions: [EchoPosition]

    /// Most positions a server may answer with (a bound on what is parsed, not on the context).
    public static let maxPositions = 1 << 20

    /// Parses `choices[0].logprobs` of a completions answer.
    public static func parse(_ body: [UInt8]) throws -> CompletionAnswer {
        let root = try jsonObject(body)
        if let message = errorMessage(root) { throw RemoteError.badAnswer("the server reported an error: \(message)") }
        guard let choices = root["choices"] as? [Any], let first = choices.first as? [String: Any] else {
            throw RemoteError.badAnswer("no choices in the completions answer")
        }
        guard let lp = first["logprobs"] as? [String: Any] else {
            throw RemoteError.noPromptLogprobs("its answer has no logprobs")
        }
        guard let tokens = lp["tokens"] as? [Any], let tokenLPs = lp["token_logprobs"] as? [Any],
              let tops = lp["top_logprobs"] as? [Any] else {
            throw RemoteError.badAnswer("logprobs lacks tokens, token_logprobs or top_logprobs")
        }
        guard tokens.count == tokenLPs.count, tokens.count == tops.count, tokens.count <= maxPositions else {
            throw RemoteError.badAnswer("logprobs lists differ in length (\(tokens.count) tokens, \(tokenLPs.count) token_logprobs, \(tops.count) top_logprobs)")
        }
        var keys: [RemoteTokenKey] = []
        var positions: [EchoPosition] = []
        keys.reserveCapacity(tokens.count)
        for i in 0..<tokens.count {
            guard let t = tokens[i] as? String else { throw RemoteError.badAnswer("token \(i) is not a string") }
            keys.append(RemoteTokenKey(t))
            let tlp = try logprob(tokenLPs[i], what: "token_logprobs[\(i)]")
            var top: [RemoteTokenKey: Double]?
            if let dict = tops[i] as? [String: Any] {
                var m: [RemoteTokenKey: Double] = [:]
                for (k, v) in dict {
                    guard let x = try logprob(v, what: "top_logprobs[\(i)]") else { continue }
                    m[RemoteTokenKey(k)] = x
                }
                top = m
            } else if !(tops[i] is NSNull) {
                throw RemoteError.badAnswer("top_logprobs[\(i)] is neither an object nor null")
            }
            positions.append(EchoPosition(tokenLogprob: tlp, top: top))
        }
        return CompletionAnswer(tokens: keys, positions: positions)
    }

    /// A log-probability: a number <= 0 (a little above 0 is rounding), or null.
    static func logprob(_ v: Any, what: String) throws -> Double? {
        if v is NSNull { return nil }
        guard let n = v as? NSNumber, !(v is Bool) else { throw RemoteError.badAnswer("\(what) is not a number") }
        let x = n.doubleValue
        guard x.isFinite || x == -.infinity, x <= 1e-3 else { throw RemoteError.badAnswer("\(what) = \(x) is not a log-probability") }
        return min(x, 0)
    }

    // MARK: small answers

    static func jsonObject(_ body: [UInt8]) throws -> [String: Any] {
        let obj: Any
        do { obj = try JSONSerialization.jsonObject(with: Data(body)) } catch {
            let head = String(decoding: body.prefix(60), as: UTF8.self)
            throw RemoteError.badAnswer("not JSON (it begins \(head.debugDescription.escapingControlCharacters))")
        }
        guard let dict = obj as? [String: Any] else { throw RemoteError.badAnswer("the JSON answer is not an object") }
        return dict
    }

    /// The message of an OpenAI-style error answer ({"error": {"message": ...}} or {"detail": ...}),
    /// control characters escaped and cut to one short line.
    public static func errorMessage(_ root: [String: Any]) -> String? {
        var m: String?
        if let e = root["error"] as? [String: Any] { m = e["message"] as? String ?? "\(e)" }
        else if let e = root["error"] as? String { m = e }
        else if let d = root["detail"] as? String { m = d }
        else if let d = root["detail"] as? [Any], let f = d.first as? [String: Any] { m = f["msg"] as? String ?? "\(f)" }
        else if let d = root["message"] as? String, root["object"] as? String == "error" { m = d }
        guard let m else { return nil }
        let line = m.escapingControlCharacters
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
    }

    /// The error message in a body, if it is JSON and carries one.
    public static func errorMessage(body: [UInt8]) -> String? {
        (try? jsonObject(body)).flatMap { errorMessage($0) }
    }

    /// The model names of a /v1/models answer.
    public static func modelNames(_ body: [UInt8]) throws -> [String] {
        let root = try jsonObject(body)
        guard let data = root["data"] as? [Any] else { throw RemoteError.badAnswer("/v1/models has no data list") }
        return data.compactMap { ($0 as? [String: Any])?["id"] as? String }
    }

    /// The ids of a tokenize answer ({"tokens": [...]}).
    public static func tokenIDs(_ body: [UInt8]) throws -> [Int] {
        let root = try jsonObject(body)
        guard let list = root["tokens"] as? [Any] else { throw RemoteError.badAnswer("the tokenize answer has no tokens") }
        return try list.map {
            guard let n = $0 as? NSNumber, !($0 is Bool), let i = Int(exactly: n.doubleValue), i >= 0 else {
                throw RemoteError.badAnswer("the tokenize answer has a token that is not an id")
            }
            return i
        }
    }
}

/// The body of a verification request: the prompt, one generated token, and the top K at every position.
struct CompletionRequest: Encodable {
    enum Prompt: Encodable {
        case ids([Int])
        case text(String)
        func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .ids(let ids): try c.encode(ids)
            case .text(let t): try c.encode(t)
            }
        }
    }
    let model: String
    let prompt: Prompt
    var max_tokens = 1
    var temperature = 0
    var echo = true
    let logprobs: Int
    /// vLLM: name tokens "token_id:N" (left out for the others).
    let return_tokens_as_token_ids: Bool?

    var json: String {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: (try? e.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
