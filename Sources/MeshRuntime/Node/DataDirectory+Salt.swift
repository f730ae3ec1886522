import MeshCore

/// The salt of the node's task ids (`TaskIDGenerator`): random bytes chosen at the directory's
/// first start and kept in `task-id-salt` (hex), so a node started on a fresh directory under a
/// name used before (incarnation 1 again) never repeats an id an earlier directory made.
extension DataDirectory {
    /// Bytes of a new salt.
    public static let taskIDSaltBytes = 16

    var taskIDSaltPath: String { path + "/task-id-salt" }

    /// The directory's salt, made (and written durably) on first use. A file that is not
    /// 2 × `taskIDSaltBytes` hex digits is an error naming it: replacing it silently could repeat
    /// nothing, but it would hide a damaged directory.
    public func taskIDSalt() throws(Failure) -> Bytes {
        let file = taskIDSaltPath
        if Files.exists(file) {
            let text: String
            do { text = try Files.readText(file, bytesMax: 256) } catch {
                throw Failure(description: "data directory \(path): cannot read task-id-salt: \(error.reason)")
            }
            guard let salt = Self.parseHex(Text.trimmed(text)), salt.count == Self.taskIDSaltBytes else {
                throw Failure(description: "data directory \(path): task-id-salt is not \(2 * Self.taskIDSaltBytes) hex digits "
                              + "(remove it to choose a new salt)")
            }
            return salt
        }
        let salt = SecureRandom.bytes(Self.taskIDSaltBytes)
        do { try Files.writeAtomically(file, Array((Self.hex(salt) + "\n").utf8)) } catch {
            throw Failure(description: "data directory \(path): cannot write task-id-salt: \(error.reason)")
        }
        return salt
    }

    static func hex(_ bytes: Bytes) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = Bytes()
        for byte in bytes { text.append(digits[Int(byte >> 4)]); text.append(digits[Int(byte & 0xF)]) }
        return String(decoding: text, as: UTF8.self)
    }

    static func parseHex(_ text: String) -> Bytes? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var bytes = Bytes()
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }
}
