/// Base64 with the standard alphabet and `=` padding (RFC 4648 §4).
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The padded base64 text of `bytes`.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var out = Bytes()
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i < input.count {
            let b0 = input[i], b1 = i + 1 < input.count ? input[i + 1] : 0, b2 = i + 2 < input.count ? input[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(i + 1 < input.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < input.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes `text` encodes, or nil unless it is canonical padded base64: a multiple of 4
    /// characters from the alphabet, `=` only as the last one or two, and zero unused bits.
    /// Being strict means every byte string has exactly one accepted text. Whitespace is not
    /// skipped; the caller trims it.
    public static func decode(_ text: String) -> Bytes? {
        let s = Array(text.utf8)
        guard s.count % 4 == 0 else { return nil }
        guard !s.isEmpty else { return [] }
        let eq = UInt8(ascii: "=")
        let padding = s[s.count - 1] != eq ? 0 : s[s.count - 2] != eq ? 1 : 2
        var out = Bytes()
        out.reserveCapacity(s.count / 4 * 3 - padding)
        var i = 0
        while i < s.count {
            let last = i + 4 == s.count
            guard let v0 = value(s[i]), let v1 = value(s[i + 1]) else { return nil }
            out.append(v0 << 2 | v1 >> 4)
            if last && padding == 2 {
                guard v1 & 0x0F == 0 else { return nil }
                break
            }
            guard let v2 = value(s[i + 2]) else { return nil }
            out.append(v1 << 4 | v2 >> 2)
            if last && padding == 1 {
                guard v2 & 0x03 == 0 else { return nil }
                break
            }
            guard let v3 = value(s[i + 3]) else { return nil }
            out.append(v2 << 6 | v3)
            i += 4
        }
        return out
    }

    /// The 6-bit value of one alphabet character, or nil for anything else (including `=`).
    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
