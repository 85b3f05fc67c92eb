// The remote model against a server on loopback that computes with the local SmolLM2 engine (so the
// exact answer is known): greedy AR, Jacobi and Lookahead through it give exactly local AR's tokens,
// SJD's acceptance test sees the exact p(x) of each draft, and every way a server can fail is one
// clear error. The live llama-cpp-python server is tested in CLITests/LiveServerTests.
import Foundation
import Testing
import TokenloomModels
import TokenloomKernels
@testable import TokenloomDecoding
import TokenloomTestSupport

/// A fake vLLM (token ids in, `token_id:N` keys out) or llama-cpp-python (text in and out, the
/// echo shifted by one) in front of a local model.
final class EngineServer: @unchecked Sendable {
    enum Layout { case vllm, llamacppPython }
    let model: CausalModel
    let tokenizer: any GGUFTokenizer
    let layout: Layout
    let lock = NSLock()
    var server: FakeHTTPServer!
    /// Replaces the answer to a completions request (for the failure tests).
    var override: (@Sendable (FakeHTTPServer.Request) -> FakeHTTPServer.Reply?)?

    /// A row's log-probabilities [vocab] and its 100 most likely tokens, best first.
    struct Row { var lp: [Double]; var top: [(Int, Double)] }
    /// Rows by the prefix they follow: the server's own prefix cache, so each request costs its new positions.
    var rowCache: [[Int]: Row] = [:]

    func distributions(_ ids: [Int]) throws -> [Row] {
        if (0..<ids.count).contains(where: { rowCache[Array(ids[0...$0])] == nil }) {
            let logits = try model.forward(tokens: ids, cache: model.makeCache())     // [L, vocab]
            for r in 0..<ids.count where rowCache[Array(ids[0...r])] == nil {
                let row = logits.row(r)
                var m = -Float.infinity
                for v in row where v > m { m = v }
                var z = 0.0
                for v in row { z += exp(Double(v - m)) }
                let lz = log(z) + Double(m)
                let lp = row.map { Double($0) - lz }
                // The top 100 in one pass, kept sorted (best first, lower id first on ties).
                var top: [(Int, Double)] = []
                for i in 0..<lp.count where top.count < 100 || lp[i] > top[top.count - 1].1 {
                    var at = top.count
                    while at > 0 && top[at - 1].1 < lp[i] { at -= 1 }
                    top.insert((i, lp[i]), at: at)
                    if top.count > 100 { top.removeLast() }
                }
                rowCache[Array(ids[0...r])] = Row(lp: lp, top: top)
            }
        }
        return (0..<ids.count).map { rowCache[Array(ids[0...$0])]! }
    }

    init(layout: Layout) throws {
        let path = try TestModels.smolLM2()
        model = try ModelLoader.load(path: path, threads: 2, cacheCapacity: 1024)
        tokenizer = try TokenizerLoader.load(from: try GGUFFile(path: path))
        self.layout = layout
        server = try FakeHTTPServer { [unowned self] req in self.answer(req) }
    }

    deinit { server.stop() }
    var ref: String { "http://127.0.0.1:\(server.port)/v1#smol" }

