// Numbers as the screen and the tour notes print them: fixed decimals, no locale, and a pair shown
// with enough digits that a stated comparison between them can be read off.
import Foundation

/// A number with `digits` decimals, no locale.
public func fmt(_ x: Double?, _ digits: Int = 2) -> String {
    guard let x, x.isFinite else { return "–" }
    // Past 1e12 the fixed-point digits below would not fit an Int: show a power of ten instead.
    if abs(x) >= 1e12 {
        let e = Int(log10(abs(x)).rounded(.down))
        return (x < 0 ? "-" : "") + fmt(abs(x) / pow(10, Double(e)), 1) + "e\(e)"
    }
    var p = 1.0
    for _ in 0..<digits { p *= 10 }
    let r = (abs(x) * p).rounded() / p
    let whole = Int(r)
    var frac = Int(((r - Double(whole)) * p).rounded())
    var w = whole
    if frac >= Int(p) { w += 1; frac -= Int(p) }
    let sign = x < 0 && (w > 0 || frac > 0) ? "-" : ""
    if digits == 0 { return sign + String(w) }
    let fs = String(frac)
    return sign + String(w) + "." + String(repeating: "0", count: digits - fs.count) + fs
}

/// `a` and `b` printed with enough digits (3, 6 or 9) that the printed numbers order as the
/// numbers do, so a stated comparison is true of what the reader sees.
public func separated(_ a: Double, _ b: Double) -> (String, String) {
    for digits in [3, 6, 9] {
        let x = fmt(a, digits), y = fmt(b, digits)
        if x != y || a == b { return (x, y) }
    }
    return (fmt(a, 9), fmt(b, 9))
}


/// 0.8, 1, 0.95: up to 4 decimals, no trailing zeros.
public func shortDecimal(_ x: Double) -> String {
    var s = fmt(x, 4)
    while s.contains("."), s.hasSuffix("0") { s.removeLast() }
    if s.hasSuffix(".") { s.removeLast() }
    return s
}
