// The served-model options on the command line: one-line errors with their exit codes, and Ctrl-C
// cancelling a request in flight to a server that never answers.
import Foundation
import Testing
import TokenloomTestSupport

@Suite struct RemoteCLITests {
    @Test func badServedModelInputIsOneLine() throws {
        let cases: [([String], Int32, String)] = [
            (["generate", "--model", "http://127.0.0.1:9/v1#m"], 2,
             "a served model needs its tokenizer: name a GGUF of the same model with --tokenizer"),
            (["generate", "--model", "http://127.0.0.1/v1#m", "--tokenizer", "smollm2"], 2, "give the port"),
            (["generate", "--model", "https://box:443/v1#m", "--tokenizer", "smollm2"], 2, "https is not supported"),
            (["generate", "--model", "http://127.0.0.1:9/v1#m", "--server", "tgi\u{1b}[2J"], 2, "--server must be vllm, sglang or llamacpp-python"),
            (["generate", "--model", "http://127.0.0.1:9/v1#m", "--top-logprobs", "0"], 2, "--top-logprobs must be in 1...100"),
            (["generate", "--model", "http://127.0.0.1:9/v1#m", "--tokenizer", "smollm2", "--connect-timeout", "1"], 1,
             "cannot reach the inference server at 127.0.0.1:9"),
        ]
        _ = try TestModels.smolLM2()
        for (args, status, message) in cases {
            let r = try CLIRunner.run(args, timeout: 60)
            #expect(r.status == status, "\(args): exit \(r.status): \(r.stderr)")
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1 && !r.stderr.contains("\u{1b}"), "\(r.stderr.debugDescription)")
        }
    }

    @Test func ctrlCCancelsARequestInFlight() throws {
        let dir = NSTemporaryDirectory() + "tokenloom-remote-sigint-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let marker = dir + "/asked"
        // Answers the model list and vLLM's /version; takes the completions request and never answers.
        let server = try FakeHTTPServer { req in
            switch req.path {
            case "/v1/models": return .json(200, #"{"data":[{"id":"smol"}]}"#)
            case "/version": return .json(200, #"{"version":"test"}"#)
            case "/v1/completions":
                FileManager.default.createFile(atPath: marker, contents: Data())
                return .silence
            default: return .json(404, #"{"detail":"Not Found"}"#)
            }
        }
        defer { server.stop() }
        let script = """
        "$0" generate --model "http://127.0.0.1:$2/v1#smol" --tokenizer smollm2 --request-timeout 300 >"$1/out" 2>"$1/err" &
        pid=$!; i=0
        while [ $i -lt 1200 ] && [ ! -e "$1/asked" ] && kill -0 $pid 2>/dev/null; do sleep 0.05; i=$((i+1)); done
        start=$(date +%s%N); kill -INT $pid; wait $pid; echo $? $(( ($(date +%s%N) - start) / 1000000 ))
        """
        _ = try TestModels.smolLM2()
        let run = try Subprocess.run(["/bin/sh", "-c", script, CLIRunner.binary, dir, String(server.port)], timeout: 120)
        let fields = run.stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let err = (try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? ""
        #expect(FileManager.default.fileExists(atPath: marker), "the request never reached the server: \(err)")
        #expect(fields.first == 130, "exit \(run.stdout): \(err)")
        #expect(fields.count == 2 && fields[1] < 2000, "it took \(fields.last ?? -1) ms to stop")
        #expect(err.split(separator: "\n").count == 1 && err.contains("interrupted by SIGINT"), "\(err)")
    }

    /// `generate --json` through a served model says so: the server, its requests, and which numbers are
    /// exact (greedy: the argmax) or a top-K approximation (sampling).
    @Test func generateJSONSaysWhatWasServed() throws {
        // Always the same two candidates, 42 then 43, at every position (vLLM's id dialect).
        let server = try FakeHTTPServer { req in
            switch req.path {
            case "/v1/models": return .json(200, #"{"data":[{"id":"smol"}]}"#)
            case "/v1/completions":
                let ids = (req.json?["prompt"] as? [Int]) ?? []
                let all = ids + [42]
                let entries = all.enumerated().map { e, t in
                    e == 0 ? ("\"token_id:\(t)\"", "null", "null")
                           : ("\"token_id:\(t)\"", t == 42 ? "-0.1" : t == 43 ? "-2.5" : "-9",
                              "{\"token_id:42\":-0.1,\"token_id:43\":-2.5,\"token_id:\(t)\":\(t == 42 ? "-0.1" : t == 43 ? "-2.5" : "-9")}")
                }
                return .json(200, #"{"choices":[{"logprobs":{"tokens":["# + entries.map(\.0).joined(separator: ",")
                             + #"],"token_logprobs":["# + entries.map(\.1).joined(separator: ",") + #"],"top_logprobs":["#
                             + entries.map(\.2).joined(separator: ",") + "]}}]}")
            default: return .json(404, #"{"detail":"Not Found"}"#)
            }
        }
        defer { server.stop() }
        _ = try TestModels.smolLM2()
        let ref = "http://127.0.0.1:\(server.port)/v1#smol"
        let greedy = try CLIRunner.run(["generate", "--model", ref, "--server", "vllm", "--tokenizer", "smollm2", "--prompt", "Hi there",
                                        "--decoder", "jacobi", "--max-tokens", "5", "--json"], timeout: 120)
        #expect(greedy.status == 0, "\(greedy.stderr)")
        let g = try JSONSerialization.jsonObject(with: Data(greedy.stdout.utf8)) as? [String: Any]
        #expect(g?["tokens"] as? [Int] == [42, 42, 42, 42, 42])
        let served = g?["served"] as? [String: Any]
        #expect(served?["model"] as? String == "smol")
        #expect((served?["distributions"] as? String)?.hasPrefix("exact") == true)
        #expect(served?["requests"] as? Int == g?["forward_passes"] as? Int)
        let sampled = try CLIRunner.run(["generate", "--model", ref, "--server", "vllm", "--tokenizer", "smollm2", "--prompt", "Hi there",
                                         "--decoder", "sjd", "--temperature", "1", "--max-tokens", "5", "--json"], timeout: 120)
        #expect(sampled.status == 0, "\(sampled.stderr)")
        let sj = try JSONSerialization.jsonObject(with: Data(sampled.stdout.utf8)) as? [String: Any]
        // Sampling inside the top two: only 42 and 43 can come out.
        let sampledTokens = Set((sj?["tokens"] as? [Int]) ?? [0])
        #expect(sampledTokens.isSubset(of: [42, 43]), "\(sampledTokens)")
        #expect(((sj?["served"] as? [String: Any])?["distributions"] as? String)?.hasPrefix("top-20 approximation") == true)
    }
}
