import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime

/// A server on a real loopback socket that takes one connection and lets the test answer it by
/// hand (client tests that need an answer no mesh node would write).
enum OneConnectionServer {
    /// Listens on `host` (port chosen by the system); a thread of its own waits up to 10 s for one
    /// connection, hands it to `answer`, then closes it and the listener. Returns the bound address.
    static func start(on host: Address, answer: @escaping @Sendable (Int32) -> Void) throws -> Address {
        let listener = try Sockets.listener(boundTo: .ipv4(host))
        guard case .ipv4(let bound)? = Sockets.localEndpoint(listener) else { throw SystemError(call: "getsockname", code: EINVAL) }
        Thread.detachNewThread {
            defer { closeDescriptor(listener) }
            var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 10_000) > 0, let (fd, _) = (try? Sockets.accept(listener)) ?? nil else { return }
            defer { closeDescriptor(fd) }
            answer(fd)
        }
        return bound
    }
}
