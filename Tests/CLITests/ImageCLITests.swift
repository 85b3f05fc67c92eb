// End-to-end checks of the image model in the command line: generate --png (a valid PNG of the
// right size, the same bytes for the same seed), its JSON and unseen-prompt note, the fused model
// without SmolLM2, models --json prompts, and bench decoders' quality and projection on two prompts.
import Foundation
import Testing
import TokenloomModels
import TokenloomTestSupport

@Suite struct ImageCLITests {
    static func tempPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tokenloom-imgcli-\(getpid())-\(name)").path
    }

    /// CRC-32 (ISO-HDLC, the PNG chunk checksum) by its bitwise definition.
    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return ~c
    }

    static func be32(_ b: [UInt8], _ i: Int) -> Int {
        Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
    }

    /// Walks the PNG's chunks, checking signature, every CRC, IHDR first and IEND last; returns IHDR's
    /// (width, height, bit depth, colour type).
    static func parsePNG(_ b: [UInt8]) -> (width: Int, height: Int, depth: UInt8, colour: UInt8)? {
        guard b.count > 8, Array(b[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { return nil }
        var i = 8
        var types: [String] = []
        var ihdr: (Int, Int, UInt8, UInt8)?
        while i + 12 <= b.count {
            let n = be32(b, i)
            guard i + 12 + n <= b.count else { return nil }
            let type = String(decoding: b[(i + 4)..<(i + 8)], as: UTF8.self)
            guard crc32(b[(i + 4)..<(i + 8 + n)]) == UInt32(be32(b, i + 8 + n)) else { return nil }
            if type == "IHDR" {
                guard n == 13 else { return nil }
                ihdr = (be32(b, i + 8), be32(b, i + 12), b[i + 16], b[i + 17])
            }
            types.append(type)
            i += 12 + n
        }
        guard i == b.count, types.first == "IHDR", types.last == "IEND", types.contains("IDAT") else { return nil }
        return ihdr
    }

    @Test(arguments: [("sjd2", 3), ("ar", 1), ("sjd", 8)])
    func generatePNGIsValidAndSixteenTimesScaleSquare(decoder: String, scale: Int) throws {
        let path = Self.tempPath("\(decoder)-\(scale).png")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try CLIRunner.run(["generate", "--model", "builtin:emoji", "--prompt", "grinning face", "--decoder", decoder,
                                   "--png", path, "--scale", "\(scale)"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("forward passes"))
        #expect(r.stdout.contains("wrote \(path)"))
        let bytes = try #require(FileManager.default.contents(atPath: path))
        let ihdr = try #require(Self.parsePNG([UInt8](bytes)), "not a valid PNG")
        #expect(ihdr.width == 16 * scale && ihdr.height == 16 * scale)
        #expect(ihdr.depth == 8 && ihdr.colour == 2)
    }

    @Test func sameSeedSamePNGBytes() throws {
        var pngs: [Data] = []
        for run in 0..<2 {
            let path = Self.tempPath("seed-\(run).png")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let r = try CLIRunner.run(["generate", "--model", "builtin:emoji", "--prompt", "red apple", "--decoder", "sjd",
                                       "--init", "repeat", "--seed", "11", "--png", path])
            #expect(r.status == 0, "stderr: \(r.stderr)")
            pngs.append(try #require(FileManager.default.contents(atPath: path)))
        }
        #expect(pngs[0] == pngs[1])
    }

    @Test func jsonHasTheStatsAndImageInfo() throws {
        let path = Self.tempPath("json.png")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try CLIRunner.run(["generate", "--model", "builtin:emoji", "--prompt", "cat face", "--decoder", "sjd2",
                                   "--levels", "10", "--json", "--png", path])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        for key in ["decoder", "prompt_tokens", "tokens", "forward_passes", "tokens_per_pass", "wall_ms", "tokens_per_s",
                    "drafted", "accepted", "acceptance_rate", "image"] {
            #expect(obj[key] != nil, "missing \(key)")
        }
        #expect((obj["tokens"] as? [Int])?.count == 256)
        #expect((obj["tokens"] as? [Int])?.allSatisfy { (0..<64).contains($0) } == true)
        let image = try #require(obj["image"] as? [String: Any])
        #expect(image["png"] as? String == path)
        #expect(image["prompt_trained"] as? Bool == true)
        #expect(image["width"] as? Int == 128)
        let pe = try #require(image["pixel_error"] as? Double)
        #expect(pe >= 0 && pe <= 255)
        let nearest = try #require(image["nearest_reference"] as? String)
        let w = try ImageARWeights(file: try GGUFFile(path: try ModelStore.resolve("builtin:emoji")))
        #expect(w.prompts.contains(nearest))
    }

    @Test func unseenPromptSaysItWasNotInTraining() throws {
        let prompt = "a purple giraffe on roller skates"
        let text = try CLIRunner.run(["generate", "--model", "builtin:emoji", "--prompt", prompt])
        #expect(text.status == 0, "stderr: \(text.stderr)")
        #expect(text.stdout.contains("not in training"))
        let json = try CLIRunner.run(["generate", "--model", "builtin:emoji", "--prompt", prompt, "--json"])
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let image = try #require(obj["image"] as? [String: Any])
        #expect(image["prompt_trained"] as? Bool == false)
        #expect(image["pixel_error"] == nil)
        #expect((image["note"] as? String)?.contains("not in training") == true)
    }

    @Test func fusedModelWithoutSmolLM2FailsWithOneLine() throws {
        let dir = Self.tempPath("empty-cache")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try CLIRunner.run(["generate", "--model", "builtin:emoji-fused", "--prompt", "grinning face"],
                                  environment: ["TOKENLOOM_MODEL_DIR": dir])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr was: \(r.stderr)")
        #expect(r.stderr.contains("tokenloom fetch smollm2"))
    }

    @Test(arguments: [["--decoder", "cntp"], ["--decoder", "lookahead"], ["--scale", "0"], ["--scale", "65"],
                      ["--decoder", "jacobi", "--temperature", "1e-38"], ["--samples", "2"]])
    func imageUsageErrorsExit2(extra: [String]) throws {
        let r = try CLIRunner.run(["generate", "--model", "builtin:emoji", "--prompt", "sun"] + extra)
        #expect(r.status == 2, "stderr: \(r.stderr)")
        #expect(r.stderr.hasPrefix("tokenloom: "))
    }

    @Test func modelsJSONListsTheTrainedPrompts() throws {
        let r = try CLIRunner.run(["models", "--json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        let emoji = try #require(list.first { $0["name"] as? String == "builtin:emoji" })
        let prompts = try #require(emoji["prompts"] as? [String])
        let w = try ImageARWeights(file: try GGUFFile(path: try ModelStore.resolve("builtin:emoji")))
        #expect(!prompts.isEmpty)
        #expect(prompts == w.prompts)
    }

    @Test func benchDecodersOnTwoImagePromptsReportsQualityAndProjection() throws {
        let file = Self.tempPath("prompts.txt")
        try "faces: grinning face\nweather: sun\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let r = try CLIRunner.run(["bench", "decoders", "--model", "builtin:emoji", "--prompts", file,
                                   "--decoders", "sjd-repeat,sjd2", "--json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let summary = try #require(obj["summary"] as? [[String: Any]])
        #expect(summary.map { $0["decoder"] as? String } == ["ar", "sjd-repeat", "sjd2"])
        for s in summary {
            for key in ["forward_passes", "tokens_per_pass", "wall_ms", "cpu_ms_per_image", "speedup_passes", "speedup_wall",
                        "speedup_cpu", "projected_ms_per_image", "quality"] {
                #expect(s[key] != nil, "\(s["decoder"] ?? "?") misses \(key)")
            }
            let q = try #require(s["quality"] as? [String: Any])
            #expect(q["retrieval_accuracy"] is Double && q["mean_pixel_error"] is Double)
            #expect(q["scored_runs"] as? Int == 2)
        }
        let ar = try #require(summary.first)
        #expect(ar["forward_passes"] as? Int == 2 * 256)
        #expect(ar["speedup_passes"] as? Double == 1)
        let projection = try #require(obj["projection"] as? [String: Any])
        let msPerPass = try #require(projection["ms_per_pass"] as? Double)
        #expect(abs(msPerPass - 14.0 / 3350 * 1000) < 1e-9)
        #expect((projection["note"] as? String)?.contains("projection") == true)
        let costs = try #require(obj["pass_cost"] as? [[String: Any]])
        #expect(costs.compactMap { $0["k"] as? Int } == [1, 16, 80])
        #expect(costs.allSatisfy { ($0["cpu_ms"] as? Double ?? 0) > 0 && ($0["wall_ms"] as? Double ?? 0) > 0 })
        #expect(costs.first?["relative"] as? Double == 1)

        let text = try CLIRunner.run(["bench", "decoders", "--model", "builtin:emoji", "--prompts", file,
                                      "--decoders", "sjd"])
        #expect(text.status == 0, "stderr: \(text.stderr)")
        #expect(text.stdout.contains("retrieval") && text.stdout.contains("projected"))
        #expect(text.stdout.contains("not a measurement"))
    }
}
