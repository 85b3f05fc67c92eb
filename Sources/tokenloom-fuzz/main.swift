// tokenloom-fuzz: a deterministic, structure-aware mutation fuzzer for the GGUF reader and the model
// loaders. It mutates seed files (Tests/ModelsTests/Fixtures/fuzz-seeds, or built-in ones) at the
// fields that matter (counts, lengths, types, dimensions, offsets) and at random bytes, feeds each
// input to GGUFFile and then to every loader that accepts the parsed file, and counts outcomes.
// A crash kills the process (so "finished" means 0 crashes); an input slower than --hang-ms is a hang.
//
//   tokenloom-fuzz [--iterations N] [--seed S] [--corpus DIR] [--hang-ms MS] [--save-last FILE]
//                  [--builtin-models]   (also mutate the shipped image models, several MB each: slow)
//   tokenloom-fuzz --check-seeds [--corpus DIR] [--builtin-models]   (each unmutated seed's outcome)
//   tokenloom-fuzz --write-seeds DIR     (writes the built-in seeds, to refresh Tests/fuzz-corpus)
//   tokenloom-fuzz --target image-metadata [--iterations N]   (the tiny image models' metadata values)
//   tokenloom-fuzz --target trace|scenario|theme|completion [--iterations N] [--seed S] [--render-every K]
//                  (text formats: trace files replayed and, every K-th input, drawn as the explorer
//                  draws them; scenario and theme files parsed)
import Foundation
import TokenloomKernels
import TokenloomModels

struct Options {
    var iterations = 100_000
    var seed: UInt64 = 1
    var corpus: String?
    var hangMs = 1000.0
    var saveLast: String?
    var writeSeeds: String?
    var builtinModels = false
    var checkSeeds = false
    var target: TextTarget?
    var imageMetadata = false
    var renderEvery = 50
}

func parseOptions() -> Options {
    var o = Options()
    var args = CommandLine.arguments.dropFirst()
    func next(_ flag: String) -> String {
        guard let v = args.popFirst() else { fputs("tokenloom-fuzz: \(flag) needs a value\n", stderr); exit(2) }
        return v
    }
    while let a = args.popFirst() {
        switch a {
        case "--iterations": o.iterations = Int(next(a)) ?? { fputs("tokenloom-fuzz: bad --iterations\n", stderr); exit(2) }()
        case "--seed": o.seed = UInt64(next(a)) ?? { fputs("tokenloom-fuzz: bad --seed\n", stderr); exit(2) }()
        case "--corpus": o.corpus = next(a)
        case "--hang-ms": o.hangMs = Double(next(a)) ?? 1000
        case "--save-last": o.saveLast = next(a)
        case "--write-seeds": o.writeSeeds = next(a)
        case "--builtin-models": o.builtinModels = true
        case "--check-seeds": o.checkSeeds = true
        case "--target":
            let v = next(a)
            if v == "image-metadata" { o.imageMetadata = true } else if v == "gguf" { o.target = nil } else {
                o.target = TextTarget(rawValue: v) ?? { fputs("tokenloom-fuzz: --target is gguf, image-metadata, trace, scenario, theme or completion\n", stderr); exit(2) }()
            }
        case "--render-every": o.renderEvery = max(1, Int(next(a)) ?? 50)
        default: fputs("tokenloom-fuzz: unknown option \(a)\n", stderr); exit(2)
        }
    }
    return o
}

let options = parseOptions()

/// Runs `options.iterations` inputs: `make` builds input i, `run` gives its outcome (a crash kills the
/// process, so finishing means none). Prints the summary line after `label` and the outcome counts, then exits.
func fuzz(_ label: String, make: (Int, inout SplitMix64) -> [UInt8], run: (Int, [UInt8]) -> String) -> Never {
    var rng = SplitMix64(seed: options.seed)
    var outcomes: [String: Int] = [:]
    var hangs = 0, slowest = 0.0
    let started = Date()
    for i in 0..<options.iterations {
        let input = make(i, &rng)
        if let path = options.saveLast { FileManager.default.createFile(atPath: path, contents: Data(input)) }
        let t0 = MonotonicClock.ms()
        let outcome = run(i, input)
        let ms = MonotonicClock.ms() - t0
        slowest = max(slowest, ms)
        if ms > options.hangMs { hangs += 1; fputs("tokenloom-fuzz: input \(i) took \(Int(ms)) ms\n", stderr) }
        outcomes[outcome, default: 0] += 1
    }
    let seconds = Date().timeIntervalSince(started)
    print(label + "inputs \(options.iterations)  seconds \(String(format: "%.1f", seconds))  crashes 0  hangs \(hangs)  slowest_ms \(String(format: "%.2f", slowest))")
    for (k, v) in outcomes.sorted(by: { $0.value > $1.value }) { print("  \(v)\t\(k)") }
    exit(hangs == 0 ? 0 : 1)
}

if options.imageMetadata {
    let files = [FuzzSeeds.tinyImage(fused: false), FuzzSeeds.tinyImage(fused: true)].compactMap { try? GGUFFile(bytes: $0, path: "seed.gguf") }
    fuzz("target image-metadata  ", make: { _, rng in ImageMetadataTarget.mutate(files[rng.below(files.count)], &rng) },
         run: { _, input in FuzzTarget.run(input) })
}
if let target = options.target {
    let seeds = target.seeds
    fuzz("target \(target.rawValue)  ", make: { _, rng in Array(TextTarget.mutate(seeds[rng.below(seeds.count)], rng: &rng).utf8) },
         run: { i, input in target.run(String(decoding: input, as: UTF8.self), render: i % options.renderEvery == 0) })
}
var seeds: [[UInt8]] = FuzzSeeds.builtIn()
if let dir = options.writeSeeds {
    // Plus a tiny Llama with SmolLM2's real vocabulary (head), taken from a shipped image model.
    if let b = ModelStore.builtinDirectory, let file = try? GGUFFile(path: b + "/emoji.gguf"),
       let real = FuzzSeeds.tinyLlama(vocabularyOf: file) { seeds.append(real) }
    for (i, s) in seeds.enumerated() {
        FileManager.default.createFile(atPath: dir + "/seed-\(i).gguf", contents: Data(s))
    }
    print("wrote \(seeds.count) seeds to \(dir)")
    exit(0)
}
if let dir = options.corpus {
    let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    for f in files where f.hasSuffix(".gguf") {
        if let d = FileManager.default.contents(atPath: dir + "/" + f) { seeds.append([UInt8](d)) }
    }
}

if options.builtinModels, let dir = ModelStore.builtinDirectory {
    for name in ModelStore.builtinNames {
        if let d = FileManager.default.contents(atPath: dir + "/" + name + ".gguf") { seeds.append([UInt8](d)) }
    }
}

if options.checkSeeds {
    for (i, s) in seeds.enumerated() { print("seed \(i) (\(s.count) bytes): \(FuzzTarget.run(s))") }
    exit(0)
}

fuzz("seeds \(seeds.count)  ", make: { _, rng in Mutator.mutate(seeds[Int(rng.next() % UInt64(seeds.count))], rng: &rng) },
     run: { _, input in FuzzTarget.run(input) })
