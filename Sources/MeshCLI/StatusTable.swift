import Foundation
import MeshRuntime

/// `mesh status` as people read it: one row per member and a summary line.
enum StatusTable {
    static let headers = ["NAME", "ADDRESS", "STATE", "INCARNATION", "LAST HEARD", "RTT", "AGENTS", "SLOTS", "LOAD", "RECORD AGE"]

    /// The table, the summary line and, when any, a line of drop counters.
    static func render(_ report: StatusReport) -> String {
        var rows = [headers]
        for member in report.members {
            rows.append([member.isSelf ? member.name + " (self)" : member.name, member.address, member.state,
                         String(member.incarnation), lastHeard(member), roundTrip(member)] + capacityColumns(member))
        }
        let widths = headers.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            row.indices.map { column in
                column == row.count - 1 ? row[column] : row[column].padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        lines.append("")
        lines.append(summary(report))
        if !report.hasJoined {
            lines.append("not joined yet: " + (report.lastJoinFailure ?? "the first attempt is under way"))
        }
        let drops = report.drops.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        if !drops.isEmpty {
            lines.append("dropped input: " + drops.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }

    /// For example `5 members: 4 alive, 1 dead (seen by a, incarnation 3)`.
    static func summary(_ report: StatusReport) -> String {
        let states = ["alive", "suspect", "dead", "left"].compactMap { state -> String? in
            let count = report.count(state)
            return count > 0 ? "\(count) \(state)" : nil
        }
        let noun = report.members.count == 1 ? "member" : "members"
        return "\(report.members.count) \(noun): \(states.joined(separator: ", ")) (seen by \(report.selfName), incarnation \(report.incarnation))"
    }

    static func lastHeard(_ member: MemberReport) -> String {
        if member.isSelf { return "-" }
        guard let seconds = member.lastHeardSecondsAgo else { return "never" }
        return seconds < 60 ? String(format: "%.1fs ago", seconds) : String(format: "%.0fm ago", seconds / 60)
    }

    /// AGENTS (profile names), SLOTS (busy/total), LOAD (one-minute load average) and the record's age.
    static func capacityColumns(_ member: MemberReport) -> [String] {
        guard let record = member.capacity else { return ["-", "-", "-", "no record"] }
        let agents = record.profiles.isEmpty ? "-" : record.profiles.map(\.name).joined(separator: ",")
        return [agents, "\(record.slotsBusy)/\(record.slotsTotal)", String(format: "%.2f", record.cpuLoad),
                record.ageSeconds < 60 ? String(format: "%.1fs", record.ageSeconds) : String(format: "%.0fm", record.ageSeconds / 60)]
    }

    static func roundTrip(_ member: MemberReport) -> String {
        if member.isSelf { return "-" }
        guard let milliseconds = member.rttMilliseconds else { return "-" }
        return String(format: "%.2fms", milliseconds)
    }
}
