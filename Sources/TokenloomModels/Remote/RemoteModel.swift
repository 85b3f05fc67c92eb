// RemoteModel: a causal model that lives behind an inference server (vLLM, SGLang, llama-cpp-python),
// driven through the OpenAI-compatible completions API. One forward of k positions after a prefix is
// one request: the prefix and the k inputs as the prompt, `echo` + `logprobs: K` + `max_tokens: 1`,
// so the server answers with its top-K log-probabilities at every position. The server keeps the KV
// cache (prefix caching); rolling back is sending a shorter prefix next time.
//
// What comes back is the top K of each distribution, not the whole of it:
//   row [vocab] = the exact log-probability of each token the server named (top K, plus the token at
//                 that position when it was an input), and `RemoteModel.unnamed` everywhere else;
//   Logits.namedMass [rows] = the probability the named tokens hold together.
// So an argmax is exact (the top 1 is always named), and so is p(x) of an echoed draft x; sampling
// and entropy are top-K approximations, and say so.
import TokenloomKernels

public final class RemoteModel: CausalModel, @unchecked Sendable {
    /// The logit given to tokens the server did not name: far below any real one, but finite.
    public static let unnamed: Float = -1e30

    public let endpoint: RemoteEndpoint
    public let flavour: ServerFlavour
    public let options: RemoteOptions
    public let tokenizer: any GGUFTokenizer
    /// The title names the server and that its distributions are its top K.
    public var displayName: String { "\(endpoint.model) @ \(endpoint.host):\(endpoint.port), top \(options.topLogprobs)" }
    public var vocabSize: Int { tokenizer.vocabSize }
    public let contextLength: Int
    public var embeddingDim: Int { 0 }
    /// Checked between poll slices of a request in flight (Ctrl-C in the CLI).
    public var isCancelled: @Sendable () -> Bool
    /// Wall time of the requests so far, and how many there were.
    public private(set) var requestMs: [Double] = []
    /// The token ids of the last request (the prefix and the inputs).
    public private(set) var lastSequence: [Int] = []
    /// Test-only mutant: leave out the named mass, so p is renormalised inside the top K (wrong for
    /// SJD's acceptance test); the tests show it is caught.
    public var renormaliseTopK = false
    var textToID: [String: Int]?
    /// Whether the tokenizer puts BOS before a text (so a text-taking server does too).
    lazy var addsBOS: Bool = tokenizer.bosID != nil && tokenizer.encode("a", addSpecial: true).first == tokenizer.bosID

    public init(endpoint: RemoteEndpoint, tokenizer: any GGUFTokenizer, options: RemoteOptions = RemoteOptions(),
                contextLength: Int = 8192) throws {
        self.endpoint = endpoint; self.tokenizer = tokenizer; self.options = options
        self.contextLength = contextLength
        isCancelled = options.isCancelled
        let served = try RemoteModel.servedModels(endpoint, options)
        guard served.contains(endpoint.model) else { throw RemoteError.modelNotServed(endpoint.model, served: served) }
        flavour = try options.flavour ?? RemoteModel.detectFlavour(endpoint, options)
    }

    public func makeCache() -> KVCache { KVCache(layers: 0, kvDim: 0, capacity: contextLength) }

    public func forward(_ inputs: [ModelInput], cache: KVCache) throws -> Logits {
        var new: [Int] = []
        for i in inputs {
            guard let t = i.token else { throw ModelError.badInput("a remote model takes token ids, not embeddings") }
            guard t >= 0 && t < vocabSize else { throw ModelError.badInput("token id \(t) is outside the vocabulary of \(vocabSize)") }
            new.append(t)
        }
        let n = cache.count
        guard n + new.count <= contextLength else { throw ModelError.contextFull(needed: n + new.count, context: contextLength) }
        let seq = Array(cache.tokens.prefix(n)) + new                    // [L] the whole sequence
        let t0 = MonotonicClock.ms()
        lastSequence = seq
        let answer = try complete(seq)
        requestMs.append(MonotonicClock.ms() - t0)
        let logits = try rows(answer, seq: seq, from: n)
        cache.tokens = seq
        cache.advance(by: new.count)
        return logits
    }

    // MARK: requests

