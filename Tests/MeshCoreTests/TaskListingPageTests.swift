import Testing
@testable import MeshCore

/// Paging through the mesh's task listing: a cursor (creation time, id) travels to every member,
/// pages never repeat or skip a task, the last page says so; the cursor's text and wire forms.
struct TaskListingPageTests {
    /// The listing request `request` was answered with.
    static func listing(_ cluster: TaskCluster, _ request: UInt64) -> TaskListing? {
        if case .tasks(let listing)? = cluster.replies[request] { return listing }
        return nil
    }

    @Test func pagesOfTheMeshListingCoverEveryTaskOnceInOrder() throws {
        let cluster = TaskCluster(size: 3, profiles: ["shell": 64])
        var submitted: Set<TaskID> = []
        for index in 0..<23 {
            let request = cluster.submit(TaskSpec(profile: "shell", prompt: "p", idempotencyKey: "page-\(index)"), via: index % 3)
            cluster.run(for: .milliseconds(index % 5 == 0 ? 20 : 2))   // some share a creation time, some do not
            _ = request
            submitted.insert(TaskID.idempotent(key: "page-\(index)"))
        }
        cluster.run(for: .milliseconds(300))
        var seen: [TaskSummary] = []
        var cursor: TaskCursor?
        var pages = 0
        repeat {
            let request = cluster.control(.tasks(TaskFilter(limit: 10, after: cursor)), via: pages % 3)
            cluster.run(for: .milliseconds(100))
            let page = try #require(Self.listing(cluster, request))
            #expect(page.tasks.count == (page.next == nil ? 3 : 10), "page \(pages): \(page.tasks.count)")
            seen += page.tasks
            cursor = page.next
            pages += 1
        } while cursor != nil && pages < 10
        #expect(pages == 3)
        #expect(Set(seen.map(\.id)) == submitted && seen.count == submitted.count)
        #expect(seen == seen.sorted(by: TaskFilter.listingOrder))
    }

    @Test func aCursorReadsBackFromTextAndFromTheWire() throws {
        let cursor = TaskCursor(createdAt: 1_700_000_000_123, id: TaskID.idempotent(key: "c"))
        #expect(TaskCursor(cursor.description) == cursor)
        for bad in ["", "12", "-\(cursor.id)", "x-\(cursor.id)", "1-zz", "1234567890123456-\(cursor.id)"] {
            #expect(TaskCursor(bad) == nil, "\(bad)")
        }
        let message = TaskMessage.query(.list(TaskFilter(state: .running, limit: 7, after: cursor)))
        #expect(try TaskMessage.decode(message.encoded()) == message)
        let plain = TaskMessage.query(.list(TaskFilter(limit: 7)))
        #expect(try TaskMessage.decode(plain.encoded()) == plain)
    }
}
