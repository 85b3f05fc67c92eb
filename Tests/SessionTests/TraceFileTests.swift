// TraceFile: reading `generate --trace` output back for replay, and its errors.
import Foundation
import Testing
import TokenloomDecoding
@testable import TokenloomSession

@Suite struct TraceFileTests {
    /// The JSON Lines a real decoder run writes (TraceCoding is what `generate --trace` uses).
    func jsonl(_ d: FakeWindowDecoder) throws -> (String, [TraceEvent]) {
        var events: [TraceEvent] = []
        while !d.isFinished { events += try d.step() }
        return (try events.map { try TraceCoding.line($0) }.joined(separator: "\n") + "\n", events)
    }

    @Test func readsATraceBackIntoTheSameSteps() throws {
        let (text, events) = try jsonl(FakeWindowDecoder(name: "SJD", prompt: [5, 6, 7], seed: 3))
        let t = try TraceFile.parse(text, file: "run.jsonl")
        #expect(t.steps.flatMap { $0 } == events)
        #expect(t.steps.count == events.filter { if case .forward = $0 { return true }; return false }.count)
        #expect(t.decoder == "SJD")
        let replay = ReplayDecoder(name: t.decoder, prompt: t.prompt, steps: t.steps)
        while !replay.isFinished { _ = try replay.step() }
        var committed: [Int] = []
        for e in events { if case .commit(_, let tokens) = e { committed += tokens } }
        #expect(replay.generated == committed)
    }

    @Test func aHeaderNamesTheDecoderAndPrompt() throws {
        let (body, _) = try jsonl(FakeWindowDecoder(name: "SJD", window: 1))
        let t = try TraceFile.parse("{\"trace\":\"tokenloom\",\"version\":1,\"decoder\":\"AR\",\"prompt_tokens\":[1,2,3]}\n" + body, file: "x")
        #expect(t.decoder == "AR" && t.prompt == [1, 2, 3])
    }

    @Test func errorsNameTheFileAndLine() throws {
        let (body, _) = try jsonl(FakeWindowDecoder(name: "SJD"))
        let truncated = String(body.dropLast(12))
        let lines = truncated.split(separator: "\n").count
        do { _ = try TraceFile.parse(truncated, file: "run.jsonl"); Issue.record("no error") } catch {
            #expect("\(error)".hasPrefix("run.jsonl:\(lines): not a trace event"))
        }
        do { _ = try TraceFile.parse("{\"trace\":\"tokenloom\",\"version\":9}\n" + body, file: "run.jsonl"); Issue.record("no error") } catch {
            #expect("\(error)" == "run.jsonl: trace version 9 is not supported (this tokenloom reads version 1)")
        }
        do { _ = try TraceFile.parse("\n\n", file: "e.jsonl"); Issue.record("no error") } catch {
            #expect("\(error)" == "e.jsonl: the trace has no events")
        }
        do { _ = try TraceFile.parse("{\"event\":\"warp\"}\n", file: "w.jsonl"); Issue.record("no error") } catch {
            #expect("\(error)".hasPrefix("w.jsonl:1: not a trace event"))
        }
    }

    @Test func guessesTheDecoderFromItsEvents() {
        #expect(TraceFile.guessDecoder([.forward(start: 0, count: 1, ms: 0), .commit(start: 1, tokens: [2])]) == "AR")
        #expect(TraceFile.guessDecoder([.draft(position: 1, token: 2, q: 1)]) == "Jacobi")
        #expect(TraceFile.guessDecoder([.accept(position: 1, token: 2, p: 1, q: 1, u: 0)]) == "SJD")
        #expect(TraceFile.guessDecoder([.denoise(position: 1, level: 3)]) == "SJD2")
        #expect(TraceFile.guessDecoder([.branchOpened(position: 1, entropy: 1, trials: 2)]) == "CNTP")
        #expect(TraceFile.guessDecoder([.ngram(position: 1, tokens: [1], matched: 0)]) == "Lookahead")
    }
}
