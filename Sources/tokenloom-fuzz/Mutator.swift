// Mutator: structure-aware mutations of a GGUF image. `GGUFLayout` walks a (valid) seed and records
// where each count, length, type, dimension and offset field sits, so mutations hit the fields a
// reader must distrust, not only random bytes.

import TokenloomKernels

extension SplitMix64 {
    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
}

/// A field found while walking a GGUF image: its byte offset and width (4 or 8).
struct Field { let offset: Int; let width: Int }

enum GGUFLayout {
    /// Offsets of the header's numeric fields, best effort (stops at the first inconsistency).
    static func fields(of b: [UInt8]) -> [Field] {
        var out: [Field] = []
        var p = 0
        func u32() -> UInt32? { guard p + 4 <= b.count else { return nil }; defer { p += 4 }
            return UInt32(b[p]) | UInt32(b[p+1]) << 8 | UInt32(b[p+2]) << 16 | UInt32(b[p+3]) << 24 }
        func u64() -> UInt64? { guard let lo = u32(), let hi = u32() else { return nil }; return UInt64(lo) | UInt64(hi) << 32 }
        func field(_ w: Int) { out.append(Field(offset: p, width: w)) }
        func skipString() -> Bool { field(8); guard let n = u64(), n <= UInt64(b.count - p) else { return false }; p += Int(n); return true }
        func skipValue(_ t: UInt32) -> Bool {
            switch t {
            case 0, 1, 7: p += 1
            case 2, 3: p += 2
            case 4, 5, 6: p += 4
            case 10, 11, 12: p += 8
            case 8: return skipString()
            case 9:
                field(4); guard let et = u32() else { return false }
                field(8); guard let n = u64(), n < 1_000_000 else { return false }
                for _ in 0..<n { if !skipValue(et) { return false } }
            default: return false
            }
            return p <= b.count
        }
        p = 4
        field(4); guard u32() != nil else { return out }
        field(8); guard let nt = u64(), nt < 100_000 else { return out }
        field(8); guard let nkv = u64(), nkv < 100_000 else { return out }
        for _ in 0..<nkv {
            guard skipString() else { return out }
            field(4); guard let t = u32(), skipValue(t) else { return out }
        }
        for _ in 0..<nt {
            guard skipString() else { return out }
            field(4); guard let nd = u32(), nd <= 4 else { return out }
            for _ in 0..<nd { field(8); guard u64() != nil else { return out } }
            field(4); guard u32() != nil else { return out }
            field(8); guard u64() != nil else { return out }
        }
        return out
    }
}

enum Mutator {
    static let interesting64: [UInt64] = [0, 1, 2, 3, 4, 7, 8, 31, 32, 33, 255, 256, 4096, 65535, 65536,
        0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000,
        0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFE]

    static func mutate(_ seed: [UInt8], rng: inout SplitMix64) -> [UInt8] {
        var b = seed
        let fields = GGUFLayout.fields(of: seed)
        let rounds = 1 + rng.below(3)
        for _ in 0..<rounds {
            switch rng.below(10) {
            case 0...4 where !fields.isEmpty:  // a header field gets an interesting or nearby value
                let f = fields[rng.below(fields.count)]
                var v: UInt64
                if rng.below(2) == 0 { v = interesting64[rng.below(interesting64.count)] }
                else { v = read(b, f) &+ UInt64(bitPattern: Int64(rng.below(17) - 8)) }
                if rng.below(4) == 0 { v = UInt64(b.count) &+ UInt64(rng.below(64)) }
                write(&b, f, v)
            case 5:  // random bytes
                for _ in 0..<(1 + rng.below(8)) where !b.isEmpty { b[rng.below(b.count)] = UInt8(truncatingIfNeeded: rng.next()) }
            case 6:  // truncate
                b = Array(b.prefix(rng.below(b.count + 1)))
            case 7:  // duplicate or delete a slice
                guard b.count > 2 else { break }
                let a = rng.below(b.count), n = rng.below(min(64, b.count - a) + 1)
                if rng.below(2) == 0 { b.insert(contentsOf: b[a..<a+n], at: rng.below(b.count)) }
                else { b.removeSubrange(a..<a+n) }
            case 8:  // random file of random length (sometimes starting with the magic)
                b = (0..<rng.below(256)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if rng.below(2) == 0 && b.count >= 8 { b.replaceSubrange(0..<8, with: [0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0]) }
            default:  // grow with junk at the end
                b.append(contentsOf: (0..<rng.below(128)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            }
        }
        return b
    }

    static func read(_ b: [UInt8], _ f: Field) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<f.width where f.offset + i < b.count { v |= UInt64(b[f.offset + i]) << (8 * UInt64(i)) }
        return v
    }

    static func write(_ b: inout [UInt8], _ f: Field, _ v: UInt64) {
        for i in 0..<f.width where f.offset + i < b.count { b[f.offset + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
    }
}
