// The image-metadata fuzz target: the tiny image models' metadata values mutated as values (not
// bytes) — a text-vocabulary entry duplicated or out of range, a sigma NaN, infinite or negative,
// a hyperparameter huge, zero or of the wrong type, a fuser key dropped — then written back as a
// valid GGUF and sent through the reader, the image loader and a forward pass.
import TokenloomKernels
import TokenloomModels
import TokenloomTestSupport

enum ImageMetadataTarget {
    static let extremeFloats: [Float] = [.nan, .infinity, -.infinity, -1, 0, 1e30, -1e-30, .leastNonzeroMagnitude]
    static let extremeInts: [Int64] = [0, -1, 1, 2, 1 << 31, Int64(Int32.max), Int64.max, Int64.min, 4096, 65536]

    static func mutateValue(_ v: GGUFValue, _ rng: inout SplitMix64) -> GGUFValue {
        switch v {
        case .array(var a) where !a.isEmpty:
            let i = rng.below(a.count)
            switch rng.below(5) {
            case 0: a[i] = a[rng.below(a.count)]                       // a duplicate entry
            case 1: a[i] = mutateValue(a[i], &rng)                     // one element extreme
            case 2: a.remove(at: i)                                    // one short
            case 3: a.append(a[i])                                     // one long
            default: a[i] = .string("x")                               // the wrong type
            }
            return .array(a)
        case .float32: return .float32(extremeFloats[rng.below(extremeFloats.count)])
        case .float64: return .float64(Double(extremeFloats[rng.below(extremeFloats.count)]))
        case .uint32, .int32, .uint64, .int64, .uint16, .int16, .uint8, .int8:
            let x = extremeInts[rng.below(extremeInts.count)]
            switch rng.below(4) {
            case 0: return .int64(x)
            case 1: return .uint32(UInt32(truncatingIfNeeded: x))
            case 2: return .bool(x != 0)                                // the wrong type
            default: return .string(String(x))
            }
        case .bool(let b): return rng.below(2) == 0 ? .bool(!b) : .uint8(2)
        case .string(let s): return rng.below(2) == 0 ? .string("") : .string(s + "\u{1B}[2J\u{0}")
        default: return v
        }
    }

    /// One mutant of `seed` (a valid tiny image model): 1 to 3 metadata values changed or dropped.
    static func mutate(_ seed: GGUFFile, _ rng: inout SplitMix64) -> [UInt8] {
        var meta = seed.metadataKeys.map { ($0, seed.metadata[$0]!) }
        for _ in 0..<(1 + rng.below(3)) {
            let i = rng.below(meta.count)
            guard meta[i].0 != "general.architecture" else { continue }
            if rng.below(8) == 0 { meta.remove(at: i) } else { meta[i].1 = mutateValue(meta[i].1, &rng) }
        }
        var w = GGUFWriter()
        w.alignment = seed.alignment
        for (k, v) in meta { w.add(k, v) }
        for t in seed.tensors { w.tensors.append(.init(name: t.name, dims: t.dims, type: t.type, data: Array(seed.bytes(of: t)))) }
        return w.encoded()
    }
}
