// Chi-square tests with their p-values (regularised upper incomplete gamma): goodness of fit against
// known probabilities, and two-sample homogeneity (do two decoders draw from one distribution?),
// with Holm's correction over many positions. Cells whose expected count is below 5 are pooled into
// one cell. Used by the losslessness tests, `bench lossless` and the distribution view.

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

    /// Two samples of tokens (counts by token): the chi-square test of homogeneity on the 2 x k table.
    /// Tokens whose expected count is below 5 in either sample are pooled into one column (and that
    /// column dropped if its expected counts are still below 5). df 0 (one column): p = 1.
    public static func twoSample(_ a: [Int: Int], _ b: [Int: Int]) -> (chi2: Double, df: Int, p: Double) {
        let na = Double(a.values.reduce(0, +)), nb = Double(b.values.reduce(0, +))
        let n = na + nb
        guard na > 0, nb > 0 else { return (0, 0, 1) }
        var cols: [(Double, Double)] = []
        var pool = (0.0, 0.0)
        for t in Set(a.keys).union(b.keys).sorted() {
            let oa = Double(a[t] ?? 0), ob = Double(b[t] ?? 0), tot = oa + ob
            if tot * na / n < 5 || tot * nb / n < 5 { pool.0 += oa; pool.1 += ob } else { cols.append((oa, ob)) }
        }
        let pt = pool.0 + pool.1
        if pt > 0 {
            if pt * na / n >= 5 && pt * nb / n >= 5 { cols.append(pool) }
            else if var last = cols.popLast() { last.0 += pool.0; last.1 += pool.1; cols.append(last) }
        }
        guard cols.count >= 2 else { return (0, 0, 1) }
        var chi2 = 0.0
        for (oa, ob) in cols {
            let tot = oa + ob
            let ea = tot * na / n, eb = tot * nb / n
            chi2 += (oa - ea) * (oa - ea) / ea + (ob - eb) * (ob - eb) / eb
        }
        let df = cols.count - 1
        return (chi2, df, upperGammaQ(Double(df) / 2, chi2 / 2))
    }

    /// Holm's step-down adjustment of a family of p-values (same order as given): each is at least
    /// the one before it in sorted order, and the smallest is m x min p. A family is rejected at
    /// level alpha where its smallest adjusted p is below alpha.
    public static func holm(_ ps: [Double]) -> [Double] {
        let m = ps.count
        let order = ps.indices.sorted { ps[$0] < ps[$1] }
        var adjusted = [Double](repeating: 1, count: m)
        var running = 0.0
        for (k, i) in order.enumerated() {
            running = max(running, min(1, Double(m - k) * ps[i]))
            adjusted[i] = running
        }
        return adjusted
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
