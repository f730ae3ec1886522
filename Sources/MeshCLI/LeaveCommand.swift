import Foundation
import Glibc
import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let leaveCommand = Command(
        name: "leave", summary: "make a running node leave the mesh gracefully and exit",
        usage: "leave [--http ADDR:PORT]",
        options: clientOptions + [.value("wait", "S", "seconds to wait for the node to exit (default 10; 0: do not wait)")]) { arguments in
        try expectNoArguments(arguments, command: "leave")
        let client = try controlClient(arguments)
        let waitSeconds = try arguments.integer("wait", default: 10, in: 0...600)
        let name: String
        do throws(ControlClient.Failure) {
            name = try client.status().selfName
            try client.leave()
        } catch {
            printError(error.description)
            return 1
        }
        guard waitSeconds > 0 else {
            print("\(name) is leaving")
            return 0
        }
        let deadline = SystemClock.monotonicNanoseconds() + .seconds(Int64(waitSeconds))
        var probe = client
        probe.timeout = .milliseconds(500)
        while SystemClock.monotonicNanoseconds() < deadline {
            if case .failure(.unreachable) = Result(catching: { () throws(ControlClient.Failure) in try probe.status() }) {
                print("\(name) left the mesh")
                return 0
            }
            usleep(100_000)
        }
        printError("\(name) announced its leave but still answers after \(waitSeconds)s")
        return 1
    }
}
