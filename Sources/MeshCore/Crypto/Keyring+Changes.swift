/// One change an operator makes to a running node's keyring. A rotation that never drops a
/// datagram installs the new key everywhere, then uses it everywhere, then removes the old one.
public enum KeyChange: Sendable, Equatable {
    /// Accept tags under this key too (it becomes the newest of the older keys).
    case install(MeshKey)
    /// Make this installed key the primary: new tags are made under it; the old primary is still accepted.
    case use(MeshKey)
    /// Stop accepting this key. The primary cannot be removed.
    case remove(MeshKey)
}

extension MeshKey {
    /// Bytes of a key fingerprint: the leftmost 8 bytes of SHA-256 of the key. It names a key in
    /// lists and gossip; the key itself never travels.
    public static let fingerprintBytes = 8

    /// The key's fingerprint (`fingerprintBytes` bytes of its SHA-256).
    public var fingerprint: Bytes { Array(SHA256.hash(bytes).prefix(MeshKey.fingerprintBytes)) }

    /// The fingerprint as lowercase hex, 16 characters.
    public var fingerprintText: String { MeshKey.hex(fingerprint) }

    /// Lowercase hex of `bytes`.
    public static func hex(_ bytes: Bytes) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return text
    }
}

extension Keyring {
    /// The keyring after `change`, or why the change is refused (one line for the operator).
    public func applying(_ change: KeyChange) -> Result<Keyring, KeyChangeError> {
        switch change {
        case .install(let key):
            if keys.contains(key) { return .failure(.alreadyInstalled(key.fingerprintText)) }
            guard keys.count < KeyFile.keysMax else { return .failure(.full) }
            return .success(Keyring(keys: keys + [key]))
        case .use(let key):
            guard let index = keys.firstIndex(of: key) else { return .failure(.notInstalled(key.fingerprintText)) }
            var reordered = keys
            reordered.remove(at: index)
            return .success(Keyring(keys: [key] + reordered))
        case .remove(let key):
            guard let index = keys.firstIndex(of: key) else { return .failure(.notInstalled(key.fingerprintText)) }
            guard index != 0 else { return .failure(.primary(key.fingerprintText)) }
            var remaining = keys
            remaining.remove(at: index)
            return .success(Keyring(keys: remaining))
        }
    }
}

/// Why a key change was refused.
public enum KeyChangeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The key (by fingerprint) is already in the keyring.
    case alreadyInstalled(String)
    /// The key (by fingerprint) is not in the keyring: install it first.
    case notInstalled(String)
    /// The key (by fingerprint) is the primary, which cannot be removed.
    case primary(String)
    /// The keyring already holds `KeyFile.keysMax` keys.
    case full
    /// The node runs without a key.
    case unauthenticated

    /// The one-line message.
    public var description: String {
        switch self {
        case .alreadyInstalled(let fingerprint): "key \(fingerprint) is already installed"
        case .notInstalled(let fingerprint): "key \(fingerprint) is not installed on this node (mesh keys install KEY first)"
        case .primary(let fingerprint):
            "key \(fingerprint) is the primary key: use another key first (mesh keys use KEY), then remove this one"
        case .full: "the keyring already holds \(KeyFile.keysMax) keys; remove one first"
        case .unauthenticated: "this node runs without a key (no --key-file); keys can only change on an authenticated node"
        }
    }
}
