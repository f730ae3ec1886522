import MeshCore

/// What the disk workload layer does on every node: append records at a rate, sync them in
/// batches (scenario key `"diskWorkload"`).
public struct DiskWorkloadSettings: Sendable, Equatable {
    /// Records each node appends per second, on average (each gap is uniform in 0.5–1.5 × the mean).
    public var appendsPerSecond: Double = 50
    /// A sync starts once this many records wait unsynced and no sync is under way.
    public var batchRecords = 8
    /// Record bodies are uniform in this many bytes.
    public var recordBytesMin = 16
    /// See `recordBytesMin`.
    public var recordBytesMax = 512

    /// The defaults: 50 appends a second, syncs of 8, bodies of 16 to 512 bytes.
    public init() {}
}

extension Scenario {
    /// `"disk": {"syncMs": 2, "syncJitterMs": 1, "tornWriteProbability": 0.5}`.
    static func parseDiskModel(_ reader: JSONReader?) throws -> DiskModel {
        var model = DiskModel()
        guard let d = reader else { return model }
        try d.rejectUnknown(["syncMs", "syncJitterMs", "tornWriteProbability"])
        model.syncLatency = .seconds(fraction: try d.double("syncMs", default: 2, range: 0...60_000) / 1000)
        model.syncJitter = .seconds(fraction: try d.double("syncJitterMs", default: 1, range: 0...60_000) / 1000)
        model.tornWriteProbability = try d.double("tornWriteProbability", default: 0.5, range: 0...1)
        guard model.syncJitter <= model.syncLatency else {
            throw d.fail("syncJitterMs", "must not exceed syncMs")
        }
        return model
    }

    /// `"diskWorkload": {"appendsPerSecond": 50, "batchRecords": 8, "recordBytes": [16, 512]}`;
    /// only with the `diskWorkload` layer.
    static func parseDiskWorkload(_ reader: JSONReader?, layers: [Layer], name: String) throws -> DiskWorkloadSettings {
        var settings = DiskWorkloadSettings()
        guard let w = reader else { return settings }
        guard layers.contains(.diskWorkload) else {
            throw ScenarioError(description: "\(name).diskWorkload: the scenario does not run the diskWorkload layer (add it to 'layers')")
        }
        try w.rejectUnknown(["appendsPerSecond", "batchRecords", "recordBytes"])
        settings.appendsPerSecond = try w.double("appendsPerSecond", default: 50, range: 0.01...10_000)
        settings.batchRecords = try w.int("batchRecords", default: 8, range: 1...10_000)
        if w.has("recordBytes") {
            guard let (low, high) = JSONReader.pair(try w.array("recordBytes")),
                  low == low.rounded(), high == high.rounded(), low >= 1, high <= Double(DiskWorkload.recordBytesMax) else {
                throw w.fail("recordBytes", "must be [low, high] whole bytes from 1 to \(DiskWorkload.recordBytesMax)")
            }
            settings.recordBytesMin = Int(low)
            settings.recordBytesMax = Int(high)
        }
        return settings
    }
}
