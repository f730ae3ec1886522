/// What the control API asks of the task layer and what it hears back (issue 9 §8): the payloads of
/// `ControlRequest.submitTask`, `.task`, `.tasks` and of their `ControlReply` cases. Structured, so
/// the HTTP shell picks its status code from the case, never from a string.

/// The answer to an accepted submission: `201 {"id", "state", "copies"}`.
public struct TaskAcceptance: Equatable, Sendable {
    /// The task's id (the same one again for a resubmission with the same idempotency key).
    public var id: TaskID
    /// Its state when the reply was made (`accepted` for a new task; any state for a duplicate).
    public var state: TaskState
    /// How many nodes hold it synced: 2 in a mesh, 1 for a node alone (the reply says so).
    public var copies: UInt8
    /// True when the task existed already (same idempotency key): nothing new was created.
    public var isDuplicate: Bool

    /// An acceptance.
    public init(id: TaskID, state: TaskState, copies: UInt8, isDuplicate: Bool = false) {
        self.id = id; self.state = state; self.copies = copies; self.isDuplicate = isDuplicate
    }

    /// `{"id", "state", "copies"}` as the API prints it.
    public var json: JSONValue {
        .object([("id", .string(id.description)), ("state", .string(state.rawValue)),
                 ("copies", .integer(Int64(copies)))])
    }
}

/// Why a submission was refused. Nothing was created (or what was half-created is `cancelled`
/// with the reason, never reported as accepted).
public enum TaskRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    /// A field is wrong (`400` naming it).
    case badField(TaskFieldError)
    /// No member of the mesh advertises this profile, alive or not (`400`: a typo, or a profile
    /// no node is configured with).
    case unknownProfile(String)
    /// Members advertise the profile, but none alive carries the required tags (`503`, retryable).
    case noEligibleNode(String)
    /// The owner's queue for the profile is full (`503`, retryable later).
    case busy(String)
    /// The owner's disk is full: it takes no new work until the disk recovers (`503`).
    case diskFull
    /// The node is leaving the mesh (`503`: submit through another node).
    case leaving
    /// The task could not be stored on a second node in time; it is recorded `cancelled` (`503`).
    case notStored(String)
    /// The owner could not be reached, or did not answer within the request deadline (`503`).
    case unavailable(String)

    /// A stable machine word for JSON: `bad_field`, `unknown_profile`, `no_eligible_node`, `busy`,
    /// `disk_full`, `leaving`, `not_stored`, `unavailable`.
    public var code: String {
        switch self {
        case .badField: "bad_field"
        case .unknownProfile: "unknown_profile"
        case .noEligibleNode: "no_eligible_node"
        case .busy: "busy"
        case .diskFull: "disk_full"
        case .leaving: "leaving"
        case .notStored: "not_stored"
        case .unavailable: "unavailable"
        }
    }

    /// True when the client must change the request (HTTP `400`); false when the mesh cannot take
    /// it now and the same request may succeed later (HTTP `503`).
    public var isClientError: Bool {
        switch self {
        case .badField, .unknownProfile: true
        case .noEligibleNode, .busy, .diskFull, .leaving, .notStored, .unavailable: false
        }
    }

    /// One line for people.
    public var description: String {
        switch self {
        case .badField(let error): error.description
        case .unknownProfile(let profile): "unknown profile '\(profile)': no member advertises it"
        case .noEligibleNode(let why): "no eligible node: \(why)"
        case .busy(let why): "busy: \(why)"
        case .diskFull: "disk full: the owner takes no new work"
        case .leaving: "the node is leaving the mesh: submit through another node"
        case .notStored(let why): "could not store a second copy: \(why)"
        case .unavailable(let why): "unavailable: \(why)"
        }
    }

    /// `{"error": {"code", "message", "field"?}}` as the API prints it (the API's one error shape).
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [("code", .string(code)), ("message", .string(description))]
        if case .badField(let error) = self { members.append(("field", .string(error.field))) }
        return .object([("error", .object(members))])
    }
}

/// Which tasks `ControlRequest.tasks` lists: a page of the listing order (newest created first,
/// then by id), after a cursor.
public struct TaskFilter: Equatable, Sendable {
    /// Only tasks in this state; nil for all.
    public var state: TaskState?
    /// The most tasks listed; clamped to `listedTasksMax`.
    public var limit: Int
    /// Only tasks after this one in the listing order (the previous page's `next`); nil: from the start.
    public var after: TaskCursor?

    /// The most tasks one listing holds.
    public static let listedTasksMax = 1_000

    /// A filter.
    public init(state: TaskState? = nil, limit: Int = TaskFilter.listedTasksMax, after: TaskCursor? = nil) {
        self.state = state
        self.limit = min(max(limit, 0), Self.listedTasksMax)
        self.after = after
    }

    /// Whether `summary` passes.
    public func admits(_ summary: TaskSummary) -> Bool {
        (state == nil || summary.state == state) && (after.map { $0.precedes(summary) } ?? true)
    }

