// Chi-square goodness of fit with its p-value (regularised upper incomplete gamma), for the
// losslessness tests. Cells whose expected count is below 5 are pooled into one cell.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum ChiSquare {
    /// p-value of observed counts against expected probabilities.
    public static func pValue(observed: [Int], expected probs: [Double]) -> (chi2: Double, df: Int, p: Double) {
        let total = Double(observed.reduce(0, +))
        var o: [Double] = [], e: [Double] = []
        var poolO = 0.0, poolE = 0.0
        for (i, p) in probs.enumerated() {
            let ei = p * total
            if ei < 5 { poolO += Double(observed[i]); poolE += ei } else { o.append(Double(observed[i])); e.append(ei) }
        }
        if poolE > 0 { o.append(poolO); e.append(poolE) }
        var chi2 = 0.0
        for i in 0..<o.count { chi2 += (o[i] - e[i]) * (o[i] - e[i]) / e[i] }
        let df = o.count - 1
        return (chi2, df, upperGammaQ(Double(df) / 2, chi2 / 2))
    }

    /// Q(a, x) = Gamma(a, x) / Gamma(a): series for x < a+1, continued fraction otherwise.
    public static func upperGammaQ(_ a: Double, _ x: Double) -> Double {
        if x <= 0 { return 1 }
        let lnPre = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            var sum = 1 / a, term = 1 / a, ap = a
            for _ in 0..<1000 { ap += 1; term *= x / ap; sum += term; if abs(term) < abs(sum) * 1e-15 { break } }
            return max(0, 1 - sum * exp(lnPre))
        }
        // Lentz's method for the continued fraction of Gamma(a, x).
        var b = x + 1 - a, c = 1 / 1e-300, d = 1 / b, h = d
        for i in 1...1000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b; if abs(d) < 1e-300 { d = 1e-300 }
            c = b + an / c; if abs(c) < 1e-300 { c = 1e-300 }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return exp(lnPre) * h
    }
}
