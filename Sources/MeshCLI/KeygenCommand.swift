import Foundation
import Glibc
import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let keygenCommand = Command(
        name: "keygen", summary: "print a new random cluster key (one base64 line for --key-file)",
        usage: "keygen [--out FILE]",
        options: [.value("out", "FILE", "write the key to a new file (mode 600) instead of printing it")]) { arguments in
        try expectNoArguments(arguments, command: "keygen")
        var generator = SystemRandomNumberGenerator()
        let key = MeshKey.make(from: &generator)
        guard let path = arguments.value("out") else {
            print(key.base64)
            return 0
        }
        guard !Files.exists(path) else { throw UsageError("\(path) already exists; not overwriting a key") }
        let text = "# AgentMesh cluster key: copy this file to every node (mode 600), pass it as --key-file.\n"
            + "# Add a new key as the first line and keep the old one below it to rotate without downtime.\n"
            + key.base64 + "\n"
        do throws(SystemError) {
            try Files.writeNew(path, Array(text.utf8), mode: 0o600)
        } catch where error.code == EEXIST {
            throw UsageError("\(path) already exists; not overwriting a key")
        } catch {
            printError("cannot write \(path): \(error.reason)")
            return 1
        }
        print("wrote a new key to \(path)")
        return 0
    }
}
