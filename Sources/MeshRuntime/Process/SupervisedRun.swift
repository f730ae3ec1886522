import Glibc
import MeshCore

/// One agent under `mesh __supervise`: copies its output to the log, answers stop signals, watches
/// for a stall, and when the leader has exited, kills whatever is left and waits until nothing of
/// the attempt runs any more. See `AgentSupervisor`.
struct SupervisedRun {
    /// The longest one wait for output or a signal lasts when nothing is due sooner: a fallback
    /// for what sends no event (the node gone without the parent-death signal). Output, a stop
    /// signal and a child's exit wake the supervisor at once (`SignalDescriptor`), and the end of
    /// the grace is waited for exactly.
    static let pollInterval: Nanoseconds = .milliseconds(50)
    /// Once everything was killed, how often the supervisor looks again for what is left (a
    /// process killed but not yet gone sends no event the supervisor hears when it is not its child).
    static let killedPollInterval: Nanoseconds = .milliseconds(5)
    /// While processes of the attempt remain after SIGKILL, how often every one is looked for
    /// again and killed (one started meanwhile by a process not dead yet).
    static let killAgainInterval: Nanoseconds = .milliseconds(20)
    /// Bytes read from the pipe per call.
    static let chunkBytes = 64 * 1024
    /// After everything is killed, how long the supervisor waits for the pipe's end before it
    /// gives up on the output (a writer nothing could find).
    static let drainMax: Nanoseconds = .seconds(2)
    /// How long the supervisor tries to remove the emptied cgroup (the kernel frees it shortly
    /// after its last process is reaped), and how long between tries.
    static let cgroupRemoveMax: Nanoseconds = .seconds(1)
    static let cgroupRemoveInterval: useconds_t = 1_000

    let plan: AgentSupervisor.Plan
    let leader: pid_t
    var pipe: Int32
    let cgroup: AgentCgroup?
    var signals: sigset_t
    /// The signals as a descriptor (nil: `sigtimedwait` after each wait instead).
    let signalFD: Int32?
    var log: OutputLog
    var leaderStatus: Int32?
    var stopSentAt: Instant?
    var killedAt: Instant?
    var lastKillAt: Instant = .zero
    /// False once `waitpid` says the supervisor has no child left. As a child subreaper it is the
    /// parent of every orphan below it, so no child means no descendant at all: no `/proc` scan
    /// is needed to know the attempt is over.
    var hasChildren = true
    var lastOutputAt: Instant
    /// True once the stall watchdog stopped the attempt.
    private(set) var isStalled = false

    init(plan: AgentSupervisor.Plan, leader: pid_t, pipe: Int32, cgroup: AgentCgroup?, signals: sigset_t) {
        self.plan = plan; self.leader = leader; self.pipe = pipe; self.cgroup = cgroup; self.signals = signals
        signalFD = SignalDescriptor.open(signals)
        log = OutputLog(path: plan.outputFile, bytesMax: plan.outputBytesMax)
        lastOutputAt = SystemClock.now()
    }

    /// Runs until the attempt is over: the leader reaped, every descendant gone, the output
    /// copied. Returns the leader's wait status. Never waits for the grace once the leader is
    /// gone: what is left of the attempt is killed then.
    mutating func wait() -> Int32 {
        while true {
            waitForEvent(SystemClock.now())
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
            if killedAt == nil || hasChildren || !(cgroup?.pids.allSatisfy { $0 == getpid() } ?? true) {
                if killedAt == nil || now >= lastKillAt + Self.killAgainInterval { killAll(now) }
                continue
            }
            if pipe < 0 || now >= killedAt! + Self.drainMax {
                if pipe >= 0 { close(pipe) }
                log.finish()
                removeCgroup()
                return status
            }
        }
    }

    /// How long the next wait may last: until the grace or the stall watchdog is due, at most
    /// `pollInterval` (`killedPollInterval` once everything was killed).
    func waitBudget(_ now: Instant) -> Nanoseconds {
        var budget = killedAt == nil ? Self.pollInterval : Self.killedPollInterval
        if let sent = stopSentAt, killedAt == nil { budget = min(budget, sent + plan.grace - now) }
        if plan.stallAfter > 0, stopSentAt == nil, leaderStatus == nil { budget = min(budget, lastOutputAt + plan.stallAfter - now) }
        return max(budget, 0)
    }

    /// Waits for output, a signal or the budget's end; copies the output that arrived.
    private mutating func waitForEvent(_ now: Instant) {
        let budget = waitBudget(now)
        let milliseconds = Int32(clamping: (budget + 999_999) / 1_000_000)
        guard let signalFD else {
            if pipe >= 0 { return pollOutput(milliseconds, signalFD: nil) }
            var timeout = timespec(tv_sec: 0, tv_nsec: Int(budget))
            let number = sigtimedwait(&signals, nil, &timeout)
            if number > 0 { handle(number) }
            return
        }
        pollOutput(milliseconds, signalFD: signalFD)
    }

    /// One `poll` on the pipe (when open) and the signal descriptor (when there is one).
    private mutating func pollOutput(_ milliseconds: Int32, signalFD: Int32?) {
        var entries: [pollfd] = []
        if pipe >= 0 { entries.append(pollfd(fd: pipe, events: Int16(POLLIN), revents: 0)) }
        if let signalFD { entries.append(pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)) }
        guard poll(&entries, nfds_t(entries.count), milliseconds) > 0, pipe >= 0, entries[0].revents != 0 else { return }
        readOutput()
    }

    /// Copies what the pipe holds to the log; closes the pipe at its end.
    private mutating func readOutput() {
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
            return
        }
    }

    /// Every signal pending now.
    private mutating func handleSignals() {
        if let signalFD {
            for number in SignalDescriptor.drain(signalFD) { handle(number) }
            return
        }
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
            guard pid > 0 else {
                if pid < 0 && errno == ECHILD { hasChildren = false }
                return
            }
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
        lastKillAt = now
        cgroup?.killAll()
        kill(-leader, SIGKILL)
        AgentDescendants.signal(SIGKILL, below: getpid())
    }

    /// Removes the attempt's cgroup, trying again while the kernel still frees it.
    private func removeCgroup() {
        guard let cgroup else { return }
        let giveUp = SystemClock.now() + Self.cgroupRemoveMax
        while !cgroup.remove(), SystemClock.now() < giveUp { usleep(Self.cgroupRemoveInterval) }
    }
}
