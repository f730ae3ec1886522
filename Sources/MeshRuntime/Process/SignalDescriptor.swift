import Glibc

/// The supervisor's blocked signals as a file descriptor (`signalfd(2)`), so one `poll` wakes on
/// output, a stop signal or a child's exit at once, instead of noticing them at the next poll
/// timeout. Glibc's Swift module map leaves out `sys/signalfd.h`: the call goes through `dlsym`.
/// Where it is missing, `open` returns nil and the supervisor falls back to `sigtimedwait`.
enum SignalDescriptor {
    /// `SFD_NONBLOCK | SFD_CLOEXEC` (the values of `O_NONBLOCK` and `O_CLOEXEC`).
    static let flags: Int32 = 0o4000 | 0o2000000
    /// The size of `struct signalfd_siginfo`; its first field is the signal number (`u32`).
    static let infoBytes = 128

    /// A descriptor that reads the signals of `mask` (which must stay blocked), or nil.
    static func open(_ mask: sigset_t) -> Int32? {
        typealias Call = @convention(c) (Int32, UnsafePointer<sigset_t>, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "signalfd") else { return nil }
        var mask = mask
        let fd = unsafeBitCast(symbol, to: Call.self)(-1, &mask, flags)
        return fd >= 0 ? fd : nil
    }

    /// Every signal pending on `fd` now, in order (never blocks).
    static func drain(_ fd: Int32) -> [Int32] {
        var numbers: [Int32] = []
        var info = [UInt8](repeating: 0, count: infoBytes)
        while numbers.count < 64 {
            let count = info.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count == infoBytes else { return numbers }
            numbers.append(Int32(bitPattern: UInt32(info[0]) | UInt32(info[1]) << 8 | UInt32(info[2]) << 16 | UInt32(info[3]) << 24))
        }
        return numbers
    }
}
