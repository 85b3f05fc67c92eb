// The decoder registry: one row per kind, names and aliases resolve, the one refusal sentence for a
// model a decoder cannot run, the defaults (temperature, seed), the bounds, and the one builder
// (ModelTarget) making every kind on the built-in image model.
import Testing
import TokenloomModels
@testable import TokenloomDecoding

@Suite struct DecoderRegistryTests {
    @Test func everyKindHasOneRowAndNamesResolve() throws {
        #expect(DecoderRegistry.entries.map(\.kind) == DecoderKind.allCases)
        for e in DecoderRegistry.entries {
            #expect(try DecoderRegistry.lookup(e.name).kind == e.kind)
            #expect(try DecoderRegistry.lookup(e.title.uppercased()).kind == e.kind)
            for a in e.aliases { #expect(try DecoderRegistry.lookup(a).kind == e.kind) }
            #expect(!e.domains.isEmpty && !e.summary.isEmpty)
            if e.domains.count < ModelDomain.allCases.count { #expect(!e.domainReason.isEmpty) }
        }
        // No name or alias stands for two kinds.
        let all = DecoderRegistry.entries.flatMap { [$0.name, $0.title.lowercased()] + $0.aliases }
        var owner: [String: DecoderKind] = [:]
        for e in DecoderRegistry.entries {
            for n in Set([e.name, e.title.lowercased()] + e.aliases) {
                #expect(owner[n] == nil, "\(n) names two decoders")
                owner[n] = e.kind
            }
        }
        #expect(Set(all).count == owner.count)
    }

    @Test func unknownNamesListEveryChoiceOnOneLine() {
        do {
            _ = try DecoderRegistry.lookup("fast\u{1B}[2J")
            Issue.record("an unknown name resolved")
        } catch {
            let m = "\(error)"
            for n in DecoderRegistry.names { #expect(m.contains(n)) }
            #expect(!m.contains("\u{1B}") && !m.contains("\n"))
        }
    }

    @Test func oneSentenceRefusesADecoderOnTheWrongModel() throws {
        for e in DecoderRegistry.entries {
            for d in ModelDomain.allCases {
                if e.domains.contains(d) {
                    try e.check(d)
                } else {
                    #expect(throws: DecodeError.self) { try e.check(d) }
                    do { try e.check(d) } catch let err as DecodeError {
                        #expect(err.exitCode == 2)
                        #expect(err.description.hasPrefix("\(e.name) does not run on"))
                        #expect(err.description.contains(e.domainReason))
                    }
                }
            }
        }
        #expect(DecoderKind.cntp.entry.domains == [.text])
        #expect(DecoderKind.lookahead.entry.domains == [.text])
        #expect(DecoderKind.sjd2.entry.domains == [.image])
    }

    @Test func defaultTemperaturesFollowTheTable() {
        // Text: only SJD and CNTP sample by default; images: everything but the greedy-only kinds.
        let textSampling = Set(DecoderKind.allCases.filter { $0.entry.defaultTemperature(on: .text) > 0 })
        #expect(textSampling == [.jacobiSample, .sjd, .sjdAcceptAll, .sjd2, .cntp])
        let imageSampling = Set(DecoderKind.allCases.filter { $0.entry.defaultTemperature(on: .image) > 0 })
        #expect(imageSampling == [.ar, .jacobi, .jacobiSample, .sjd, .sjdAcceptAll, .sjd2, .cntp])
        #expect(DecoderKind.allCases.filter { $0.entry.greedyOnly } == [.lookahead])
    }

    @Test func boundsAreCheckedInOnePlace() {
        func refused(_ edit: (inout DecoderSpec) -> Void, kind: DecoderKind = .sjd) -> Bool {
            var s = DecoderSpec(kind: kind)
            edit(&s)
            do { try s.validate(); return false } catch { return true }
        }
        #expect(!refused { _ in })
        #expect(refused { $0.window = 0 })
        #expect(refused { $0.window = Int.max })
        #expect(refused { $0.levels = 1_000_000 })
        #expect(refused { $0.cntp.maxTrials = 1_000_000 })
        #expect(refused { $0.cntp.maxTrials = Int.max })
        #expect(refused { $0.temperature = .infinity })
        #expect(refused { $0.temperature = .nan })
        #expect(refused { $0.temperature = -1 })
        #expect(refused { $0.topP = 0 })
        #expect(refused { $0.topK = -1 })
        #expect(refused({ $0.temperature = 0.5 }, kind: .lookahead))
        #expect(!refused({ $0.temperature = 0 }, kind: .lookahead))
    }

    /// Every kind that runs on images is built by the one builder on the shipped model, and each one
    /// that does not is refused before anything loads.
    @Test func theBuilderMakesEveryImageDecoder() throws {
        let target = try ModelTarget.load("builtin:emoji")
        #expect(target.domain == .image)
        let prepared = try target.prepare(prompt: "red apple", maxNewTokens: 1)
        #expect(prepared.maxNewTokens == target.imageWeights!.hp.imageTokens)
        for kind in DecoderKind.allCases {
            let spec = DecoderSpec(kind: kind)
            if kind.entry.domains.contains(.image) {
                let d = try target.makeDecoder(spec, for: prepared, seed: 1)
                #expect(d.name == kind.entry.title || (kind == .jacobi && d.name == "Sampling Jacobi"))
                if kind == .sjdAcceptAll { #expect(d.rule.hasPrefix("SJD accept-all, WRONG ON PURPOSE") && d.mode.hasSuffix("LOSSY")) }
                _ = try d.step()
                #expect(d.stats.forwardPasses == 1)
            } else {
                #expect(throws: DecodeError.self) { _ = try target.makeDecoder(spec, for: prepared, seed: 1) }
                #expect(throws: DecodeError.self) { _ = try ModelTarget.load("builtin:emoji", checking: [spec]) }
            }
        }
    }

    /// Every image decoder reports the entropy of each committed position (SJD2 too), so the heatmap
    /// and the inspector have something to show for every pane.
    @Test func everyCommittedImageTokenHasItsEntropy() throws {
        let target = try ModelTarget.load("builtin:emoji")
        let prepared = try target.prepare(prompt: "red apple", maxNewTokens: 1)
        for kind in DecoderKind.allCases where kind.entry.domains.contains(.image) {
            let d = try target.makeDecoder(DecoderSpec(kind: kind), for: prepared, seed: 3)
            var committed = Set<Int>(), measured = Set<Int>()
            for _ in 0..<6 {
                for e in try d.step() {
                    if case .commit(let start, let tokens) = e { committed.formUnion(start..<(start + tokens.count)) }
                    if case .entropy(let pos, _) = e { measured.insert(pos) }
                }
            }
            #expect(!committed.isEmpty && committed.isSubset(of: measured), "\(kind): \(committed.subtracting(measured).sorted())")
        }
    }

    /// Stats come from the events through one update: a decoder's own counters equal the events it
    /// returned, counted by DecodeStats.record.
    @Test func statsAreTheEventsCounted() throws {
        let model = ToyModel(vocab: 12, seed: 3)
        for kind in [DecoderKind.ar, .jacobi, .jacobiSample, .sjd, .lookahead] {
            var spec = DecoderSpec(kind: kind)
            spec.temperature = kind.entry.greedyOnly ? 0 : 1
            let settings = DecodeSettings(maxNewTokens: 24, sampler: spec.sampler(on: .text), seed: 5)
            let d = try spec.make(DecoderInputs(model: model, prompt: [1, 2], settings: settings))
            var counted = DecodeStats()
            while !d.isFinished { for e in try d.step() { counted.record(e) } }
            #expect(counted.forwardPasses == d.stats.forwardPasses, "\(kind)")
            #expect(counted.tokensCommitted == d.stats.tokensCommitted, "\(kind)")
            #expect(counted.drafted == d.stats.drafted && counted.accepted == d.stats.accepted, "\(kind)")
        }
    }
}
