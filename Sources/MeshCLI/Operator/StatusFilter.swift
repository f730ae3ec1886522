import MeshCore
import MeshRuntime

/// `mesh status --state S --name GLOB --tag T`: which members to show. Filters apply to the table,
/// the summary, `--detailed` and `--json` alike.
struct StatusFilter {
    /// The options the filters and the detailed view add to `mesh status`.
    static let options: [OptionSpec] = [
        .value("state", "S", "only members in state S (alive, suspect, dead, left; several: alive,suspect)"),
        .value("name", "GLOB", "only members whose name matches GLOB (* any characters, ? one character)"),
        .value("tag", "T", "only members whose capacity record carries tag T, node-level or on a profile (several: gpu,research — all of them)"),
        .flag("detailed", "every field of each member, one block per member"),
    ]
    static let states = ["alive", "suspect", "dead", "left"]

    var states: Set<String>?
    var nameGlob: String?
    var tags: [String] = []

    init(_ arguments: ParsedArguments) throws(UsageError) {
        if let text = arguments.value("state") {
            let given = text.split(separator: ",").map { String($0) }
            guard !given.isEmpty, given.allSatisfy(StatusFilter.states.contains) else {
                throw UsageError("--state must be alive, suspect, dead or left (several separated by commas; got '\(text)')")
            }
            states = Set(given)
        }
        nameGlob = arguments.value("name")
        if let text = arguments.value("tag") {
            tags = text.split(separator: ",").map { String($0) }
            guard !tags.isEmpty else { throw UsageError("--tag needs at least one tag (several separated by commas)") }
        }
    }

    /// `report` with only the members that pass.
    func apply(_ report: StatusReport) -> StatusReport {
        var filtered = report
        filtered.members = report.members.filter { member in
            (states?.contains(member.state) ?? true) && (nameGlob.map { Glob.matches($0, member.name) } ?? true)
                && tags.allSatisfy { StatusFilter.carries(member, $0) }
        }
        return filtered
    }
}

extension StatusFilter {
    /// Whether `member`'s capacity record carries `tag`, node-level or on any of its profiles. A
    /// member with no record yet carries none.
    static func carries(_ member: MemberReport, _ tag: String) -> Bool {
        guard let record = member.capacity else { return false }
        return record.tags.contains(tag) || record.profiles.contains { $0.tags.contains(tag) }
    }
}

/// Shell-style name patterns: `*` matches any run of characters, `?` exactly one; the rest literally.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        var pi = 0, ti = 0
        var star: Int?, resume = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == t[ti]) {
                pi += 1; ti += 1
            } else if pi < p.count && p[pi] == "*" {
                star = pi; resume = ti; pi += 1
            } else if let s = star {
                pi = s + 1; resume += 1; ti = resume
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

/// `mesh status --detailed`: one block per member with every field the node reports for it (the
/// fields of its `/v1/status` entry, so fields added later show up without changes here).
enum StatusDetail {
    static func render(_ report: StatusReport) -> String {
        var blocks: [String] = []
        for member in report.members {
            let fields = (member.json.object ?? []).filter { $0.0 != "name" }
            let width = fields.map(\.0.count).max() ?? 0
            var lines = [member.isSelf ? member.name + " (self)" : member.name]
            for (key, value) in fields {
                lines.append("  " + key.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                             + MeshCommandLine.plainText(value))
            }
            blocks.append(lines.joined(separator: "\n"))
        }
        blocks.append(StatusTable.summary(report))
        return blocks.joined(separator: "\n\n")
    }
}