    func answer(_ req: FakeHTTPServer.Request) -> FakeHTTPServer.Reply {
        switch (req.method, req.path) {
        case ("GET", "/v1/models"): return .json(200, #"{"object":"list","data":[{"id":"smol","object":"model"}]}"#)
        case ("GET", "/version") where layout == .vllm: return .json(200, #"{"version":"0.0-test"}"#)
        case ("POST", "/extras/tokenize") where layout == .llamacppPython: return .json(200, #"{"tokens":[64]}"#)
        case ("POST", "/v1/completions"):
            if let o = override, let r = o(req) { return r }
            return completions(req)
        default: return .json(404, #"{"detail":"Not Found"}"#)
        }
    }

    func completions(_ req: FakeHTTPServer.Request) -> FakeHTTPServer.Reply {
        guard let body = req.json, let k = body["logprobs"] as? Int else { return .json(400, #"{"detail":"bad"}"#) }
        var ids: [Int]
        switch layout {
        case .vllm: ids = (body["prompt"] as? [Int]) ?? []
        case .llamacppPython:
            ids = tokenizer.encode((body["prompt"] as? String) ?? "", addSpecial: true, parseSpecial: true)
        }
        lock.lock(); defer { lock.unlock() }
        let L = ids.count
        guard L > 0, let rows = try? distributions(ids) else { return .json(500, #"{"detail":"forward"}"#) }
        func logSoftmax(_ r: Int) -> Row { rows[r] }
        let next = rows[L - 1].top.first!.0
        let all = ids + [next]
        func name(_ id: Int) -> String {
            layout == .vllm ? "token_id:\(id)" : RemoteModel.utf8DroppingInvalid(tokenizer.isSpecial(id) ? [] : tokenizer.bytes(of: id))
        }
        var tokens: [String] = [], tokenLPs: [String] = [], tops: [String] = []
        func entry(_ token: Int, _ dist: Row?, _ tokenLP: Double?) {
            tokens.append(jsonQuote(name(token)))
            tokenLPs.append(tokenLP.map { "\($0)" } ?? "null")
            guard let dist else { tops.append("null"); return }
            var best = Array(dist.top.prefix(k))
            if let lp = tokenLP, !best.contains(where: { $0.0 == token }) { best.append((token, lp)) }
            tops.append("{" + best.map { "\(jsonQuote(name($0.0))): \($0.1)" }.joined(separator: ",") + "}")
        }
        switch layout {
        case .vllm:
            // OpenAI layout: entry e is token e with the distribution that predicts it; null first.
            for e in 0...L { entry(all[e], e == 0 ? nil : logSoftmax(e - 1), e == 0 ? nil : logSoftmax(e - 1).lp[all[e]]) }
        case .llamacppPython:
            // llama-cpp-python 0.3's: a leading BOS-id token is dropped and later ones skipped; the i-th
            // listed token is paired with the distribution after the i-th prompt token (for SmolLM2,
            // which has no BOS, that is the distribution after the token it names); first entry null.
            let bos = tokenizer.bosID
            let start = ids.first == bos ? 1 : 0
            let listed = Array(all[start...])
            for i in 0..<min(listed.count, L) where listed[i] != bos {
                let first = tokens.isEmpty
                entry(listed[i], first ? nil : logSoftmax(i), first ? nil : logSoftmax(i).lp[listed[i]])
            }
        }
        return .json(200, #"{"id":"x","object":"text_completion","choices":[{"index":0,"text":"","logprobs":{"tokens":["# + tokens.joined(separator: ",")
                     + #"],"token_logprobs":["# + tokenLPs.joined(separator: ",") + #"],"top_logprobs":["# + tops.joined(separator: ",")
                     + #"]}}]}"#)
    }
}

func jsonQuote(_ s: String) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed]), as: UTF8.self).dropFirst().dropLast().description
}

@Suite(.serialized) struct RemoteModelTests {
    static let prompts = [
        "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
        "<|im_start|>user\nGive me three tips for learning to cook.<|im_end|>\n<|im_start|>assistant\n",
    ]

    static func remote(_ s: EngineServer, flavour: ServerFlavour? = nil, options: RemoteOptions = RemoteOptions()) throws -> RemoteModel {
        var o = options
        o.flavour = flavour
        return try RemoteModel(endpoint: try RemoteEndpoint(s.ref), tokenizer: s.tokenizer, options: o, contextLength: 1024)
    }

    @Test func greedyDecodersThroughTheServerEqualLocalAR() throws {
        let server = try EngineServer(layout: .vllm)
        let remote = try Self.remote(server)
        #expect(remote.flavour == .vllm)
        for text in Self.prompts {
            let prompt = server.tokenizer.encode(text, addSpecial: true)
            let s = DecodeSettings(maxNewTokens: 24, isEnd: { server.tokenizer.isEndOfGeneration($0) })
            let local = try AutoregressiveDecoder(model: server.model, prompt: prompt, settings: s)
            try runToEnd(local)
            let localJacobi = try JacobiDecoder(model: server.model, prompt: prompt, settings: s)
            try runToEnd(localJacobi)
            let decoders: [Decoder] = [try AutoregressiveDecoder(model: remote, prompt: prompt, settings: s),
                                       try JacobiDecoder(model: remote, prompt: prompt, settings: s),
                                       try LookaheadDecoder(model: remote, prompt: prompt, settings: s)]
            for d in decoders {
                try runToEnd(d)
                #expect(d.generated == local.generated, "\(d.name) through the server: \(server.tokenizer.decode(d.generated))")
            }
            // Tokens per pass are the decoder's, not the transport's: the same passes as locally.
            #expect(decoders[1].stats.forwardPasses == localJacobi.stats.forwardPasses)
        }
    }

    /// SJD's acceptance test min(1, p(x)/q(x)) uses each draft's exact p, not one renormalised
    /// inside the top K. The power check: with the renormalisation (the plausible mistake) it fails.
    @Test(arguments: [false, true])
    func sjdAcceptanceSeesTheExactDraftProbability(renormalise: Bool) throws {
        let server = try EngineServer(layout: .vllm)
        let remote = try Self.remote(server)
        remote.renormaliseTopK = renormalise
        let prompt = server.tokenizer.encode(Self.prompts[1], addSpecial: true)
        let s = DecodeSettings(maxNewTokens: 16, sampler: SamplerSettings(temperature: 1), seed: 11,
                               isEnd: { server.tokenizer.isEndOfGeneration($0) })
        let sjd = try SJDDecoder(model: remote, prompt: prompt, settings: s, window: 6)
        var tests = 0, exact = 0
        while !sjd.isFinished {
            let events = try sjd.step()
            guard let sent = server.server.requests.last?.json?["prompt"] as? [Int] else { continue }
            let logits = try server.model.forward(tokens: sent, cache: server.model.makeCache())   // [sent, vocab]
            for e in events {
                switch e {
                case .accept(let pos, let x, let p, _, _), .reject(let pos, let x, let p, _, _):
                    // The local model's exact p(x) at this position, given what was sent before it.
                    #expect(sent[pos] == x)
                    let truth = Double(Sampler.softmax(logits.row(pos - 1))[x])
                    tests += 1
                    if abs(truth - p) <= 1e-4 + 1e-3 * truth { exact += 1 }
                default: break
                }
            }
        }
        #expect(tests >= 5)
        if renormalise { #expect(exact < tests, "a renormalised p went unnoticed") } else { #expect(exact == tests) }
    }

    /// llama-cpp-python's server takes text, so it reads the ids back only when their text re-tokenises
    /// to them. Where it does, its shifted echo is read right (AR equals local AR); where it does not
    /// (SmolLM2 writes "\n" "\n", which re-tokenises as one "\n\n"), the run stops with the
    /// round-trip error instead of decoding from the wrong tokens.
    @Test func textServerIsExactWhereTheTextRoundTripsAndRefusesWhereItDoesNot() throws {
        let server = try EngineServer(layout: .llamacppPython)
        let remote = try Self.remote(server)
        #expect(remote.flavour == .llamacppPython)
        let tok = server.tokenizer
        let prompt = tok.encode(Self.prompts[1], addSpecial: true)           // starts with a BOS-id token
        let s = DecodeSettings(maxNewTokens: 12, isEnd: { tok.isEndOfGeneration($0) })
        let local = try AutoregressiveDecoder(model: server.model, prompt: prompt, settings: s)
        try runToEnd(local)
        #expect(tok.encode(remote.promptText(prompt + local.generated), addSpecial: true) == prompt + local.generated,
                "the fixture's continuation must round-trip")
        let ar = try AutoregressiveDecoder(model: remote, prompt: prompt, settings: s)
        try runToEnd(ar)
        #expect(ar.generated == local.generated)
        // "The capital of France is" -> " Paris." "\n" "\n": the second "\n" does not survive as text.
        let france = tok.encode("The capital of France is", addSpecial: true)
        let s2 = DecodeSettings(maxNewTokens: 8, isEnd: { tok.isEndOfGeneration($0) })
        let localFrance = try AutoregressiveDecoder(model: server.model, prompt: france, settings: s2)
        try runToEnd(localFrance)
        let seq = france + localFrance.generated
        guard let cut = (1...seq.count).first(where: { tok.encode(remote.promptText(Array(seq.prefix($0))), addSpecial: true) != Array(seq.prefix($0)) }) else {
            Issue.record("the fixture expected a continuation that does not round-trip"); return
        }
        let remoteFrance = try AutoregressiveDecoder(model: try Self.remote(server), prompt: france, settings: s2)
        #expect(throws: RemoteError.self) { try runToEnd(remoteFrance) }
        #expect(remoteFrance.generated == Array(localFrance.generated.prefix(cut - france.count)),
                "it stops at the first pass whose text does not round-trip")
    }

    // MARK: failures, each one line

    static func failing(_ reply: @escaping @Sendable (FakeHTTPServer.Request) -> FakeHTTPServer.Reply?,
                        options: RemoteOptions = RemoteOptions(connectTimeout: 2, requestTimeout: 2)) throws -> (EngineServer, RemoteModel) {
        let server = try EngineServer(layout: .vllm)
        server.override = reply
        let m = try remote(server, options: options)
        kept = server                                          // alive until the next one (the suite is serial)
        return (server, m)
    }
    /// The fake server of the failure test running now, kept alive while its model is used.
    nonisolated(unsafe) static var kept: EngineServer?

    static func firstForwardError(_ m: RemoteModel) -> String {
        do { _ = try m.forward(tokens: [1, 2, 3], cache: m.makeCache()); return "no error" } catch { return "\(error)" }
    }

    @Test func unreachableServerIsOneLine() throws {
        // A port nobody listens on: bind one, close it, then connect.
        let probe = try FakeHTTPServer { _ in .close }
        let port = probe.port
        probe.stop()
        let e = try RemoteEndpoint("http://127.0.0.1:\(port)/v1#smol")
        let tok = try TokenizerLoader.load(from: try GGUFFile(path: try TestModels.smolLM2()))
        #expect(throws: RemoteError.self) { _ = try RemoteModel(endpoint: e, tokenizer: tok, options: RemoteOptions(connectTimeout: 1)) }
        do { _ = try RemoteModel(endpoint: e, tokenizer: tok, options: RemoteOptions(connectTimeout: 1)) } catch {
            #expect("\(error)".hasPrefix("cannot reach the inference server at 127.0.0.1:\(port)"))
            #expect(!"\(error)".contains("\n"))
        }
    }

    @Test func modelNotServedNamesWhatIs() throws {
        let server = try EngineServer(layout: .vllm)
        let e = try RemoteEndpoint("http://127.0.0.1:\(server.server.port)/v1#llama-70b")
        do { _ = try RemoteModel(endpoint: e, tokenizer: server.tokenizer); Issue.record("no error") } catch {
            #expect("\(error)" == #"the server does not serve a model named "llama-70b"; it serves "smol""#)
        }
    }

    @Test func missingPromptLogprobsNameTheFlag() throws {
        let (_, m) = try Self.failing { _ in .json(200, #"{"choices":[{"text":"x","logprobs":null}]}"#) }
        #expect(Self.firstForwardError(m) == "the server returned no log-probabilities for the prompt: its answer has no logprobs")
        let (_, m2) = try Self.failing { _ in
            .json(500, #"{"error":{"message":"logprobs is not supported for models created with logits_all=False"}}"#)
        }
        #expect(Self.firstForwardError(m2).contains("--logits_all true"))
    }

    @Test func nonJSONAndHostileAnswersAreOneEscapedLine() throws {
        let (_, m) = try Self.failing { _ in .raw(Array("HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n<html>\u{1b}[2J oops".utf8)) }
        let text = Self.firstForwardError(m)
        #expect(text.hasPrefix("the inference server's answer is not usable: not JSON"))
        #expect(!text.contains("\u{1b}"), "an escape sequence from the server reached the message: \(text)")
        let (_, m2) = try Self.failing { _ in .json(400, #"{"error":{"message":"bad\u001b]0;pwned\u0007\nline"}}"#) }
        let text2 = Self.firstForwardError(m2)
        #expect(text2.hasPrefix("the inference server answered HTTP 400: bad"))
        #expect(!text2.unicodeScalars.contains { $0.value < 0x20 })
        let (_, m3) = try Self.failing { _ in .raw(Array("garbage\r\n\r\n".utf8)) }
        #expect(Self.firstForwardError(m3).hasPrefix("the inference server's answer is not usable: the answer is not HTTP"))
        let (_, m4) = try Self.failing { _ in .close }
        #expect(Self.firstForwardError(m4).contains("closed the connection without answering"))
    }

    @Test func idsThatDoNotRoundTripAreRefused() throws {
        let (server, m) = try Self.failing { req in
            // The server reads one token differently.
            nil == req.json ? nil : .json(200, #"{"choices":[{"logprobs":{"tokens":["token_id:1","token_id:9","token_id:3","token_id:4"],"token_logprobs":[null,-1,-1,-1],"top_logprobs":[null,{"token_id:9":-1},{"token_id:3":-1},{"token_id:4":-1}]}}]}"#)
        }
        _ = server
        #expect(Self.firstForwardError(m) == "token ids do not round-trip through the server: position 1 is id 9 at the server, 2 here")
    }

    @Test func busyServerIsRetriedWithBackoffThenAnswered() throws {
        final class Count: @unchecked Sendable { var n = 0; let lock = NSLock() }
        let c = Count()
        let (server, m) = try Self.failing({ _ in
            c.lock.lock(); defer { c.lock.unlock() }
            c.n += 1
            return c.n <= 2 ? .json(503, #"{"detail":"busy"}"#) : nil
        }, options: RemoteOptions(connectTimeout: 2, requestTimeout: 30))
        let logits = try m.forward(tokens: [1, 2, 3], cache: m.makeCache())
        #expect(logits.rows == 3)
        #expect(server.server.requests.filter { $0.path == "/v1/completions" }.count == 3)
        // Always busy: gives up after its retries with the status.
        let (_, m2) = try Self.failing({ _ in .json(429, #"{"detail":"slow down"}"#) }, options: RemoteOptions(connectTimeout: 2, requestTimeout: 30))
        #expect(Self.firstForwardError(m2) == "the inference server answered HTTP 429: slow down")
    }

    @Test func silentServerTimesOutAndCancelStopsARequestInFlight() throws {
        let (_, m) = try Self.failing({ _ in .silence }, options: RemoteOptions(connectTimeout: 2, requestTimeout: 1))
        let t0 = MonotonicClock.seconds()
        #expect(Self.firstForwardError(m).hasPrefix("the inference server did not answer within the request timeout"))
        #expect(MonotonicClock.seconds() - t0 < 10)
        let (_, m2) = try Self.failing({ _ in .silence }, options: RemoteOptions(connectTimeout: 2, requestTimeout: 60))
        let start = MonotonicClock.seconds()
        m2.isCancelled = { MonotonicClock.seconds() - start > 0.5 }
        #expect(Self.firstForwardError(m2) == "the request to the inference server was cancelled")
        #expect(MonotonicClock.seconds() - start < 10)
    }

    @Test func references() throws {
        let e = try RemoteEndpoint("http://gpu-box:8000/v1#meta-llama/Llama-3-8B")
        #expect(e.host == "gpu-box" && e.port == 8000 && e.basePath == "/v1" && e.model == "meta-llama/Llama-3-8B")
        #expect(try RemoteEndpoint("http://[::1]:9/#m").host == "::1")
        for bad in ["http://host/v1#m", "http://host:99999/v1#m", "http://host:80/v1", "https://host:443/v1#m", "http://:80/v1#m"] {
            #expect(throws: RemoteError.self, "\(bad)") { _ = try RemoteEndpoint(bad) }
        }
    }

    @Test func chunkedAnswersAreRead() throws {
        let r = try HTTPClient.parse(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n".utf8), host: "h", port: 1)
        #expect(String(decoding: r.body, as: UTF8.self) == #"{"a":1}"#)
    }
}
