// A short deterministic pass of the GGUF fuzzer (the long run is in the closing notes): a crash
// would kill the fuzzer process, a slow input is reported as a hang and fails the run.
import Foundation
import Testing

@Suite struct FuzzSmokeTests {
    @Test func shortDeterministicFuzzPassHasNoCrashOrHang() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let fuzz = URL(fileURLWithPath: CLIRunner.binary).deletingLastPathComponent().appendingPathComponent("tokenloom-fuzz").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: fuzz)
        p.arguments = ["--iterations", "20000", "--seed", "7", "--hang-ms", "2000",
                       "--corpus", repo.appendingPathComponent("Tests/fuzz-corpus").path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit, "fuzzer died: \(text)")
        #expect(p.terminationStatus == 0, "fuzzer reported hangs: \(text)")
        #expect(text.contains("inputs 20000"))
        // The mutations must reach past the header checks sometimes, or the pass proves little.
        #expect(text.contains("parsed") || text.contains("loaded") || text.contains("loader:"))
    }
}
