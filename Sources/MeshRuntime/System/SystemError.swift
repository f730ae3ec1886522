import Glibc

/// A failed system call: which call failed and the `errno` it left.
///
/// The one error type of the syscall layer, so callers can tell "would block" or "address in use"
/// apart without reading `errno` themselves.
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The call that failed, for example `bind`.
    public var call: String
    /// The `errno` value it left.
    public var code: Int32

    public init(call: String, code: Int32) {
        self.call = call
        self.code = code
    }

    /// True when a non-blocking call found nothing to do yet.
    public var isWouldBlock: Bool { code == EAGAIN || code == EWOULDBLOCK }

    /// The operating system's text for `code`.
    public var reason: String { String(cString: strerror(code)) }

    public var description: String { "\(call): \(reason)" }
}

/// Runs `body`, a system call that returns -1 and sets `errno` on failure, retrying it while it is
/// interrupted by a signal (EINTR). Any other failure becomes a `SystemError`.
@inline(__always)
func retryingInterrupts<Result: FixedWidthInteger>(_ call: String, _ body: () -> Result) throws(SystemError) -> Result {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SystemError(call: call, code: code)
    }
}

/// Closes a descriptor once. `close` is never retried on EINTR: on Linux the descriptor is gone
/// either way, and retrying could close a descriptor another thread just opened.
func closeDescriptor(_ fd: Int32) {
    guard fd >= 0 else { return }
    _ = Glibc.close(fd)
}
