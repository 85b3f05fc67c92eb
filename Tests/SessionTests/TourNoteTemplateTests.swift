// The tour-note template: each key against a hand-built run whose figures are known, the refusals
// (an unknown key or pane, a finish not yet reached, a branch that did not open), and the digit check
// that keeps hard-coded figures out of shipped notes.
import Testing
import TokenloomDecoding
@testable import TokenloomSession

@Suite struct TourNoteTemplateTests {
    /// Two panes over 3 passes. "A" commits 1, 3 and 2 tokens and finishes at pass 3; "B" commits one
    /// token a pass and has not finished. Pass 2 of A: 3 drafts, an acceptance, a rejection, a resample.
    static let run: HeadlessRun = {
        let a: [[TraceEvent]] = [
            [.forward(start: 0, count: 5, ms: 1), .commit(start: 5, tokens: [10])],
            [.forward(start: 5, count: 4, ms: 1), .draft(position: 6, token: 11, q: 0.5), .draft(position: 7, token: 12, q: 0.25),
             .draft(position: 8, token: 13, q: 1),
             .accept(position: 6, token: 11, p: 0.5, q: 0.5, u: 0.9999996), .accept(position: 7, token: 12, p: 0.2, q: 0.25, u: 0.1),
             .reject(position: 8, token: 13, p: 0.5, q: 1, u: 0.5000001), .resample(position: 8, token: 14),
             .commit(start: 6, tokens: [11, 12, 14])],
            [.forward(start: 9, count: 1, ms: 1), .match(position: 9, guess: 7, target: 7), .match(position: 10, guess: 8, target: 9),
             .branchOpened(position: 9, entropy: 1.234, trials: 2), .trialScored(trial: 0, perplexity: 3.5),
             .trialScored(trial: 1, perplexity: 1.25), .branchChosen(trial: 1), .commit(start: 9, tokens: [15, 16])],
        ]
        let b: [[TraceEvent]] = (0..<3).map { [.forward(start: 5 + $0, count: 1, ms: 1), .commit(start: 5 + $0, tokens: [10 + $0 * 2])] }
        return HeadlessRun(names: ["A", "B"], events: [a, b], finishedAt: [3, 3],
                           generated: [[10, 11, 12, 14, 15, 16], [10, 12, 14]], finished: [true, false],
                           samplers: [SamplerSettings(temperature: 0.8, topP: 0.95), nil])
    }()

    func fill(_ note: String, at pass: Int) throws -> String {
        try TourNoteTemplate.fill(note, pass: pass, run: Self.run, presenter: IDPresenter(layout: .image(width: 4, height: 2, firstPosition: 1)),
                                  fuser: [FuserGate(label: "a", value: 0.125), FuserGate(label: "b", value: 0.5)])
    }
    func refusal(_ note: String, at pass: Int) -> String {
        do { return "filled: " + (try fill(note, at: pass)) } catch { return "\(error)" }
    }

    @Test func countsComeFromThePassShown() throws {
        #expect(try fill("{pass} {grid} {gateMin}-{gateMax}", at: 2) == "2 4x2 0.13-0.50")
        #expect(try fill("{committed:A} {tokens:A} {tokens:B} {drafts:A} {fed:A}", at: 2) == "3 4 2 3 4")
        #expect(try fill("{accepted:A} {rejected:A} {resampled:A}", at: 2) == "2 1 1")
        // Jacobi's matches count as acceptances and rejections.
        #expect(try fill("{accepted:A} {rejected:A}", at: 3) == "1 1")
        #expect(try fill("{multi:A} {multi:B}", at: 3) == "2 0")
        #expect(try fill("{perPass:A} {perPass:B}", at: 2) == "2.00 1.00")
        #expect(try fill("{tokens:A} {committed:A}", at: 0) == "0 0")
        // The prefixes both panes have at pass 2: A 10 11 12 14, B 10 12: one of two differs.
        #expect(try fill("{shared:A|B} {differ:A|B}", at: 2) == "2 1")
        #expect(try fill("{temperature:A} {topP:A} {topPPercent:A}", at: 1) == "0.8 0.95 95%")
    }

