// Distribution: is a decoder lossless here? Each pane of a scenario runs to its end over many seeds;
// at every generated position its tokens are tested against the AR pane's (chi-square homogeneity,
// rare tokens pooled), the tests of one decoder Holm-corrected into one verdict, and the first
// position also against the model's exact distribution. Used by `bench lossless` and the
// distribution view (`d`).
import Foundation
import TokenloomDecoding
import TokenloomKernels

/// Every pane's output over `runs` seeds.
public struct DistributionSample: Sendable {
    public var names: [String]
    /// outputs[pane][run]: the tokens that run generated.
    public var outputs: [[[Int]]]
    /// passes[pane][run]: its forward passes.
    public var passes: [[Int]]
    /// Wall seconds each pane's runs took, in all.
    public var seconds: [Double]
    /// The model's sampling distribution at the first generated position (token → p, the most
    /// probable tokens; the rest of the mass is "other"), from the reference pane's first pass.
    public var exactFirst: [Int: Double]
    /// The pane the others are tested against (the first AR pane).
    public var reference: Int
    /// Each pane's sampler (nil where its decoder does not say).
    public var samplers: [SamplerSettings?] = []
    public var runs: Int { outputs.map(\.count).min() ?? 0 }

    public init(names: [String], outputs: [[[Int]]], passes: [[Int]], seconds: [Double], exactFirst: [Int: Double], reference: Int) {
        self.names = names; self.outputs = outputs; self.passes = passes; self.seconds = seconds
        self.exactFirst = exactFirst; self.reference = reference
    }

    /// Token counts of pane `i` at generated position `position` (runs that reached it).
    public func counts(_ i: Int, at position: Int) -> [Int: Int] {
        var c: [Int: Int] = [:]
        for out in outputs[i] where position < out.count { c[out[position], default: 0] += 1 }
        return c
    }

    /// The longest output of any run of any pane.
    public var positions: Int { outputs.flatMap { $0.map(\.count) }.max() ?? 0 }
}

/// One decoder against the reference: a test per position, the Holm-corrected verdict, and the
/// first position against the exact distribution.
public struct LosslessVerdict: Sendable {
    public struct PositionTest: Sendable {
        public var position: Int
        public var chi2: Double
        public var df: Int
        public var p: Double
    }
    public var name: String
    public var runs: Int
    public var tests: [PositionTest]
    /// The smallest Holm-adjusted p over the positions: the family's p.
    public var holmP: Double
    /// The first generated position against the model's exact distribution.
    public var exactFirstP: Double?
    public var seconds: Double
    public var tokensPerPass: Double
    /// Why a difference is expected whatever the decoder does: it samples with other settings than
    /// the reference ("T 0.7 against greedy"); nil when the settings agree.
    public var settingsDiffer: String?

    /// "no detectable difference from AR at N = 200 (Holm p = 0.41)" or "differs from AR (Holm p = 3e-09)".
    public func sentence(reference: String, alpha: Double = 0.001) -> String {
        let differs = holmP < alpha ? "differs from \(reference) (Holm p = \(Self.pText(holmP)))"
                                    : "no detectable difference from \(reference) at N = \(runs) (Holm p = \(Self.pText(holmP)))"
        return differs + (settingsDiffer.map { "; it samples with \($0), so it is not AR's distribution to begin with" } ?? "")
    }

    /// 0.41, 0.0032, 3.1e-09, < 1e-300.
    public static func pText(_ p: Double) -> String {
        if p <= 1e-300 { return "< 1e-300" }
        if p >= 0.01 { return fmt(p, 2) }
        if p >= 0.001 { return fmt(p, 4) }
        let e = Int(floor(log10(p)))
        return fmt(p / pow(10, Double(e)), 1) + "e" + (e < 0 ? "-" : "") + (abs(e) < 10 ? "0" : "") + String(abs(e))
    }
}

public enum Distribution {
    /// Positions where either sample has fewer runs than this are not tested.
    public static let minimumRuns = 20
    /// Tokens of the exact first-position distribution kept (the rest pooled as "other").
    public static let exactTokens = 64

    /// The seed of pane `pane`'s run `run`: a separate stream for every pane and run, so that the
    /// samples compared are independent (the same seed would give AR and SJD the same first draw).
    public static func seed(base: UInt64, pane: Int, run: Int) -> UInt64 {
        var g = SplitMix64(seed: base ^ (UInt64(pane) << 48) ^ UInt64(run))
        return g.next()
    }

    /// The index of the reference pane: the first AR pane.
    public static func reference(of scenario: Scenario) throws -> Int {
        guard let i = scenario.decoders.firstIndex(where: { $0.spec.kind == .ar }) else {
            throw SessionError.badScenario("the distribution test compares every decoder with AR; add an ar pane")
        }
        return i
    }

