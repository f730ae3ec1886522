import Foundation
import Glibc
import MeshCore

/// SHA-256s of files already hashed, by path and identity (inode, size, modification time), so a
/// workspace listing asked again (every artifact download while the history lists none) does not
/// read the whole file again. A file that changed in any of those is hashed anew. Thread-safe;
/// at most `entriesMax` entries (then it starts again empty).
final class HashCache: @unchecked Sendable {
    /// Files remembered at most.
    static let entriesMax = 1_024

    struct Identity: Hashable {
        var path: String
        var inode: UInt64
        var size: Int64
        var modifiedSeconds: Int
        var modifiedNanoseconds: Int
    }

    private let lock = NSLock()
    private var hashes: [Identity: Bytes] = [:]

    static func identity(_ path: String, _ info: stat) -> Identity {
        Identity(path: path, inode: UInt64(info.st_ino), size: Int64(info.st_size),
                 modifiedSeconds: info.st_mtim.tv_sec, modifiedNanoseconds: info.st_mtim.tv_nsec)
    }

    func hash(of identity: Identity) -> Bytes? { lock.withLock { hashes[identity] } }

    func remember(_ hash: Bytes, for identity: Identity) {
        lock.withLock {
            if hashes.count >= Self.entriesMax { hashes.removeAll() }
            hashes[identity] = hash
        }
    }
}
