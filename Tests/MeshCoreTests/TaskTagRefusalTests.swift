import Testing
@testable import MeshCore

/// A required tag that no member running the profile carries, alive or not, is the client's
/// mistake (400 `bad_field` naming `tags`), like an unknown profile; one carried only by a member
/// that is down now is the mesh's (503 `no_eligible_node`, decided by placement).
struct TaskTagRefusalTests {
    static let candidates = [
        PlacementCandidate(name: "a", slots: ["shell": 2], tags: ["linux"], profileTags: ["shell": ["gpu"]]),
        PlacementCandidate(name: "b", isAlive: false, slots: ["shell": 1], tags: ["arm"]),
        PlacementCandidate(name: "c", slots: ["other": 1], tags: ["mac"]),
    ]

    @Test(arguments: [
        ([], nil), (["linux"], nil), (["gpu"], nil), (["arm"], nil), (["linux", "gpu"], nil),
        (["mac"], "mac"), (["linux", "nosuch"], "nosuch"),
    ] as [([String], String?)])
    func aTagNoRunnerOfTheProfileCarriesIsNamed(tags: [String], missing: String?) {
        let spec = TaskSpec(profile: "shell", prompt: "p", tags: tags)
        #expect(TaskMachine.tagNoMemberCarries(spec, candidates: Self.candidates) == missing)
    }

    @Test func aProfileNoCandidateRunsLeavesTheDecisionToPlacement() {
        let spec = TaskSpec(profile: "local-only", prompt: "p", tags: ["x"])
        #expect(TaskMachine.tagNoMemberCarries(spec, candidates: Self.candidates) == nil)
    }
}
