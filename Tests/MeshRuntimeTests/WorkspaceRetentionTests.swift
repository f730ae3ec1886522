import Foundation
import Glibc
import MeshCore
@testable import MeshRuntime
import Testing

/// Finished workspaces are pruned by age and by count; an active one never (issue 10 §1).
struct WorkspaceRetentionTests {
    static func workspace(_ data: String, _ key: String, ageSeconds: Int64, now: Int64) throws -> String {
        let name = TaskID.idempotent(key: key).description
        let path = data + "/tasks/" + name
        for part in ["logs", "artifacts"] { try FileManager.default.createDirectory(atPath: path + "/" + part, withIntermediateDirectories: true) }
        let when = timeval(tv_sec: Int(now - ageSeconds), tv_usec: 0)
        for part in ["", "/logs", "/artifacts"] { _ = utimes(path + part, [when, when]) }
        return name
    }

    @Test func oldAndSurplusFinishedWorkspacesGoActiveOnesStay() throws {
        let data = NSTemporaryDirectory() + "mesh-retention-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let now: Int64 = 1_800_000_000
        let old = try Self.workspace(data, "old", ageSeconds: 8 * 86_400, now: now)
        let activeOld = try Self.workspace(data, "active", ageSeconds: 30 * 86_400, now: now)
        let recent = try Self.workspace(data, "recent", ageSeconds: 3_600, now: now)
        let older = try Self.workspace(data, "older", ageSeconds: 7_200, now: now)
        let newest = try Self.workspace(data, "newest", ageSeconds: 60, now: now)
        var settings = WorkspaceSettings()
        settings.keptMax = 2
        let removed = WorkspaceRetention.prune(dataPath: data, active: [activeOld], settings: settings, nowSeconds: now)
        #expect(Set(removed) == [old, older])
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: data + "/tasks"))
        #expect(left == [activeOld, recent, newest])
        settings.retention = .seconds(0)
        #expect(Set(WorkspaceRetention.prune(dataPath: data, active: [activeOld], settings: settings, nowSeconds: now)) == [recent, newest])
    }
}
