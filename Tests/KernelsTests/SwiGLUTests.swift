// The Llama MLP's SwiGLU (swiglu_f32.c): its e^x is correctly rounded (checked against float64's exp),
// every path gives the scalar bits at every place in a buffer, and the whole is g / (1 + e^-g) * u
// with each float operation rounded once. A wrong variant of the polynomial is caught.
import Foundation
import Testing
import CKernels
@testable import TokenloomKernels

@Suite struct SwiGLUTests {
    /// Floats spread over e^x's whole finite range and past it: a stride through the bit patterns
    /// (dense near 0) and 600,000 evenly spaced over [-104, 89] (every reduced argument r alike).
    static func expArguments(stride: UInt32 = 4099) -> [Float] {
        var v: [Float] = []
        var b: UInt32 = 0
        while b < 0xFFFF_FFFF - stride {
            let x = Float(bitPattern: b)
            if x >= -104, x <= 89 { v.append(x) }
            b += stride
        }
        v += (0..<600_000).map { Float(-104 + 193 * Double($0) / 600_000) }
        return v + [88.72, 88.7228394, 88.73, -103.97, -103.98, -87.3, 0, -0.0, 1e-30, Float.leastNonzeroMagnitude]
    }

    /// Float(exp(Double(x))) is the correctly rounded e^x except within ~1e-16 of a tie; swiGLU's e^x
    /// (double inside, error ~1e-15) matches it. Also returns the count that differs, for the mutant.
    static func expMismatches(_ v: [Float], exp: (Float) -> Float = Ops.swiGLUExp) -> (count: Int, first: String?) {
        var n = 0
        var first: String?
        for x in v {
            let want = Float(Foundation.exp(Double(x)))
            let got = exp(x)
            if got.bitPattern != want.bitPattern {
                n += 1
                if first == nil { first = "e^\(x): \(got), correctly rounded \(want)" }
            }
        }
        return (n, first)
    }

    @Test func expIsCorrectlyRounded() {
        let v = Self.expArguments()
        #expect(v.count > 1_100_000)
        let (n, first) = Self.expMismatches(v)
        #expect(n == 0, "\(n) of \(v.count) differ; first: \(first ?? "")")
        #expect(Ops.swiGLUExp(.infinity) == .infinity && Ops.swiGLUExp(-.infinity) == 0 && Ops.swiGLUExp(.nan).isNaN)
        #expect(Ops.swiGLUExp(89) == .infinity && Ops.swiGLUExp(-110) == 0)
    }

    /// The power of expIsCorrectlyRounded: the polynomial two terms short (error ~5e-11) is caught.
    @Test func aShorterPolynomialIsCaught() {
        let v = Self.expArguments()
        let (n, _) = Self.expMismatches(v, exp: tl_expf_d_short2)
        #expect(n > 0, "the mutant polynomial went unnoticed")
        print("swiGLU e^x with the polynomial two terms short: \(n) of \(v.count) misrounded")
    }

    static func inputs() -> (g: [Float], u: [Float]) {
        var rng = SeededRandom(23)
        var g = (0..<3000).map { _ in rng.normal() * (rng.uniform() < 0.2 ? 30 : 3) }
        g += [0, -0.0, 88, -88, 89, -89, 104, -104, 200, -200, .infinity, -.infinity, .nan, 1e-30, -1e-30]
        let u = g.indices.map { _ in rng.normal() * 2 }
        return (g, u)
    }

    @Test func everyPathAndPlaceGivesTheScalarBits() {
        let (g, u) = Self.inputs()
        var want = g
        want.withUnsafeMutableBufferPointer { w in u.withUnsafeBufferPointer { Ops.swiGLU(w.baseAddress!, $0.baseAddress!, n: g.count, impl: .scalar) } }
        for impl in PackedF32Matrix.Impl.allCases where tl_swiglu_f32_available(impl.rawValue) != 0 {
            for (start, count) in [(0, g.count)] + (0..<17).map({ ($0, 37) }) {
                var y = Array(g[start..<(start + count)])
                let uu = Array(u[start..<(start + count)])
                y.withUnsafeMutableBufferPointer { w in uu.withUnsafeBufferPointer { Ops.swiGLU(w.baseAddress!, $0.baseAddress!, n: count, impl: impl) } }
                for i in 0..<count where !(y[i].isNaN && want[start + i].isNaN) && y[i].bitPattern != want[start + i].bitPattern {
                    Issue.record("swiGLU \(impl) at \(start)+\(i): g \(g[start + i]), u \(uu[i]) -> \(y[i]), scalar \(want[start + i])")
                    return
                }
            }
        }
    }

    /// The definition: each float operation of g / (1 + e^-g) * u rounded once, e^-g correctly rounded.
    @Test func isTheDefinitionWithCorrectlyRoundedExp() {
        let (g, u) = Self.inputs()
        var y = g
        y.withUnsafeMutableBufferPointer { w in u.withUnsafeBufferPointer { Ops.swiGLU(w.baseAddress!, $0.baseAddress!, n: g.count) } }
        for i in g.indices where g[i].isFinite {
            let e = Float(Foundation.exp(-Double(g[i])))   // +inf past float's range, as the kernel's
            let want = g[i] / (1 + e) * u[i]
            #expect(y[i].bitPattern == want.bitPattern || (y[i].isNaN && want.isNaN), "swiGLU(\(g[i]), \(u[i])) = \(y[i]), want \(want)")
        }
    }
}
