extension Scenario {
    /// Every figure a promise of this scenario may name: the world's, membership's and those of
    /// the scenario's other layers.
    var figureNames: [String] {
        SimulationReport.figureReaders.map(\.name) + layers.flatMap(\.figureNames)
    }

    /// `"expect": {"crashesUndetected": 0, "deadEverywhereMedianSecondsMax": 3.0, …}`: each key a
    /// figure, optionally ending in `Max` or `Min`; each value a number.
    func parsePromises(_ expect: JSONReader) throws -> [Promise] {
        let figures = figureNames
        return try expect.keys.map { key in
            let value = try expect.double(key, range: -1e15...1e15)
            guard let promise = Promise.parse(key: key, value: value, figures: figures) else {
                throw ScenarioError(description: "\(expect.path).\(key): unknown key '\(key)': not a figure, nor a figure followed by Max or Min (figures: \(figures.joined(separator: ", ")))")
            }
            return promise
        }
    }
}
