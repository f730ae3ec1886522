import MeshCore

/// Nodes that play the next release (scenario key `"nextVersion"`), modelled without changing the
/// core: every datagram such a node sends is opened with the scenario's keyring, its header's
/// current protocol version raised by one, a message of a kind this build does not know appended,
/// and sealed again. The rest of the mesh must take those datagrams as a rolling upgrade needs:
/// read them (the version ranges overlap), skip the unknown message and count it, and handle the
/// others. With `incompatible`, the next version also raises its minimum past this build's
/// current version, so this build must refuse its datagrams: the case a version range exists for.
public struct NextVersionSettings: Sendable, Equatable {
    /// The largest body of the unknown message.
    public static let messageBytesMax = 256

    /// The nodes that run the next version.
    public var nodes: [Int] = []
    /// The kind of the message the next version adds; unknown to this build.
    public var messageKind: UInt8 = 0xEE
    /// The byte count of its body.
    public var messageBytes = 16
    /// The next version no longer speaks this build's version.
    public var incompatible = false

    /// No node runs the next version.
    public init() {}
}

/// Rewrites datagrams the way the next version would send them.
struct NextVersionEncoder {
    /// This build's codec, to open what the core sealed.
    let current: PacketCodec
    /// The next version's codec: same keys and label, the range one version further.
    let next: PacketCodec
    /// The encoded unknown message: `[kind][body length varint][body]`.
    let extraMessage: Bytes

    init(settings: NextVersionSettings, keyring: Keyring?, label: String) {
        let range = MeshVersion.protocolRange
        let upgraded = ProtocolRange(minimum: settings.incompatible ? range.current + 1 : range.minimum,
                                     current: range.current + 1)
        current = PacketCodec(keyring: keyring, label: label)
        next = PacketCodec(keyring: keyring, label: label, versions: upgraded)
        var w = ByteWriter()
        w.u8(settings.messageKind)
        w.varint(UInt64(settings.messageBytes))
        for i in 0..<settings.messageBytes { w.u8(UInt8(truncatingIfNeeded: i &* 31 &+ 7)) }
        extraMessage = w.bytes
    }

    /// `datagram` as the next version sends it; nil when this build's codec cannot open it (the
    /// core never sends such a datagram) or the extra message would not fit the size limit (the
    /// next version would have packed one message fewer; the datagram goes out as it was).
    func reencode(_ datagram: Bytes) -> Bytes? {
        guard case .success(let messages) = current.open(datagram) else { return nil }
        let payload = Array(datagram[messages]) + extraMessage
        guard payload.count <= next.payloadBytesMax else { return nil }
        return next.seal(payload: payload)
    }
}

extension Simulation {
    /// What node `node` puts on the wire for `datagram`: the next version's rewrite when it runs
    /// the next version, else the datagram itself.
    func onTheWire(_ datagram: Bytes, from node: Int) -> Bytes {
        guard let encoder = nextVersion, runsNextVersion[node], let upgraded = encoder.reencode(datagram) else {
            return datagram
        }
        nextVersionDatagrams += 1
        return upgraded
    }
}

extension Scenario {
    /// `"nextVersion": {"nodes": "10-19", "messageKind": 238, "messageBytes": 16, "incompatible": false}`.
    static func parseNextVersion(_ reader: JSONReader?, nodes: Int) throws -> NextVersionSettings {
        var settings = NextVersionSettings()
        guard let r = reader else { return settings }
        try r.rejectUnknown(["nodes", "messageKind", "messageBytes", "incompatible"])
        guard let set = r.value("nodes") else { throw r.fail("nodes", "is required") }
        settings.nodes = try parseNodeSet(set, nodes: nodes, path: "\(r.path).nodes")
        let kind = try r.int("messageKind", default: Int(settings.messageKind), range: 0...255)
        guard Message.Kind(rawValue: UInt8(kind)) == nil else {
            throw r.fail("messageKind", "\(kind) is a kind this build knows; the next version must add an unknown one")
        }
        settings.messageKind = UInt8(kind)
        settings.messageBytes = try r.int("messageBytes", default: settings.messageBytes, range: 0...NextVersionSettings.messageBytesMax)
        settings.incompatible = try r.bool("incompatible", default: false)
        return settings
    }
}