    /// Runs every pane of `loaded` from run `sample.runs` up to `runs`, appending to `sample`
    /// (a fresh one when nil). `progress(done, total)` is called after each decoder run; returning
    /// false stops early, with the runs so far kept (panes are run in turn, so their counts stay level
    /// to within one).
    public static func run(_ loaded: ScenarioFactory.Loaded, runs: Int, continuing sample: DistributionSample? = nil,
                           progress: (Int, Int) -> Bool = { _, _ in true }) throws -> DistributionSample {
        let sc = loaded.scenario
        let ref = try reference(of: sc)
        var s = try sample ?? {
            // The exact distribution of the first generated position: the reference pane's first pass.
            let d = try loaded.decoder(pane: ref, seed: sc.seed, topAlternatives: exactTokens)
            var exact: [Int: Double] = [:]
            for e in try d.step() { if case .alternatives(_, let toks, let ps) = e { for (t, p) in zip(toks, ps) { exact[t] = p }; break } }
            return DistributionSample(names: [], outputs: Array(repeating: [], count: sc.decoders.count),
                                      passes: Array(repeating: [], count: sc.decoders.count),
                                      seconds: Array(repeating: 0, count: sc.decoders.count), exactFirst: exact, reference: ref)
        }()
        let start = s.runs
        let total = (runs - start) * sc.decoders.count
        var done = 0
        for r in start..<max(start, runs) {
            for i in sc.decoders.indices {
                let t0 = MonotonicClock.seconds()
                let d = try loaded.decoder(pane: i, seed: seed(base: sc.seed, pane: i, run: r), topAlternatives: 0)
                while !d.isFinished { _ = try d.step() }
                if s.names.count < sc.decoders.count { s.names.append(d.name); s.samplers.append(d.sampler) }
                s.outputs[i].append(d.generated)
                s.passes[i].append(d.stats.forwardPasses)
                s.seconds[i] += MonotonicClock.seconds() - t0
                done += 1
                if !progress(done, total) { return trimmed(s) }
            }
        }
        return s
    }

    /// Drops a partial last round so every pane has the same number of runs.
    static func trimmed(_ s: DistributionSample) -> DistributionSample {
        var s = s
        let n = s.runs
        for i in s.outputs.indices where s.outputs[i].count > n {
            s.outputs[i].removeLast(s.outputs[i].count - n)
            s.passes[i].removeLast(s.passes[i].count - n)
        }
        return s
    }

    /// Each pane against the reference (the reference itself included: its first-position test
    /// against the exact distribution checks the sampler, and its own Holm p is 1).
    public static func verdicts(_ s: DistributionSample) -> [LosslessVerdict] {
        let ref = s.reference
        return s.outputs.indices.map { i in
            var tests: [LosslessVerdict.PositionTest] = []
            if i != ref {
                for pos in 0..<s.positions {
                    let a = s.counts(ref, at: pos), b = s.counts(i, at: pos)
                    guard a.values.reduce(0, +) >= minimumRuns, b.values.reduce(0, +) >= minimumRuns else { continue }
                    let t = ChiSquare.twoSample(a, b)
                    tests.append(.init(position: pos, chi2: t.chi2, df: t.df, p: t.p))
                }
            }
            let holm = ChiSquare.holm(tests.map(\.p)).min() ?? 1
            let passes = s.passes[i].reduce(0, +), tokens = s.outputs[i].reduce(0) { $0 + $1.count }
            var differ: String?
            if i != ref, i < s.samplers.count, ref < s.samplers.count, let a = s.samplers[i], let b = s.samplers[ref], a != b {
                differ = "\(samplerText(a)) against \(samplerText(b))"
            }
            return LosslessVerdict(name: i < s.names.count ? s.names[i] : "pane \(i + 1)", runs: s.outputs[i].count, tests: tests,
                                   holmP: holm, exactFirstP: exactFirstP(s, i), seconds: s.seconds[i],
                                   tokensPerPass: passes > 0 ? Double(tokens) / Double(passes) : 0, settingsDiffer: differ)
        }
    }

    /// "greedy", "T 0.7", "T 1, top-p 0.9".
    static func samplerText(_ s: SamplerSettings) -> String {
        if s.isGreedy { return "greedy decoding" }
        var out = "T \(shortDecimal(s.temperature))"
        if s.topK > 0 { out += ", top-k \(s.topK)" }
        if s.topP < 1 { out += ", top-p \(shortDecimal(s.topP))" }
        return out
    }

    /// Goodness of fit of pane `i`'s first tokens against the exact distribution (its listed tokens
    /// and one "other" cell for the rest of the mass).
    static func exactFirstP(_ s: DistributionSample, _ i: Int) -> Double? {
        guard !s.exactFirst.isEmpty else { return nil }
        let c = s.counts(i, at: 0)
        guard c.values.reduce(0, +) >= minimumRuns else { return nil }
        let toks = s.exactFirst.keys.sorted()
        var observed = toks.map { c[$0] ?? 0 }, expected = toks.map { s.exactFirst[$0]! }
        let other = max(0, 1 - expected.reduce(0, +))
        let outside = c.filter { s.exactFirst[$0.key] == nil }.values.reduce(0, +)
        if other > 1e-12 || outside > 0 { observed.append(outside); expected.append(other) }
        return ChiSquare.pValue(observed: observed, expected: expected).p
    }
}
