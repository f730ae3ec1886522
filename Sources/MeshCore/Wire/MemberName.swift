/// The one rule for member names, shared by configured names and names from the wire: 1 to
/// `WireLimits.nameBytesMax` bytes of ASCII letters, digits, `-`, `_` and `.`.
///
/// The rule keeps names safe to print in a terminal, a log line or a file name: no control
/// characters (ESC sequences, newlines), no look-alike Unicode. A name from the wire that breaks it is
/// dropped and counted as `badName`.
public enum MemberName {
    /// True when `name` satisfies the rule.
    public static func isValid(_ name: String) -> Bool {
        let count = name.utf8.count
        return count >= 1 && count <= WireLimits.nameBytesMax && name.utf8.allSatisfy(isAllowed)
    }

    /// True for the bytes a name may hold.
    public static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }

    /// Why `name` breaks the rule, as one line for a person; nil when it is valid.
    public static func validationError(_ name: String) -> String? {
        let count = name.utf8.count
        if count == 0 || count > WireLimits.nameBytesMax {
            return "node name must be 1 to \(WireLimits.nameBytesMax) bytes (got \(count))"
        }
        if !name.utf8.allSatisfy(isAllowed) {
            return "node name '\(printable(name))' may use only letters, digits, '-', '_' and '.'"
        }
        return nil
    }

    /// `text` with every byte outside printable ASCII shown as `\xNN`, so that quoting a hostile
    /// name can never move a terminal's cursor or forge a log line.
    public static func printable(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result += "\\x" + hexDigit(byte >> 4) + hexDigit(byte & 0x0F)
            }
        }
        return result
    }

    static func hexDigit(_ nibble: UInt8) -> String {
        String(Unicode.Scalar(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10))
    }
}