    func request(_ method: String, _ path: String, _ json: String?) throws -> HTTPResponse {
        var attempt = 0
        while true {
            let r = try HTTPClient.send(method: method, host: endpoint.host, port: endpoint.port, path: path,
                                        body: json.map { Array($0.utf8) }, headers: options.headers,
                                        connectTimeout: options.connectTimeout, requestTimeout: options.requestTimeout,
                                        isCancelled: isCancelled)
            // Busy: back off (0.25 s, 0.5 s, 1 s, ...) and try again, a bounded number of times.
            if (r.status == 429 || r.status == 503) && attempt < options.retries {
                let until = MonotonicClock.seconds() + 0.25 * Double(1 << attempt)
                while MonotonicClock.seconds() < until {
                    if isCancelled() { throw RemoteError.cancelled }
                    var ts = timespec(tv_sec: 0, tv_nsec: 20_000_000)
                    nanosleep(&ts, nil)
                }
                attempt += 1
                continue
            }
            return r
        }
    }

    static func servedModels(_ e: RemoteEndpoint, _ o: RemoteOptions) throws -> [String] {
        let r = try HTTPClient.send(method: "GET", host: e.host, port: e.port, path: e.basePath + "/models", body: nil,
                                    headers: o.headers, connectTimeout: o.connectTimeout, requestTimeout: o.requestTimeout,
                                    isCancelled: o.isCancelled)
        guard r.status == 200 else {
            throw RemoteError.httpStatus(r.status, CompletionAnswer.errorMessage(body: r.body) ?? "GET \(e.basePath)/models failed: is this an OpenAI-compatible server?")
        }
        return try CompletionAnswer.modelNames(r.body)
    }

    /// vLLM answers GET /version, SGLang GET /get_model_info, llama-cpp-python POST /extras/tokenize.
    /// Each probe waits at most 10 s: a server that does not know the path answers 404 at once.
    static func detectFlavour(_ e: RemoteEndpoint, _ o: RemoteOptions) throws -> ServerFlavour {
        func status(_ method: String, _ path: String, _ body: String?) throws -> Int {
            do {
                return try HTTPClient.send(method: method, host: e.host, port: e.port, path: path, body: body.map { Array($0.utf8) },
                                           headers: o.headers, connectTimeout: o.connectTimeout,
                                           requestTimeout: min(o.requestTimeout, 10), isCancelled: o.isCancelled).status
            } catch RemoteError.cancelled { throw RemoteError.cancelled } catch { return 0 }
        }
        if try status("POST", "/extras/tokenize", "{\"input\": \"a\"}") == 200 { return .llamacppPython }
        if try status("GET", "/get_model_info", nil) == 200 { return .sglang }
        if try status("GET", "/version", nil) == 200 { return .vllm }
        throw RemoteError.badAnswer("cannot tell which server this is; name it with --server vllm|sglang|llamacpp-python")
    }

    /// The completions request for `seq` (prompt ids, or text for llama-cpp-python, whose server takes text only).
    func completionBody(_ seq: [Int]) -> String {
        let prompt: CompletionRequest.Prompt
        switch flavour {
        case .llamacppPython:
            // Its server adds BOS itself where the model asks for one.
            prompt = .text(promptText(seq.first == tokenizer.bosID && addsBOS ? Array(seq.dropFirst()) : seq))
        case .vllm, .sglang: prompt = .ids(seq)
        }
        return CompletionRequest(model: endpoint.model, prompt: prompt, logprobs: options.topLogprobs,
                                 return_tokens_as_token_ids: flavour == .vllm ? true : nil).json
    }

    func complete(_ seq: [Int]) throws -> CompletionAnswer {
        let r = try request("POST", endpoint.basePath + "/completions", completionBody(seq))
        guard r.status == 200 else {
            let message = CompletionAnswer.errorMessage(body: r.body) ?? ""
            if message.lowercased().contains("logits_all") {
                throw RemoteError.noPromptLogprobs("start llama-cpp-python's server with --logits_all true")
            }
            if r.status == 404 && message.lowercased().contains("model") {
                throw RemoteError.modelNotServed(endpoint.model, served: (try? RemoteModel.servedModels(endpoint, options)) ?? [])
            }
            throw RemoteError.httpStatus(r.status, message)
        }
        return try CompletionAnswer.parse(r.body)
    }

    // MARK: answer -> logits

    /// The text a server names token `id` by: its bytes as UTF-8 with incomplete characters dropped
    /// (what llama-cpp-python and SGLang print); "" for control tokens, which detokenise to nothing.
    func serverText(_ id: Int) -> String {
        if tokenizer.isSpecial(id) { return "" }
        return RemoteModel.utf8DroppingInvalid(tokenizer.bytes(of: id))
    }

