import MeshCore

/// `mesh task` and `mesh tasks` as people read them: from the API's JSON, so the CLI shows exactly
/// what any other client of the API would see.
enum TaskTable {
    /// One task: a header, then its history as a table.
    static func record(_ json: JSONValue) -> String {
        let id = json["id"]?.string ?? "?"
        let state = json["state"]?.string ?? "?"
        let attempt = json["attempt"]?.integer ?? 0
        let owner = json["owner"]?.string ?? "?"
        let epoch = json["epoch"]?.unsigned.map { " (epoch \($0))" } ?? ""
        let copies = json["copies"]?.integer ?? 0
        let profile = json["profile"]?.string ?? "?"
        var lines = ["task \(id): \(state), attempt \(attempt)",
                     "profile \(profile), owner \(owner)\(epoch), \(copies) \(copies == 1 ? "copy" : "copies")", ""]
        let rows = (json["history"]?.array ?? []).map { event in
            [event["at"]?.string ?? "", event["state"]?.string ?? "", String(event["attempt"]?.integer ?? 0),
             event["node"]?.string ?? "", event["reason"]?.string ?? ""]
        }
        lines.append(contentsOf: table(["AT", "STATE", "ATTEMPT", "NODE", "REASON"], rows))
        lines.append(contentsOf: artifacts(json))
        return lines.joined(separator: "\n")
    }

    /// A listing: one line per task, then who answered.
    static func listing(_ json: JSONValue) -> String {
        let tasks = json["tasks"]?.array ?? []
        let rows = tasks.map { task in
            [task["id"]?.string ?? "", task["profile"]?.string ?? "", task["state"]?.string ?? "",
             String(task["attempt"]?.integer ?? 0), task["owner"]?.string ?? "", task["updated"]?.string ?? ""]
        }
        var lines = rows.isEmpty ? [] : table(["ID", "PROFILE", "STATE", "ATTEMPT", "OWNER", "UPDATED"], rows)
        let asked = json["membersAsked"]?.integer ?? 0
        let answered = json["membersAnswered"]?.integer ?? 0
        var summary = "\(tasks.count) \(tasks.count == 1 ? "task" : "tasks") (answered by \(answered) of \(asked) members)"
        if answered < asked { summary += "; a task only the silent members hold is missing" }
        if json["truncated"]?.bool == true { summary += "; more matched than listed (use --state)" }
        lines.append(summary)
        return lines.joined(separator: "\n")
    }

    /// Left-aligned columns, two spaces apart; cells cut to 60 characters and stripped of control
    /// characters (a reason or name from the wire must not drive the terminal).
    static func table(_ header: [String], _ rows: [[String]]) -> [String] {
        let cells = ([header] + rows).map { $0.map(clean) }
        var widths = Array(repeating: 0, count: header.count)
        for row in cells { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return cells.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }
    }

    private static func clean(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { JSONValue.isControl($0) ? "?" : $0 }).prefix(60))
    }
}
