import Foundation
import Glibc
import MeshCore
import MeshRuntime

extension MeshCommandLine {
    static let logsCommand = Command(
        name: "logs", summary: "print a task's output (stdout and stderr) from whichever node runs it; -f follows it live",
        usage: "logs ID [-f] [--from N|A:N] [--attempt A] [--json] [--http ADDR:PORT]",
        options: clientOptions + [
            .flag("f", "follow: keep printing while the task runs, across attempts and failovers, until it ends"),
            .flag("follow", "the same as -f"),
            .value("from", "N|A:N", "start at byte N (of the attempt given, or of attempt A): a cursor printed before"),
            .value("attempt", "A", "the attempt to print (default: the latest that started)"),
            .flag("json", "print one JSON object per piece: {\"attempt\", \"offset\", \"node\", \"text\"}"),
        ]) { arguments in
        guard arguments.positionals.count == 1, let text = arguments.positionals.first else {
            throw UsageError("logs takes one task id (see mesh logs --help)")
        }
        guard let id = TaskID(text) else { throw UsageError("'\(text.prefix(80))' is not a task id (32 hex digits, as mesh submit prints)") }
        var cursor = try LogCursor(from: arguments.value("from"), attempt: arguments.value("attempt"))
        let client = try controlClient(arguments)
        let follow = arguments.has("f") || arguments.has("follow")
        var reader = LogReader(id: id, client: client, follow: follow, json: arguments.has("json"))
        return reader.run(&cursor)
    }
}

/// Where a log reader stands: an attempt (nil: the latest) and a byte offset in its log.
struct LogCursor: Equatable, CustomStringConvertible {
    var attempt: UInt32?
    var offset: UInt64 = 0

    /// From `--from N|A:N` and `--attempt A`.
    init(from: String?, attempt: String?) throws(UsageError) {
        if let attempt {
            guard let number = UInt32(attempt), number >= 1 else { throw UsageError("--attempt must be a whole number from 1 (got '\(attempt)')") }
            self.attempt = number
        }
        guard let from else { return }
        let parts = from.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2 {
            guard let a = UInt32(parts[0]), a >= 1, let n = UInt64(parts[1]) else { throw UsageError("--from must be N or A:N (got '\(from)')") }
            if let given = self.attempt, given != a { throw UsageError("--from \(from) names attempt \(a), --attempt \(given)") }
            self.attempt = a
            offset = n
        } else {
            guard parts.count == 1, let n = UInt64(parts[0]) else { throw UsageError("--from must be N or A:N (got '\(from)')") }
            offset = n
        }
    }

    var description: String { "\(attempt.map(String.init) ?? "?"):\(offset)" }
}

/// Reads a task's log through the control API, resuming from its cursor after a cut (a broken
/// connection, a node that died) and moving to the next attempt when one starts elsewhere.
struct LogReader {
    /// How long a follower keeps trying while no node answers before it gives up.
    static let unansweredMax: Nanoseconds = .seconds(60)
    /// Pause between tries while nothing new can be read (no attempt started, a node away).
    static let retryMicroseconds: UInt32 = 200_000

    let id: TaskID
    let client: ControlClient
    let follow: Bool
    let json: Bool

    mutating func run(_ cursor: inout LogCursor) -> Int32 {
        var unansweredSince: Int64?
        var announced: UInt32? = cursor.attempt
        while true {
            switch readOnce(&cursor, announced: &announced) {
            case .done: return 0
            case .failed(let message):
                printError(message + " (cursor \(cursor))")
                return 1
            case .retry(let why):
                guard follow else {
                    printError(why + " (cursor \(cursor))")
                    return 1
                }
                // The executor may be gone for good: a newer attempt (a failover) is read from 0.
                if case .progressed = nextAttempt(&cursor) { continue }
                let now = SystemClock.monotonicNanoseconds()
                if let since = unansweredSince, now - since > Self.unansweredMax {
                    printError("gave up: \(why) (resume with --from \(cursor))")
                    return 1
                }
                if unansweredSince == nil { unansweredSince = now }
                usleep(Self.retryMicroseconds)
                continue
            case .progressed:
                unansweredSince = nil
            case .wait:
                unansweredSince = nil
                usleep(Self.retryMicroseconds)
            }
        }
    }