    @Test func nounsAgreeWithTheCount() throws {
        #expect(try fill("{committed:A; token, tokens} and {resampled:A; token, tokens}", at: 2) == "3 tokens and 1 token")
        #expect(try fill("{rejected:B; draft, drafts}", at: 2) == "0 drafts")
    }

    /// The stated comparison holds for the printed numbers, even where 3 decimals would not tell them apart.
    @Test func verdictsStateComparisonsThatHold() throws {
        #expect(try fill("{accept:A}", at: 2) == "p 0.500 / q 0.500 → min(1,p/q) = 1.000000000 > u = 0.999999600")
        #expect(try fill("{reject:A}", at: 2) == "p 0.500 / q 1.000 → min(1,p/q) = 0.500000000 ≤ u = 0.500000100")
        // A sampled pane's Jacobi matches are against a fresh sample; B has no sampler, so greedy.
        #expect(try fill("{accept:A} / {reject:A}", at: 3) == "guess '#7 ' = sample '#7 ' / guess '#8 ' ≠ sample '#9 '")
    }

    @Test func branchesAndFinishes() throws {
        #expect(try fill("{entropy:A} {trials:A}: {perplexities:A}, kept {kept:A}", at: 3) == "1.23 2: 3.50, 1.25, kept trial 2, 1.25")
        #expect(try fill("{finished:A}", at: 3) == "3")
    }

    @Test func refusesWhatTheRunCannotSay() {
        #expect(refusal("{finished:A}", at: 2) == "A has not finished by pass 2")
        #expect(refusal("{finished:B}", at: 3) == "B has not finished by pass 3")
        #expect(refusal("{later:A|B}", at: 3) == "B has not finished by pass 3")
        #expect(refusal("{reject:B}", at: 2) == "B has no rejection in pass 2")
        #expect(refusal("{entropy:A}", at: 2) == "{entropy:A}: A opens no branch in pass 2")
        #expect(refusal("{kept:A}", at: 2) == "A has scored no trial by pass 2")
        #expect(refusal("{temperature:B}", at: 1) == "{temperature:B}: B has no sampler settings")
        #expect(refusal("{tokens:C}", at: 1) == "no pane 'C' (the panes: A, B)")
        #expect(refusal("{token:A}", at: 1) == "{token:A}: no key 'token' (see TourNoteTemplate.swift for the keys)")
        #expect(refusal("{later:A}", at: 3) == "{later:A}: later takes two panes, A|B")
        #expect(refusal("{tokens:A; token}", at: 1) == "{tokens:A; token}: a noun is written '; singular, plural'")
        #expect(refusal("so {tokens:A", at: 1) == "an unclosed { in the note: {tokens:A")
    }

    /// The check on shipped notes finds a figure typed into the text, and ignores placeholders and notation.
    @Test func literalFiguresAreFound() {
        #expect(TourNoteTemplate.literalNumbers(in: "this single pass commits 16 tokens") == ["16"])
        #expect(TourNoteTemplate.literalNumbers(in: "the entropy (0.62 nats)") == ["0", "62"])
        #expect(TourNoteTemplate.literalNumbers(in: "commits {committed:SJD2} at {pass}; min(1, p/q) and max(0, p - q)").isEmpty)
        #expect(TourNoteTemplate.literalNumbers(in: "SJD2 reads SmolLM2's states").isEmpty)
        #expect(TourNoteTemplate.literalNumbers(in: "SJD2 takes 3 passes, x12") == ["3"])
        // The notes as they were before templates: every one of these figures went unchecked.
        #expect(TourNoteTemplate.literalNumbers(in: "SJD has the whole image in 54 passes; AR needs 256.") == ["54", "256"])
    }
}
