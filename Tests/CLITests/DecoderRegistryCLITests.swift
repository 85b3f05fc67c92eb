// Issue 11 from the command line: --help lists the registry's decoders, and every command that
// can be asked for a decoder an image model cannot run refuses it with the same one line, exit 2.
import Foundation
import Testing
import TokenloomDecoding
import TokenloomTestSupport

@Suite struct DecoderRegistryCLITests {
    @Test func helpListsTheDecoders() throws {
        for sub in [["generate"], ["tui"], ["bench", "decoders"]] {
            let r = try CLIRunner.run(sub + ["--help"])
            #expect(r.status == 0)
            let help = r.stdout.replacingOccurrences(of: "\n", with: " ").split(separator: " ").joined(separator: " ")
            for name in DecoderRegistry.names { #expect(help.contains(name), "\(sub) --help lacks \(name)") }
        }
    }

    @Test func oneRefusalForADecoderTheModelCannotRun() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokenloom-registry-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let scenario = dir + "/cntp.toml"
        try """
        title = "t"
        model = "builtin:emoji"
        prompt = "red apple"
        [[decoders]]
        name = "cntp"
        """.write(toFile: scenario, atomically: true, encoding: .utf8)
        for decoder in ["cntp", "lookahead"] {
            let runs = [
                try CLIRunner.run(["generate", "--model", "builtin:emoji", "--decoder", decoder]),
                try CLIRunner.run(["tui", "--model", "builtin:emoji", "--decoders", decoder]),
                try CLIRunner.run(["bench", "decoders", "--model", "builtin:emoji", "--decoders", decoder,
                                   "--prompts", dir + "/none.txt"]),
            ]
            let lines = runs.map { $0.stderr }
            for r in runs {
                #expect(r.status == 2, "exit \(r.status): \(r.stderr)")
                #expect(r.stdout.isEmpty)
                #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
                #expect(r.stderr.hasPrefix("tokenloom: \(decoder) does not run on an image model"))
            }
            #expect(Set(lines).count == 1, "different messages: \(lines)")
        }
        let file = try CLIRunner.run(["tour", scenario, "--check"])
        let direct = try CLIRunner.run(["generate", "--model", "builtin:emoji", "--decoder", "cntp"])
        #expect(file.status == 2 && file.stderr == direct.stderr, "\(file.stderr)")
    }

    @Test func unknownDecoderIsOneLineListingTheChoices() throws {
        let r = try CLIRunner.run(["generate", "--decoder", "fast"])
        #expect(r.status == 2)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        for name in DecoderRegistry.names { #expect(r.stderr.contains(name)) }
        #expect(r.stderr.contains("tokenloom generate --help"))
    }
}
