/// Logarithms for timing formulas. The standard library has none without Foundation, and the core
/// must not import it, so this is a small, exact-enough implementation (relative error < 1e-12).
public enum MeshMath {
    private static let ln2 = 0.693_147_180_559_945_309_417_232_121_458

    /// Natural logarithm of a positive finite value.
    public static func log(_ x: Double) -> Double {
        precondition(x > 0 && x.isFinite, "log(\(x))")
        // x = m · 2^e with m in [1, 2); then ln x = e·ln2 + ln m, ln m = 2·atanh((m-1)/(m+1)).
        let e = Double(x.exponent)
        var m = x.significand
        var shift = 0.0
        if m > 1.414_213_562_373_095 { m /= 2; shift = 1 }   // m in [0.707, 1.414): faster series
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var term = s
        var sum = 0.0
        var k = 1.0
        while true {
            let next = sum + term / k
            if next == sum { break }
            sum = next
            term *= s2
            k += 2
        }
        return (e + shift) * ln2 + 2 * sum
    }

    /// Base-10 logarithm.
    public static func log10(_ x: Double) -> Double { log(x) / 2.302_585_092_994_045_684_017_991_454_684 }
}
