import Foundation
import MeshCore
import MeshRuntime

/// `fetch_artifacts`: the task's artifacts as its history records them (name, size, SHA-256),
/// each downloaded from `GET /v1/tasks/{id}/artifacts/{name}` and checked against that record
/// before it is written into the directory the caller named.
extension MeshTools {
    func fetchArtifacts(_ arguments: ToolArguments) throws(ToolFailure) -> JSONValue {
        let id = try arguments.taskID()
        let directory = try arguments.requiredString("directory")
        guard directory.hasPrefix("/") else { throw ToolFailure("fetch_artifacts: 'directory' must be an absolute path (got '\(directory.prefix(200))')") }
        let names = try arguments.strings("names", countMax: TaskLimits.artifactsRecordedMax)
        let overwrite = try arguments.bool("overwrite") ?? false
        let recorded = Self.recordedArtifacts(try record(id))
        let listing = try artifactListing(id)
        for file in listing.files where recorded.contains(where: { $0.name == file.name }) && !recorded.contains(file) {
            throw ToolFailure("the node lists artifact '\(file.name)' with another size or hash than the task's history; nothing was written")
        }
        var wanted = recorded
        if !names.isEmpty {
            if let missing = names.first(where: { name in !recorded.contains { $0.name == name } }) {
                throw ToolFailure("task \(id) has no artifact '\(missing.prefix(200))' (it has: \(recorded.map(\.name).joined(separator: ", ")))")
            }
            wanted = recorded.filter { names.contains($0.name) }
        }
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw ToolFailure("cannot create directory \(directory): \(error.localizedDescription)")
        }
        var files: [JSONValue] = []
        var problems: [String] = []
        for file in wanted {
            do throws(ToolFailure) { files.append(try fetch(file, of: id, into: directory, overwrite: overwrite)) } catch {
                problems.append(error.description)
            }
        }
        guard problems.isEmpty else {
            let written = files.compactMap { $0["name"]?.string }
            throw ToolFailure(problems.joined(separator: "; ") + (written.isEmpty ? "" : " (written: \(written.joined(separator: ", ")))"))
        }
        return .object([("id", .string(id.description)), ("directory", .string(directory)), ("attempt", listing.attempt),
                        ("node", listing.node), ("files", .array(files))])
    }

    /// The artifacts of the latest event of the history that has any.
    static func recordedArtifacts(_ record: JSONValue) -> [TaskFile] {
        let event = (record["history"]?.array ?? []).last { !($0["artifacts"]?.array ?? []).isEmpty }
        return (event?["artifacts"]?.array ?? []).compactMap(taskFile)
    }

    /// A `{"name","size","sha256"}` record with a valid name and a 64-hex-digit hash; nil otherwise.
    static func taskFile(_ json: JSONValue) -> TaskFile? {
        guard let name = json["name"]?.string, TaskFile.nameError(name) == nil, let size = json["size"]?.unsigned,
              let hex = json["sha256"]?.string, hex.utf8.count == 64, let hash = hexBytes(hex) else { return nil }
        return TaskFile(name: name, size: size, sha256: hash)
    }

    private func artifactListing(_ id: TaskID) throws(ToolFailure) -> (files: [TaskFile], attempt: JSONValue, node: JSONValue) {
        let response = try ask { () throws(ControlClient.Failure) in try client.fetch("GET", "/v1/tasks/\(id)/artifacts") }
        if Self.isNotServed(response) {
            throw ToolFailure("this node does not serve task artifacts (GET /v1/tasks/{id}/artifacts); it runs an older mesh")
        }
        guard response.isSuccess, let json = response.json else {
            throw ToolFailure(response.taskAnswer.errorMessage)
        }
        return ((json["artifacts"]?.array ?? []).compactMap(Self.taskFile), json["attempt"] ?? .null, json["node"] ?? .null)
    }

    private func fetch(_ file: TaskFile, of id: TaskID, into directory: String, overwrite: Bool) throws(ToolFailure) -> JSONValue {
        let path = directory + "/" + file.name
        var entry: [(String, JSONValue)] = [("name", .string(file.name)), ("size", .unsigned(file.size)),
                                            ("sha256", .string(file.sha256Hex)), ("path", .string(path))]
        if let present = try? Files.read(path, bytesMax: MCPLimits.artifactBytesMax + 1) {
            if UInt64(present.count) == file.size && SHA256.hash(present) == file.sha256 {
                return .object(entry + [("verified", .bool(true)), ("written", .bool(false))])
            }
            guard overwrite else { throw ToolFailure("\(path) exists with other content (overwrite: true replaces it)") }
        }
        guard file.size <= UInt64(MCPLimits.artifactBytesMax) else {
            throw ToolFailure("'\(file.name)' is \(file.size) bytes, over the \(MCPLimits.artifactBytesMax)-byte limit here; use mesh artifacts \(id) --out DIR")
        }
        var downloader = client
        downloader.timeout = MCPLimits.artifactTimeout
        downloader.responseBytesMax = MCPLimits.artifactBytesMax + ControlClient.responseHeadBytesMax
        let response = try ask { () throws(ControlClient.Failure) in
            try downloader.fetch("GET", "/v1/tasks/\(id)/artifacts/\(Self.percentEncoded(file.name))")
        }
        guard response.isSuccess else {
            throw ToolFailure("'\(file.name)': " + response.taskAnswer.errorMessage)
        }
        let hash = SHA256.hash(response.body)
        guard UInt64(response.body.count) == file.size, hash == file.sha256 else {
            throw ToolFailure("'\(file.name)': the bytes served (\(response.body.count) bytes, SHA-256 \(MeshKey.hex(hash))) do not match the history (\(file.size) bytes, \(file.sha256Hex)); not written")
        }
        if let claimed = response.header("X-Mesh-SHA256"), claimed.lowercased() != file.sha256Hex {
            throw ToolFailure("'\(file.name)': the node's X-Mesh-SHA256 header \(claimed.prefix(64)) contradicts the history; not written")
        }
        do { try Files.writeAtomically(path, response.body, mode: 0o644) } catch {
            throw ToolFailure("cannot write \(path): \(error.reason)")
        }
        entry.append(contentsOf: [("verified", .bool(true)), ("written", .bool(true))])
        return .object(entry)
    }

    /// The bytes that lower- or upper-case hex digits spell; nil for anything else.
    static func hexBytes(_ text: String) -> Bytes? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out = Bytes()
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 0x30...0x39: digit - 0x30
        case 0x61...0x66: digit - 0x61 + 10
        case 0x41...0x46: digit - 0x41 + 10
        default: nil
        }
    }

    /// `name` as one URL path segment: unreserved bytes as they are, every other byte `%XX`.
    static func percentEncoded(_ name: String) -> String {
        var out = ""
        for byte in name.utf8 {
            let isUnreserved = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            out += isUnreserved ? String(UnicodeScalar(byte)) : "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
        }
        return out
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
