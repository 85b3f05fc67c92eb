// SiLUF32 (silu_f32.c, the image model's MLP activation): every path gives the bits of the scalar
// definition whatever the buffer's length or a value's place in it (SIMD body or scalar tail), and
// the definition is within a stated bound of x / (1 + e^-x) computed in float64.
import Foundation
import Testing
@testable import TokenloomKernels

@Suite struct SiLUF32Tests {
    /// Values over the range the image model sees and beyond: normal-ish, large, tiny, exact zeros and
    /// ties of the exponent's rounding (multiples of ln2 / 2), the clamp's edges.
    static func values() -> [Float] {
        var rng = SeededRandom(11)
        var v = (0..<4000).map { _ in rng.normal() * (rng.uniform() < 0.2 ? 20 : 2) }
        v += [0, -0.0, 1, -1, 87, -87, 88, -88, 87.5, -87.5, 100, -100, 1e-30, -1e-30, Float.leastNonzeroMagnitude]
        v += (-40...40).map { Float($0) * Float(M_LN2) / 2 }
        return v
    }

    @Test func everyPathAndPlaceGivesTheScalarBits() {
        let v = Self.values()
        var want = v
        SiLUF32.apply(&want, impl: .scalar)
        for impl in PackedF32Matrix.Impl.allCases where SiLUF32.isAvailable(impl) {
            // Whole buffer, then every offset 0 ..< 17 and a length that is no multiple of 8 or 16, so each
            // value lands in SIMD bodies and in scalar tails.
            for (start, count) in [(0, v.count)] + (0..<17).map { ($0, 37) } {
                var y = Array(v[start..<(start + count)])
                SiLUF32.apply(&y, impl: impl)
                let ref = Array(want[start..<(start + count)])
                if y.map(\.bitPattern) != ref.map(\.bitPattern) {
                    let i = zip(y, ref).enumerated().first { $0.element.0.bitPattern != $0.element.1.bitPattern }!.offset
                    Issue.record("SiLU \(impl) at \(start)..<\(start + count): silu(\(v[start + i])) = \(y[i]), scalar \(ref[i])")
                    return
                }
            }
        }
    }

    /// Within 4 ulp of the exact value (relative 4 u, u = 2^-24): e^t within ~2 ulp, then 1 + e and the
    /// division each round once. Below x = -87 the clamp gives x / (1 + e^87), tiny like the true value.
    @Test func withinFourUlpOfFloat64() {
        let v = Self.values().filter { $0 >= -87 }
        var y = v
        SiLUF32.apply(&y)
        let u = 0x1p-24
        var worst = 0.0
        for (x, got) in zip(v, y) {
            let exact = Double(x) / (1 + Foundation.exp(-Double(x)))
            let err = abs(Double(got) - exact), rel = err / max(abs(exact), Double(Float.leastNormalMagnitude))
            #expect(rel <= 4 * u, "silu(\(x)) = \(got), exact \(exact): \(rel / u) ulp")
            worst = max(worst, rel / u)
        }
        for x in Self.values() where x < -87 {
            var one = [x]
            SiLUF32.apply(&one)
            #expect(abs(one[0]) < 1e-35 && one[0].sign == .minus, "silu(\(x)) = \(one[0])")
        }
        print("SiLU F32: worst relative error \(worst) ulp (bound 4)")
    }
}
