import MeshCore

extension TaskTable {
    /// The artifacts of the latest event that has any: a blank line, a heading, then one line per
    /// file (`  NAME  SIZE B  sha256 HEX`, the whole hash); nothing when no attempt left any.
    static func artifacts(_ json: JSONValue) -> [String] {
        guard let event = (json["history"]?.array ?? []).last(where: { $0["artifacts"]?.array?.isEmpty == false }),
              let files = event["artifacts"]?.array else { return [] }
        let heading = "artifacts of attempt \(event["attempt"]?.integer ?? 0) (on \(plain(event["node"]?.string ?? "?"))):"
        return ["", heading] + files.map { file in
            let hash = (file["sha256"]?.string ?? "").filter(\.isHexDigit)
            return "  \(plain(file["name"]?.string ?? ""))  \(file["size"]?.integer ?? 0) B  sha256 \(hash)"
        }
    }

    /// `text` without control characters, at most a file name's length (it came from the wire).
    private static func plain(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { JSONValue.isControl($0) ? "?" : $0 }).prefix(TaskLimits.fileNameBytesMax))
    }
}
