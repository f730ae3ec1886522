import Glibc
import MeshCore
import MeshRuntime

/// The mesh's MCP tools, each a call (or a few) to one node's control API through `ControlClient`.
struct MeshTools: MCPToolbox {
    let client: ControlClient

    var tools: [MCPTool] { Self.catalog }

    func call(_ name: String, arguments: JSONValue, cancel: CancelFlag) -> ToolResult {
        do throws(ToolFailure) {
            return .success(try run(name, arguments, cancel))
        } catch {
            return .failure(error.description)
        }
    }

    private func run(_ name: String, _ json: JSONValue, _ cancel: CancelFlag) throws(ToolFailure) -> JSONValue {
        let known: [String] = Self.catalog.first { $0.name == name }?.inputSchema["properties"]?.object?.map(\.0) ?? []
        let arguments = try ToolArguments(json, tool: name, known: known)
        switch name {
        case "mesh_status": return try answer(client.request("GET", "/v1/status"))
        case "list_profiles": return try profiles()
        case "submit_task": return try submit(arguments, cancel)
        case "task_status": return try record(try arguments.taskID())
        case "task_logs": return try logs(arguments)
        case "fetch_artifacts": return try fetchArtifacts(arguments)
        case "cancel_task": return try cancelTask(try arguments.taskID())
        default: throw ToolFailure("unknown tool '\(name)'")
        }
    }

    /// Runs a control request, turning a failure to reach the node into a tool failure.
    func ask<T>(_ request: () throws(ControlClient.Failure) -> T) throws(ToolFailure) -> T {
        do { return try request() } catch { throw ToolFailure(error.description) }
    }

    private func answer(_ request: @autoclosure () throws(ControlClient.Failure) -> Bytes) throws(ToolFailure) -> JSONValue {
        let body = try ask(request)
        do { return try JSONValue.parse(String(decoding: body, as: UTF8.self)) } catch {
            throw ToolFailure("unexpected answer from the node: \(error.description)")
        }
    }

    /// `{"profiles": [{"name", "members", "slots", "busy", "tags"}]}` over the alive members, by name.
    private func profiles() throws(ToolFailure) -> JSONValue {
        let status = try ask { () throws(ControlClient.Failure) in try client.status() }
        var byName: [String: (members: [String], slots: Int, busy: Int, tags: [String])] = [:]
        for member in status.members where member.state == "alive" {
            for profile in member.capacity?.profiles ?? [] {
                var entry = byName[profile.name] ?? ([], 0, 0, [])
                entry.members.append(member.name)
                entry.slots = entry.slots &+ profile.slots
                entry.busy = entry.busy &+ profile.busy
                let tags = profile.tags + (member.capacity?.tags ?? [])
                entry.tags.append(contentsOf: tags.filter { !entry.tags.contains($0) })
                byName[profile.name] = entry
            }
        }
        return .object([("profiles", .array(byName.keys.sorted().map { name in
            let entry = byName[name]!
            return .object([("name", .string(name)), ("members", .array(entry.members.sorted().map { .string($0) })),
                            ("slots", .integer(Int64(entry.slots))), ("busy", .integer(Int64(entry.busy))),
                            ("tags", .array(entry.tags.sorted().map { .string($0) }))])
        }))])
    }

    /// The task's record, or a failure that says why there is none.
    func record(_ id: TaskID) throws(ToolFailure) -> JSONValue {
        let answer = try ask { () throws(ControlClient.Failure) in try client.task(id) }
        guard answer.isSuccess else {
            throw ToolFailure(answer.errorMessage + (answer.status == 404 ? MeshCommandLine.partialNote(answer.json) : ""))
        }
        return answer.json
    }

    private func cancelTask(_ id: TaskID) throws(ToolFailure) -> JSONValue {
        let response = try ask { () throws(ControlClient.Failure) in try client.fetch("POST", "/v1/tasks/\(id)/cancel") }
        if Self.isNotServed(response) {
            throw ToolFailure("this node does not serve task cancellation (POST /v1/tasks/{id}/cancel); it runs an older mesh")
        }
        guard response.isSuccess, let json = response.json else {
            let message = response.taskAnswer.errorMessage
            throw ToolFailure(response.status == 409 ? "cannot cancel: \(message)" : message)
        }
        return json
    }

    /// True when the node answered as one that lacks the route (an older node): 405, a 404 for the
    /// endpoint rather than the task, or the `400` a task route gives a path segment that is not a task id.
    static func isNotServed(_ response: ControlResponse) -> Bool {
        let answer = response.taskAnswer
        switch response.status {
        case 405: return true
        case 404: return answer.errorCode != "not_found" || answer.errorMessage.hasPrefix("no such endpoint")
        case 400: return answer.field == "id"
        default: return false
        }
    }
}
