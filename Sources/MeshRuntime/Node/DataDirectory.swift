import Glibc
import MeshCore

/// A node's data directory: its name and last incarnation (ARCHITECTURE §4), so a restart keeps its
/// identity and comes back with a higher incarnation.
///
/// `node.json` holds `{"name": …, "incarnation": …}` and is replaced atomically on every change; the
/// incarnation is written and read back exactly, up to 2^64-1 (`JSONValue.unsigned`).
/// A lock file (`flock`) keeps two running nodes from sharing one directory.
public final class DataDirectory: @unchecked Sendable {
    /// What the directory remembers of the node.
    public struct Identity: Equatable, Sendable {
        public var name: String
        public var incarnation: UInt64
        public init(name: String, incarnation: UInt64) { self.name = name; self.incarnation = incarnation }
    }

    /// Why a data directory cannot be used; one line for the operator.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let path: String
    /// What the directory held when it was opened; nil for a new directory.
    public let stored: Identity?
    private let lockDescriptor: Int32

    var identityPath: String { path + "/node.json" }

    /// Opens (creating if needed) the directory and takes its lock.
    public init(path: String) throws(Failure) {
        self.path = path
        do {
            try Files.makeDirectory(path)
        } catch {
            throw Failure(description: "data directory \(path): \(error.reason)")
        }
        let lockPath = path + "/lock"
        // O_NOFOLLOW: a symlink planted at `lock` must not make the node create or lock its target.
        let fd = open(lockPath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "data directory \(path): cannot open lock file: \(SystemError(call: "open", code: errno).reason)") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            closeDescriptor(fd)
            throw Failure(description: "data directory \(path) is in use by another running node")
        }
        lockDescriptor = fd
        let file = path + "/node.json"
        guard Files.exists(file) else { stored = nil; return }
        let text: String
        do {
            text = try Files.readText(file, bytesMax: 64 * 1024)
        } catch {
            closeDescriptor(fd)
            throw Failure(description: "data directory \(path): cannot read node.json: \(error.reason)")
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(text)
        } catch {
            closeDescriptor(fd)
            throw Failure(description: "data directory \(path): node.json is not valid JSON: \(error) (move it away to start as a new node)")
        }
        guard let name = json["name"]?.string, let incarnation = json["incarnation"]?.unsigned else {
            closeDescriptor(fd)
            throw Failure(description: "data directory \(path): node.json needs \"name\" and \"incarnation\" at line 1, column 1 "
                          + "(move it away to start as a new node)")
        }
        stored = Identity(name: name, incarnation: incarnation)
    }

    deinit { closeDescriptor(lockDescriptor) }

    /// Durably records the node's name and incarnation (write, fsync, rename, fsync directory).
    public func persist(_ identity: Identity) throws(SystemError) {
        let json = JSONValue.object([("name", .string(identity.name)), ("incarnation", .unsigned(identity.incarnation))])
        try Files.writeAtomically(identityPath, Array((json.serialized() + "\n").utf8))
    }
}
