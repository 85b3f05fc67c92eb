// Determinism (issue 7): the same command with the same seed gives byte-identical traces (fields
// ending `_ms` removed) across two runs and across `--threads 1` and `--threads 2`, for every text
// decoder on SmolLM2, and the same image (JSON without timings) for the image model's decoders.
import Foundation
import Testing
import TokenloomModels
import TokenloomTestSupport

@Suite(.serialized) struct DeterminismTests {
    /// Removes every `"…_ms": number` field (and the rate derived from the wall time) from JSON text.
    static func withoutTimings(_ text: String) -> String {
        let re = try! NSRegularExpression(pattern: #",?\s*"[A-Za-z0-9_]*(_ms|tokens_per_s)"\s*:\s*-?[0-9.eE+-]+"#)
        let ns = text as NSString
        return re.stringByReplacingMatches(in: text, range: NSRange(location: 0, length: ns.length), withTemplate: "")
    }

    @Test func timingFieldsAreRemoved() {
        #expect(Self.withoutTimings(#"{"a":1,"wall_ms":12.5,"b":[2],"step_ms":3e-2}"#) == #"{"a":1,"b":[2]}"#)
    }

    /// One traced generation; returns the trace without timings.
    func trace(_ model: String, decoder: String, threads: Int, run: Int) throws -> String {
        let dir = BadModelFiles.folder("det")
        let path = dir + "/\(decoder)-t\(threads)-\(run).jsonl"
        try? FileManager.default.removeItem(atPath: path)
        var args = ["generate", "--model", model, "--prompt", "The capital of France is", "--decoder", decoder,
                    "--seed", "11", "--max-tokens", "12", "--threads", "\(threads)", "--trace", path, "--json"]
        if decoder == "sjd" || decoder == "cntp" { args += ["--temperature", "0.8"] }
        if decoder == "jacobi" || decoder == "sjd" { args += ["--window", "4"] }
        let r = try CLIRunner.run(args)
        #expect(r.status == 0, "\(decoder) threads \(threads): \(r.stderr)")
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        #expect(!text.isEmpty, "\(decoder): empty trace")
        return Self.withoutTimings(text) + "\n--\n" + Self.withoutTimings(r.stdout)
    }

    @Test(arguments: ["ar", "jacobi", "sjd", "cntp", "lookahead"])
    func textDecoderTracesAreReproducible(_ decoder: String) throws {
        let model = try TestModels.smolLM2()
        let a = try trace(model, decoder: decoder, threads: 1, run: 1)
        let b = try trace(model, decoder: decoder, threads: 1, run: 2)
        let c = try trace(model, decoder: decoder, threads: 2, run: 3)
        #expect(a == b, "\(decoder): two runs with --threads 1 differ")
        #expect(a == c, "\(decoder): --threads 1 and --threads 2 differ")
    }

    @Test(arguments: ["ar", "sjd", "sjd2"])
    func imageDecoderResultsAreReproducible(_ decoder: String) throws {
        func image(_ threads: Int) throws -> String {
            let r = try CLIRunner.run(["generate", "--model", "builtin:emoji", "--prompt", "grinning face",
                                       "--decoder", decoder, "--seed", "5", "--threads", "\(threads)", "--json"])
            #expect(r.status == 0, "\(decoder): \(r.stderr)")
            return Self.withoutTimings(r.stdout)
        }
        let a = try image(1), b = try image(1), c = try image(2)
        #expect(!a.isEmpty)
        #expect(a == b, "\(decoder): two image runs differ")
        #expect(a == c, "\(decoder): --threads 1 and --threads 2 differ")
    }
}
