import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// Helpers for the data-plane tests (attachments, logs, artifacts) on top of `TestCluster`.
extension TestCluster {
    /// Profiles of the data-plane tests: `inbox` hashes its inbox into `artifacts/sums.txt` and
    /// copies `data.bin` out; `gated` prints a line, waits for the file `gate` in the cluster's
    /// directory, prints another and exits.
    func dataProfiles() -> String {
        """
        {"profiles": [
          {"name": "inbox", "command": ["/bin/sh", "-c", "cat > /dev/null; cd inbox && sha256sum * > ../artifacts/sums.txt; cp data.bin ../artifacts/copy.bin; echo done"], "slots": 4},
          {"name": "gated", "command": ["/bin/sh", "-c", "cat > /dev/null; echo first line; while [ ! -e \(directory)/gate ]; do sleep 0.05; done; echo second line"], "slots": 4}
        ]}
        """
    }

    /// Writes `count` random bytes to a file in the cluster's directory; returns its path.
    func randomFile(_ name: String, bytes count: Int) throws -> String {
        let path = directory + "/" + name
        try Data(SecureRandom.bytes(count)).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The blob names in node `name`'s store (temporary files excluded), and its temporary files.
    func blobs(_ name: String) -> (blobs: [String], temporary: [String]) {
        let root = dataDirectory(name) + "/blobs"
        let all = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let temporary = (try? FileManager.default.contentsOfDirectory(atPath: root + "/tmp")) ?? []
        return (all.filter { $0 != "tmp" }.sorted(), temporary)
    }

    /// SHA-256 of a file, as hex.
    static func sha256(ofFile path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return MeshKey.hex(SHA256.hash(Bytes(data)))
    }
}
