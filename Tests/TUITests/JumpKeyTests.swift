// fmt never traps: huge finite numbers (a replayed trace may carry them) print as powers of ten.
import Testing
@testable import TokenloomTUI

@Suite struct FormatTests {
    @Test func hugeNumbersPrintWithoutTrapping() {
        #expect(fmt(1e17) == "1.0e17")
        #expect(fmt(-2.5e300) == "-2.5e300")
        #expect(fmt(Double.greatestFiniteMagnitude).hasPrefix("1.8e308"))
        #expect(fmt(12.345) == "12.35" && fmt(nil) == "–" && fmt(.nan) == "–")
    }
}
