import MeshCore

/// The arguments of one tool call, read strictly: an unknown name or a wrong type is a tool error
/// that names the argument, so a model can correct its call.
struct ToolArguments {
    let tool: String
    let values: JSONValue

    /// Checks that `json` is an object (or absent) naming only `known` arguments.
    init(_ json: JSONValue?, tool: String, known: [String]) throws(ToolFailure) {
        self.tool = tool
        let json = json ?? .object([])
        guard let members = json.object else { throw ToolFailure("\(tool): arguments must be a JSON object") }
        if let unknown = members.first(where: { !known.contains($0.0) }) {
            let list = known.isEmpty ? "it takes none" : "known: " + known.joined(separator: ", ")
            throw ToolFailure("\(tool): unknown argument '\(unknown.0.prefix(64))' (\(list))")
        }
        values = json
    }

    /// A string argument; nil when absent (or null).
    func string(_ name: String) throws(ToolFailure) -> String? {
        guard let value = values[name], !value.isNull else { return nil }
        guard let text = value.string else { throw ToolFailure("\(tool): '\(name)' must be a string") }
        return text
    }

    /// A string argument that must be there.
    func requiredString(_ name: String) throws(ToolFailure) -> String {
        guard let text = try string(name) else { throw ToolFailure("\(tool): '\(name)' is required") }
        return text
    }

    /// An array of strings; empty when absent.
    func strings(_ name: String, countMax: Int) throws(ToolFailure) -> [String] {
        guard let value = values[name], !value.isNull else { return [] }
        guard let items = value.array, items.allSatisfy({ $0.string != nil }) else {
            throw ToolFailure("\(tool): '\(name)' must be an array of strings")
        }
        guard items.count <= countMax else { throw ToolFailure("\(tool): '\(name)' holds at most \(countMax) items") }
        return items.compactMap(\.string)
    }

    /// A whole number within `range`; nil when absent.
    func integer(_ name: String, in range: ClosedRange<Int64>) throws(ToolFailure) -> Int64? {
        guard let value = values[name], !value.isNull else { return nil }
        let number = value.integer ?? value.double.flatMap { $0.rounded() == $0 && abs($0) < 1e15 ? Int64($0) : nil }
        guard let number, range.contains(number) else {
            throw ToolFailure("\(tool): '\(name)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// A number within `range`; nil when absent.
    func number(_ name: String, in range: ClosedRange<Double>) throws(ToolFailure) -> Double? {
        guard let value = values[name], !value.isNull else { return nil }
        guard let number = value.double, number.isFinite, range.contains(number) else {
            throw ToolFailure("\(tool): '\(name)' must be a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// A boolean; nil when absent.
    func bool(_ name: String) throws(ToolFailure) -> Bool? {
        guard let value = values[name], !value.isNull else { return nil }
        guard let flag = value.bool else { throw ToolFailure("\(tool): '\(name)' must be true or false") }
        return flag
    }

    /// The task id in argument `id`.
    func taskID() throws(ToolFailure) -> TaskID {
        let text = try requiredString("id")
        guard let id = TaskID(text) else {
            throw ToolFailure("\(tool): '\(text.prefix(80))' is not a task id (32 hex digits, as submit_task returns)")
        }
        return id
    }
}