    /// True when `a` comes before `b` in the listing order: newest created first, then by id. A
    /// task's creation time never changes, so pages stay stable while tasks change state.
    public static func listingOrder(_ a: TaskSummary, _ b: TaskSummary) -> Bool {
        (b.createdAt, a.id) < (a.createdAt, b.id)
    }
}

/// A position in the task listing order: the creation time and id of the last task of a page.
/// Text form `CREATED_MS-IDHEX` (opaque to clients: they pass back what `next` said).
public struct TaskCursor: Equatable, Sendable, CustomStringConvertible {
    /// The task's creation time (ms since the Unix epoch).
    public var createdAt: Int64
    public var id: TaskID

    /// A cursor at `summary`.
    public init(_ summary: TaskSummary) { createdAt = summary.createdAt; id = summary.id }

    /// A cursor from its parts.
    public init(createdAt: Int64, id: TaskID) { self.createdAt = createdAt; self.id = id }

    /// Parses the text form; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].utf8.count <= 15, parts[0].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let created = Int64(parts[0]), let id = TaskID(String(parts[1])) else { return nil }
        self.init(createdAt: created, id: id)
    }

    public var description: String { "\(createdAt)-\(id)" }

    /// True when `summary` comes after this position in the listing order.
    public func precedes(_ summary: TaskSummary) -> Bool {
        summary.createdAt < createdAt || (summary.createdAt == createdAt && id < summary.id)
    }
}

/// One line of a task listing: what `mesh tasks` prints (no prompt, no history).
public struct TaskSummary: Equatable, Sendable {
    public var id: TaskID
    public var profile: String
    public var state: TaskState
    /// The current attempt number.
    public var attempt: UInt32
    /// The owner and its epoch.
    public var owner: String
    public var epoch: UInt64
    /// Copies the owner counts.
    public var copies: UInt8
    /// Events in the history (with the epoch: which of two copies is newer).
    public var eventCount: UInt32
    /// Wall time of the first and of the last event (ms since the Unix epoch).
    public var createdAt: Int64
    public var updatedAt: Int64

    /// The summary of `record`.
    public init(_ record: TaskRecord) {
        id = record.id; profile = record.spec.profile; state = record.state
        attempt = record.progress.attempt; owner = record.progress.owner; epoch = record.progress.ownerEpoch
        copies = record.progress.copies; eventCount = UInt32(clamping: record.history.count)
        createdAt = record.history.first?.at ?? 0; updatedAt = record.history.last?.at ?? 0
    }

    /// A summary from decoded parts.
    public init(id: TaskID, profile: String, state: TaskState, attempt: UInt32, owner: String, epoch: UInt64,
                copies: UInt8, eventCount: UInt32, createdAt: Int64, updatedAt: Int64) {
        self.id = id; self.profile = profile; self.state = state; self.attempt = attempt; self.owner = owner
        self.epoch = epoch; self.copies = copies; self.eventCount = eventCount
        self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    /// True when this copy is newer than `other` (same id): higher epoch, then more events.
    public func isNewer(than other: TaskSummary) -> Bool { (epoch, eventCount) > (other.epoch, other.eventCount) }

    /// `{"id", "profile", "state", "attempt", "owner", "copies", "created", "updated"}`.
    public var json: JSONValue {
        .object([("id", .string(id.description)), ("profile", .string(profile)), ("state", .string(state.rawValue)),
                 ("attempt", .integer(Int64(attempt))), ("owner", .string(owner)), ("copies", .integer(Int64(copies))),
                 ("created", .string(WallClock.rfc3339(milliseconds: createdAt))),
                 ("updated", .string(WallClock.rfc3339(milliseconds: updatedAt)))])
    }
}

/// The answer to `ControlRequest.tasks`: every task the members that answered hold, merged by id
/// (newest copy wins).
public struct TaskListing: Equatable, Sendable {
    /// The tasks in the listing order (`TaskFilter.listingOrder`).
    public var tasks: [TaskSummary]
    /// Members asked (alive, this node included) and members that answered in time.
    public var membersAsked: Int
    public var membersAnswered: Int
    /// True when more tasks matched than the filter's limit.
    public var isTruncated: Bool

    /// A listing.
    public init(tasks: [TaskSummary], membersAsked: Int, membersAnswered: Int, isTruncated: Bool) {
        self.tasks = tasks; self.membersAsked = membersAsked; self.membersAnswered = membersAnswered
        self.isTruncated = isTruncated
    }

    /// Where the next page starts (the last task's cursor) when more tasks matched; nil on the last page.
    public var next: TaskCursor? { isTruncated ? tasks.last.map(TaskCursor.init) : nil }

    /// True when some member did not answer: a task it alone holds may be missing.
    public var isPartial: Bool { membersAnswered < membersAsked }

    /// `{"tasks": [...], "membersAsked", "membersAnswered", "truncated", "next"}` (`next`: a cursor or null).
    public var json: JSONValue {
        .object([("tasks", .array(tasks.map(\.json))), ("membersAsked", .integer(Int64(membersAsked))),
                 ("membersAnswered", .integer(Int64(membersAnswered))), ("truncated", .bool(isTruncated)),
                 ("next", next.map { .string($0.description) } ?? .null)])
    }
}
