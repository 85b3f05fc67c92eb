// `bench lossless` end to end on the built-in image model: the decoder that skips SJD's test is
// rejected at N = 30 while AR's first tokens fit the exact distribution; the refusals are one line.
import Foundation
import Testing
import TokenloomTestSupport

@Suite struct BenchLosslessTests {
    struct Report: Decodable {
        struct Decoder: Decodable { let decoder: String; let runs: Int; let holm_p: Double; let differs: Bool; let exact_first_p: Double?; let positions: [Position] }
        struct Position: Decodable { let position: Int; let p: Double }
        let samples: Int
        let decoders: [Decoder]
    }

    @Test func theLossyDecoderIsRejected() throws {
        let r = try CLIRunner.run(["bench", "lossless", "--model", "builtin:emoji", "--prompt", "red heart", "--samples", "30",
                                   "--decoders", "ar,sjd-accept-all", "--json"], timeout: 300)
        #expect(r.status == 0, "\(r.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(r.stdout.utf8))
        #expect(report.samples == 30)
        let ar = try #require(report.decoders.first { $0.decoder == "AR" })
        let lossy = try #require(report.decoders.first { $0.decoder != "AR" })
        #expect(ar.runs == 30 && lossy.runs == 30)
        #expect(ar.positions.isEmpty && ar.holm_p == 1)
        #expect((ar.exact_first_p ?? 0) > 0.001, "AR's first tokens against the model's own distribution: \(String(describing: ar.exact_first_p))")
        #expect(lossy.differs && lossy.holm_p < 1e-6, "Holm p \(lossy.holm_p)")
        #expect(lossy.positions.count == 256)
    }

    @Test func refusalsAreOneLine() throws {
        for (args, mention) in [(["--decoders", "sjd,sjd2"], "must include ar"), (["--samples", "5"], "--samples"),
                                (["--alpha", "2"], "--alpha")] {
            let r = try CLIRunner.run(["bench", "lossless", "--model", "builtin:emoji", "--prompt", "red heart"] + args)
            #expect(r.status == 2, "\(args): exit \(r.status)")
            #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(mention), "\(args): \(r.stderr)")
        }
    }
}
