import Glibc
import MeshCore
import MeshRuntime

/// The `logs -f` half of `mesh bench transfer`: what a user runs, timed as a user sees it.
extension TransferBench {
    /// Bytes read from the pipe of `mesh logs -f` per call.
    static let pipeReadBytes = 1 << 20
    /// How long `mesh logs -f` may take to exit after its output ended.
    static let logsExitSeconds = 30.0

    /// Runs `mesh logs ID -f --http ENDPOINT` (this executable) with its standard output on a
    /// pipe read here and counted, as `mesh logs -f ID | wc -c` would. The clock starts at the
    /// first byte out of the pipe; the rate is up to the last byte, and the time to the command's
    /// exit (the attempt's end noticed) is kept beside it. Fails unless the command exits 0.
    /// Its standard error goes to `errors` (quoted when it fails).
    func measureLogs(_ id: TaskID, endpoint: SocketEndpoint, errors: String, into figures: inout Figures) throws {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw Failure("cannot make a pipe: \(SystemError(call: "pipe", code: errno).reason)") }
        for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer { close(ends[0]) }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(ChildProcess.currentExecutable(), ["logs", id.description, "-f", "--http", endpoint.description],
                                           environment: ChildProcess.environment(), output: .descriptor(ends[1], stderr: errors))
        } catch {
            close(ends[1])
            throw error
        }
        close(ends[1])
        var start: Int64?
        var last: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.pipeReadBytes, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let count = read(ends[0], buffer.baseAddress, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            last = SystemClock.monotonicNanoseconds()
            if start == nil { start = last }
            figures.logBytes += count
        }
        let status = child.waitForExit(timeout: Self.logsExitSeconds)
        let exited = SystemClock.monotonicNanoseconds()
        guard let status else {
            child.kill()
            throw Failure("mesh logs -f did not exit within \(Int(Self.logsExitSeconds)) s after its output ended")
        }
        guard status == 0 else {
            let said = (try? Files.readText(errors, bytesMax: 4096)).map { ": " + Text.trimmed($0) } ?? ""
            throw Failure("mesh logs -f exited with status \(status)\(said)")
        }
        figures.logSeconds = Double(last - (start ?? last)) / 1e9
        figures.logExitSeconds = Double(exited - (start ?? exited)) / 1e9
    }
}