    enum Step { case done, progressed, wait, retry(String), failed(String) }

    /// One request: prints what it gets, moves the cursor, says what to do next.
    private func readOnce(_ cursor: inout LogCursor, announced: inout UInt32?) -> Step {
        var path = "/v1/tasks/\(id)/logs?from=\(cursor.offset)"
        if let attempt = cursor.attempt { path += "&attempt=\(attempt)" }
        if follow { path += "&follow=1" }
        let answer: HTTPStreamClient
        do throws(ControlClient.Failure) {
            answer = try HTTPStreamClient(endpoint: client.endpoint, token: client.token, method: "GET", path: path,
                                          idleTimeout: follow ? .seconds(86_400) : .seconds(30))
        } catch { return .retry(error.description) }
        guard answer.status == 200 else { return refusal(answer, cursor: &cursor) }
        guard let attempt = answer.headers["x-mesh-log-attempt"].flatMap(UInt32.init),
              let offset = answer.headers["x-mesh-log-offset"].flatMap(UInt64.init) else { return .failed("the node answered without a log cursor") }
        let node = answer.headers["x-mesh-log-node"] ?? "?"
        if announced != attempt {
            if announced != nil || cursor.attempt == nil && follow { printError("--- attempt \(attempt) on \(node) ---") }
            announced = attempt
        }
        cursor.attempt = attempt
        cursor.offset = offset
        do throws(ControlClient.Failure) {
            while let piece = try answer.read() {
                emit(piece, attempt: attempt, offset: cursor.offset, node: node)
                cursor.offset &+= UInt64(piece.count)
            }
        } catch {
            return .retry("the log stream was cut: \(error)")
        }
        return follow ? nextAttempt(&cursor) : .done
    }

    /// After an attempt's log ended: done when the task has ended; on to a newer attempt when one
    /// started; else wait for one.
    func nextAttempt(_ cursor: inout LogCursor) -> Step {
        guard let answer = try? client.task(id), answer.status == 200 else { return .retry("cannot read task \(id)") }
        let state = answer.json["state"]?.string ?? ""
        let latest = answer.json["history"]?.array?.filter { $0["state"]?.string == "running" }.compactMap { $0["attempt"]?.integer }.max()
        if let latest, latest > Int64(cursor.attempt ?? 0) {
            cursor = LogCursor(attempt: UInt32(latest))
            return .progressed
        }
        return ["succeeded", "failed", "timed_out", "cancelled"].contains(state) ? .done : .wait
    }

    private func refusal(_ answer: HTTPStreamClient, cursor: inout LogCursor) -> Step {
        let body = (try? answer.readAll()) ?? []
        let json = try? JSONValue.parse(String(decoding: body, as: UTF8.self))
        let message = json.flatMap(ControlError.message(in:)) ?? "status \(answer.status)"
        switch (answer.status, json.flatMap { ControlError.detail("code", in: $0)?.string }) {
        case (409, "not_started"?):
            if let state = json.flatMap { ControlError.detail("state", in: $0)?.string }, ["succeeded", "failed", "timed_out", "cancelled"].contains(state) {
                return .failed("task \(id) ended (\(state)) without running an attempt")
            }
            return follow ? .wait : .failed(message)
        case (404, "not_found"?), (400, _): return .failed(message)
        default: return .retry(message)
        }
    }

    private func emit(_ bytes: Bytes, attempt: UInt32, offset: UInt64, node: String) {
        if json {
            let line = JSONValue.object([("attempt", .integer(Int64(attempt))), ("offset", .integer(Int64(clamping: offset))),
                                         ("node", .string(node)), ("text", .string(String(decoding: bytes, as: UTF8.self)))])
            print(line.serialized())
            fflush(nil)
        } else {
            var written = 0
            while written < bytes.count {
                let count = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress! + written, $0.count - written) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return }
                written += count
            }
        }
    }
}

extension LogCursor {
    init(attempt: UInt32?, offset: UInt64 = 0) { self.attempt = attempt; self.offset = offset }
}