    public static func utf8DroppingInvalid(_ bytes: [UInt8]) -> String {
        var out = String.UnicodeScalarView()
        var it = bytes.makeIterator()
        var decoder = UTF8()
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let s): out.append(s)
            case .emptyInput: break loop
            case .error: continue
            }
        }
        return String(out)
    }

    func id(of key: RemoteTokenKey) -> Int? {
        switch key {
        case .id(let n): return n < vocabSize ? n : nil
        case .text(let s):
            if textToID == nil {
                var m: [String: Int] = [:], seen: [String: Int] = [:]
                for i in 0..<vocabSize { let t = serverText(i); seen[t, default: 0] += 1; m[t] = i }
                textToID = m.filter { seen[$0.key] == 1 && !$0.key.isEmpty }
            }
            return textToID![s]
        }
    }

    /// The text a text-taking server reads back as `ids`: special tokens by their stored names (its
    /// tokenizer parses them), the rest by their bytes.
    public func promptText(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        for id in ids { bytes += tokenizer.isSpecial(id) ? Array(tokenizer.tokens[id].utf8) : tokenizer.bytes(of: id) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One entry of the echo: the sequence index of the token it names, and the position whose
    /// distribution it holds (nil: the generated token, which names no input).
    struct Entry { let token: Int?; let predicts: Int }

    /// Which entry is which, for a prompt `seq` of L tokens.
    ///   vLLM, SGLang (the OpenAI layout): entry e names token e and holds the distribution that
    ///     predicts it; e = 0 ... L, the last being the generated token.
    ///   llama-cpp-python 0.3: it drops a leading BOS-id token and skips every later one, and pairs the
    ///     i-th listed token with the distribution after the i-th prompt token. With a leading BOS that
    ///     is the right pairing; without one, entry e names token e but holds the distribution that
    ///     predicts e + 1 (and the generated token is cut off).
    func layout(_ seq: [Int]) -> [Entry] {
        let L = seq.count
        guard flavour == .llamacppPython else {
            return (0...L).map { Entry(token: $0 < L ? $0 : nil, predicts: $0) }
        }
        let start = seq.first == tokenizer.bosID ? 1 : 0
        let listed = Array(start..<L) + [L]                    // sequence indices; L = the generated token
        var out: [Entry] = []
        for (i, t) in listed.enumerated() where i < L {
            if t < L && seq[t] == tokenizer.bosID { continue }
            out.append(Entry(token: t < L ? t : nil, predicts: i + 1))
        }
        return out
    }

    /// Logits rows for positions n ..< seq.count (row j predicts position n + j + 1).
    func rows(_ a: CompletionAnswer, seq: [Int], from n: Int) throws -> Logits {
        let L = seq.count, V = vocabSize, k = L - n
        let entries = layout(seq)
        guard a.positions.count == entries.count else {
            throw RemoteError.roundTrip("the server echoed \(a.positions.count) positions where \(entries.count) were expected for the \(L) tokens sent"
                                        + (flavour == .llamacppPython ? " (llama-cpp-python's server takes text and re-tokenises it)" : ""))
        }
        try checkRoundTrip(a, seq: seq, entries: entries)
        var byPosition: [Int: Int] = [:]                      // position -> entry
        for (e, en) in entries.enumerated() { byPosition[en.predicts] = e }
        var data = [Float](repeating: RemoteModel.unnamed, count: k * V)     // [k, vocab]
        var mass = [Float](repeating: 0, count: k)                            // [k]
        for j in 0..<k {
            let p = n + j + 1                                     // the position row j predicts
            guard let e = byPosition[p], let top = a.positions[e].top else {
                // Servers send null for their first entry (the OpenAI layout's habit); in
                // llama-cpp-python's layout that can be a row a decoder reads.
                if j < k - 1 { continue }
                throw RemoteError.noPromptLogprobs("position \(p) has none"
                    + (flavour == .llamacppPython ? " (start llama-cpp-python's server with --logits_all true; it also leaves out a prompt's first)" : ""))
            }
            var named: [Int: Double] = [:]
            var best = -Double.infinity, bestKnown = -Double.infinity
            for (key, lp) in top {
                best = max(best, lp)
                if let id = id(of: key) { named[id] = lp; bestKnown = max(bestKnown, lp) }
            }
            // The token at the predicted position, when it was an input: its log-probability is
            // exact even when its text is ambiguous, because we know which id we sent.
            if entries[e].token == p, let lp = a.positions[e].tokenLogprob {
                named[seq[p]] = lp; bestKnown = max(bestKnown, lp)
            }
            // An argmax we cannot name would be silently wrong: refuse, except in a prefill's inner
            // rows, which no decoder reads.
            if best > bestKnown && (j == k - 1 || n > 0) {
                throw RemoteError.badAnswer("its most likely token at position \(p) is named by a text that several token ids share; use a server that names tokens by id (vLLM)")
            }
            var s = 0.0
            for (id, lp) in named { data[j * V + id] = Float(lp); s += _expD(lp) }
            mass[j] = Float(min(1, s))
        }
        var out = Logits(rows: k, vocab: V, data: data)
        if !renormaliseTopK { out.namedMass = mass }
        return out
    }

    /// The server must have read the ids we meant: each entry names the token we sent there.
    func checkRoundTrip(_ a: CompletionAnswer, seq: [Int], entries: [Entry]) throws {
        for (e, key) in a.tokens.enumerated() {
            guard let i = entries[e].token else { continue }
            switch key {
            case .id(let n) where n != seq[i]:
                throw RemoteError.roundTrip("position \(i) is id \(n) at the server, \(seq[i]) here")
            case .text(let s) where !s.isEmpty && s != serverText(seq[i]):
                throw RemoteError.roundTrip("position \(i) reads \(s.debugDescription.escapingControlCharacters) at the server, "
                                            + "\(serverText(seq[i]).debugDescription.escapingControlCharacters) here"
                                            + (flavour == .llamacppPython ? " (llama-cpp-python's server takes text and re-tokenises it)" : ""))
            default: break
            }
        }
    }
}

/// Which server: each takes the prompt and names tokens its own way.
public enum ServerFlavour: String, CaseIterable, Sendable {
    case vllm, sglang
    case llamacppPython = "llamacpp-python"
}

public struct RemoteOptions: Sendable {
    public var flavour: ServerFlavour?
    public var topLogprobs = 20
    public var connectTimeout = 5.0
    public var requestTimeout = 120.0
    public var retries = 4
    /// Extra request headers (an Authorization bearer from TOKENLOOM_API_KEY).
    public var headers: [(String, String)] = []
    /// Polled while a request is in flight; true cancels it (the CLI's Ctrl-C).
    public var isCancelled: @Sendable () -> Bool = { false }
    public init(flavour: ServerFlavour? = nil, topLogprobs: Int = 20, connectTimeout: Double = 5, requestTimeout: Double = 120) {
        self.flavour = flavour; self.topLogprobs = topLogprobs
        self.connectTimeout = connectTimeout; self.requestTimeout = requestTimeout
    }
}

/// `http://HOST:PORT/v1#MODEL_NAME`.
public struct RemoteEndpoint: Sendable, Equatable {
    public let host: String
    public let port: Int
    public let basePath: String
    public let model: String

    public static func isRemote(_ ref: String) -> Bool { ref.hasPrefix("http://") || ref.hasPrefix("https://") }

    public init(_ ref: String) throws {
        guard !ref.hasPrefix("https://") else {
            throw RemoteError.badReference("https is not supported; reach the server over http (on a LAN, or through an SSH tunnel)")
        }
        guard ref.hasPrefix("http://") else { throw RemoteError.badReference("\(ref.debugDescription.escapingControlCharacters) is not http://HOST:PORT/v1#MODEL") }
        let rest = ref.dropFirst("http://".count)
        guard let hash = rest.firstIndex(of: "#"), !rest[rest.index(after: hash)...].isEmpty else {
            throw RemoteError.badReference("name the served model after a #: http://HOST:PORT/v1#MODEL_NAME")
        }
        model = String(rest[rest.index(after: hash)...])
        let url = rest[..<hash]
        let slash = url.firstIndex(of: "/") ?? url.endIndex
        let hostPort = url[..<slash]
        var path = String(url[slash...])
        while path.hasSuffix("/") { path.removeLast() }
        basePath = path.isEmpty ? "/v1" : path
        guard let colon = hostPort.lastIndex(of: ":"), let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else {
            throw RemoteError.badReference("give the port: http://HOST:PORT/v1#MODEL_NAME")
        }
        var h = String(hostPort[..<colon])
        if h.hasPrefix("[") && h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        guard !h.isEmpty, h.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw RemoteError.badReference("the host \(h.debugDescription.escapingControlCharacters) is not a host name")
        }
        host = h; port = p
        guard model.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }), basePath.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw RemoteError.badReference("the model name or path has control characters")
        }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _expD(_ x: Double) -> Double { Glibc.exp(x) }
#else
import Darwin
@inline(__always) func _expD(_ x: Double) -> Double { Darwin.exp(x) }
#endif
