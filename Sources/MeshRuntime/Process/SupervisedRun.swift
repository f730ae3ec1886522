import Glibc
import MeshCore

/// One agent under `mesh __supervise`: copies its output to the log, answers stop signals, watches
/// for a stall, and when the leader has exited, kills whatever is left and waits until nothing of
/// the attempt runs any more. See `AgentSupervisor`.
struct SupervisedRun {
    /// How long one wait for output or a signal lasts (a signal is noticed within it).
    static let pollInterval: Int32 = 50
    /// Bytes read from the pipe per call.
    static let chunkBytes = 64 * 1024
    /// After everything is killed, how long the supervisor waits for the pipe's end before it
    /// gives up on the output (a writer nothing could find).
    static let drainMax: Nanoseconds = .seconds(2)

    let plan: AgentSupervisor.Plan
    let leader: pid_t
    var pipe: Int32
    let cgroup: AgentCgroup?
    var signals: sigset_t
    var log: OutputLog
    var leaderStatus: Int32?
    var stopSentAt: Instant?
    var killedAt: Instant?
    var lastOutputAt: Instant
    /// True once the stall watchdog stopped the attempt.
    private(set) var isStalled = false

    init(plan: AgentSupervisor.Plan, leader: pid_t, pipe: Int32, cgroup: AgentCgroup?, signals: sigset_t) {
        self.plan = plan; self.leader = leader; self.pipe = pipe; self.cgroup = cgroup; self.signals = signals
        log = OutputLog(path: plan.outputFile, bytesMax: plan.outputBytesMax)
        lastOutputAt = SystemClock.now()
    }

    /// Runs until the attempt is over: the leader reaped, every descendant gone, the output
    /// copied. Returns the leader's wait status.
    mutating func wait() -> Int32 {
        while true {
            if let number = waitForOutput() { handle(number) }
            handleSignals()
            reap()
            let now = SystemClock.now()
            if getppid() != plan.parent { killAll(now) }
            if let sent = stopSentAt, killedAt == nil, now >= sent + plan.grace { killAll(now) }
            if plan.stallAfter > 0, stopSentAt == nil, leaderStatus == nil, now - lastOutputAt >= plan.stallAfter {
                isStalled = true
                stop(now)
            }
            guard let status = leaderStatus else { continue }
            if killedAt == nil || !AgentDescendants.of(getpid()).isEmpty || !(cgroup?.pids.allSatisfy { $0 == getpid() } ?? true) {
                killAll(now)
                continue
            }
            if pipe < 0 || now >= killedAt! + Self.drainMax {
                if pipe >= 0 { close(pipe) }
                log.finish()
                for _ in 0..<100 where !(cgroup?.remove() ?? true) { usleep(10_000) }   // the kernel empties it shortly after
                return status
            }
        }
    }

    /// Waits up to `pollInterval` for output and copies what arrived; with the pipe closed, waits
    /// for a signal instead and returns it.
    private mutating func waitForOutput() -> Int32? {
        guard pipe >= 0 else {
            var timeout = timespec(tv_sec: 0, tv_nsec: Int(Self.pollInterval) * 1_000_000)
            let number = sigtimedwait(&signals, nil, &timeout)
            return number > 0 ? number : nil
        }
        var entry = pollfd(fd: pipe, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, Self.pollInterval) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: Self.chunkBytes)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(pipe, $0.baseAddress, $0.count) }
            if count > 0 {
                lastOutputAt = SystemClock.now()
                log.append(buffer, count: count)
                continue
            }
            if count == 0 || (errno != EINTR && errno != EAGAIN) {
                close(pipe)
                pipe = -1
            }
            return nil
        }
    }

    /// Every signal pending now.
    private mutating func handleSignals() {
        var zero = timespec(tv_sec: 0, tv_nsec: 0)
        while true {
            let number = sigtimedwait(&signals, nil, &zero)
            guard number > 0 else { return }
            handle(number)
        }
    }

    /// TERM, INT, HUP: stop (grace, then kill); the kill signal: kill now; SIGCHLD: reaped next.
    private mutating func handle(_ number: Int32) {
        let now = SystemClock.now()
        if number == SIGTERM || number == SIGINT || number == SIGHUP {
            stop(now)
        } else if number == AgentSupervisor.killSignal {
            killAll(now)
        }
    }

    /// Reaps every child that ended (the leader's status is kept; orphans re-parented here too).
    private mutating func reap() {
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return }
            if pid == leader { leaderStatus = status }
        }
    }

    /// SIGTERM to every process of the attempt, once; SIGKILL follows after the grace.
    private mutating func stop(_ now: Instant) {
        guard stopSentAt == nil else { return }
        stopSentAt = now
        kill(-leader, SIGTERM)
        cgroup?.signalAll(SIGTERM)
        AgentDescendants.signal(SIGTERM, below: getpid())
    }

    /// SIGKILL to every process of the attempt: the cgroup, the leader's group, every descendant.
    private mutating func killAll(_ now: Instant) {
        if killedAt == nil { killedAt = now }
        cgroup?.killAll()
        kill(-leader, SIGKILL)
        AgentDescendants.signal(SIGKILL, below: getpid())
    }
}

/// The attempt's log: output appended up to a byte limit, the rest dropped and counted, and a
/// note at the end saying how much was dropped.
struct OutputLog {
    let fd: Int32
    var bytesLeft: Int64
    var dropped: Int64 = 0
    let bytesMax: Int64

    init(path: String, bytesMax: Int64) {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        self.bytesMax = bytesMax
        bytesLeft = max(bytesMax, 0)
    }

    mutating func append(_ buffer: [UInt8], count: Int) {
        let kept = Int(min(Int64(count), bytesLeft))
        dropped &+= Int64(count - kept)
        bytesLeft -= Int64(kept)
        guard kept > 0, fd >= 0 else { return }
        writeAll(buffer, count: kept)
    }

    /// Notes the dropped bytes (if any) and closes the file.
    mutating func finish() {
        if dropped > 0 {
            let note = Array("\n[mesh: output past the task's log limit dropped: \(dropped) bytes]\n".utf8)
            writeAll(note, count: note.count)
        }
        if fd >= 0 { close(fd) }
    }

    private func writeAll(_ bytes: [UInt8], count: Int) {
        var offset = 0
        while offset < count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
