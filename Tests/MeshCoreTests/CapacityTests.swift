import Testing
@testable import MeshCore

/// Capacity records: the codec against hostile bytes, newest-wins, rate limiting, the broadcast
/// queue's (kind, subject) keys, and the push-pull section that a protocol-2 peer is never sent.
@Suite struct CapacityTests {
    static let t0 = MembershipTests.t0
    static func at(_ seconds: Double) -> Moment { MembershipTests.at(seconds) }
    static let claude = [CapacityProfile(name: "claude", slots: 2, tags: ["research"])]

    static func record(_ name: String = "b", incarnation: UInt64 = 1, version: UInt64 = 1, cpu: UInt64 = 42) -> CapacityRecord {
        CapacityRecord(name: name, incarnation: incarnation, version: version, profiles: claude, tags: ["gpu"],
                       queueLength: 3, cpuLoadHundredths: cpu, memoryFreeCode: 90, diskFreeCode: 120)
    }

    static func node(_ name: String, _ i: UInt8, versions: ProtocolRange = MeshVersion.protocolRange) -> NodeInstance {
        var config = NodeConfig(name: name, address: MembershipTests.address(i), randomSeed: UInt64(i))
        config.capacity = LocalCapacity(profiles: claude, tags: ["gpu"])
        config.versions = versions
        return NodeInstance(config: config)
    }

    static let load = LocalLoad(cpuLoadHundredths: 150, memoryFreeBytes: 8 << 30, diskFreeBytes: 100 << 30)

    @Test func aRecordRoundTripsInAboutFortyBytes() throws {
        let bytes = MessageCodec.encode(.capacity(Self.record()))
        var r = ByteReader(bytes)
        #expect(try MessageCodec.decode(from: &r) == .capacity(Self.record()))
        #expect(bytes.count <= 48, "\(bytes.count) bytes")
    }

    /// The profile part of a record body, as a hostile sender might write it.
    static func hostileProfiles(_ what: String) -> Bytes {
        var w = ByteWriter()
        func profile(_ name: String, slots: UInt64, busy: UInt64, tags: UInt8 = 0) {
            w.shortString(name); w.varint(slots); w.varint(busy); w.u8(tags)
        }
        switch what {
        case "17 profiles": w.u8(17)
        case "0 slots": w.u8(1); profile("x", slots: 0, busy: 0)
        case "257 slots": w.u8(1); profile("x", slots: 257, busy: 0)
        case "busy over slots": w.u8(1); profile("x", slots: 2, busy: 3)
        case "bad profile name": w.u8(1); profile("a\u{1B}", slots: 1, busy: 0)
        case "9 tags": w.u8(1); profile("x", slots: 1, busy: 0, tags: 9)
        default: w.u8(2); profile("x", slots: 1, busy: 0); profile("x", slots: 1, busy: 0)
        }
        return w.bytes
    }

    @Test(arguments: [("17 profiles", DecodeError.oversized), ("0 slots", .malformed), ("257 slots", .malformed),
                      ("busy over slots", .malformed), ("bad profile name", .badName), ("9 tags", .oversized),
                      ("a profile twice", .malformed)])
    func hostileRecordsAreRefused(_ what: String, _ expected: DecodeError) {
        var w = ByteWriter()
        w.varint(1); w.shortString("b"); w.varint(1); w.varint(0); w.varint(0); w.u8(0); w.u8(0); w.shortString("0.1.0"); w.u8(0)
        w.raw(Self.hostileProfiles(what))
        var r = ByteReader(w.bytes)
        do throws(DecodeError) {
            _ = try CapacityCodec.decodeBody(from: &r)
            Issue.record("\(what) was accepted")
        } catch {
            #expect(error == expected, "\(what)")
        }
    }

    @Test func hugeQueueAndLoadFiguresAreClampedNotTrusted() throws {
        var w = ByteWriter()
        w.varint(1); w.shortString("b"); w.varint(1); w.varint(UInt64.max); w.varint(UInt64.max); w.u8(255); w.u8(255)
        w.shortString(""); w.u8(0); w.u8(0)
        var r = ByteReader(w.bytes)
        let record = try CapacityCodec.decodeBody(from: &r)
        #expect(record.queueLength == CapacityLimits.queueLengthMax && record.cpuLoadHundredths == CapacityLimits.cpuLoadHundredthsMax)
    }

    @Test func byteQuantityCodesAreMonotoneAndWithinTenPercent() {
        var previous: UInt8 = 0
        // Below 8 MiB whole mebibytes limit the precision; from there on a code is within 12.5 %.
        let sizes = (23..<50).flatMap { shift in [8, 9, 11, 13, 15].map { UInt64($0) << UInt64(shift - 3) } }
        for bytes in sizes {
            do {
                let code = ByteQuantity.code(bytes: bytes)
                #expect(code >= previous)
                previous = code
                let low = ByteQuantity.bytes(code: code)
                #expect(low <= bytes && Double(bytes - low) <= 0.125 * Double(bytes), "\(bytes) → \(code) → \(low)")
            }
        }
        #expect(ByteQuantity.code(bytes: 1000) == 0 && ByteQuantity.code(bytes: UInt64.max) == 255)
    }

    @Test func aCapacityRecordNeverReplacesAQueuedSuspicionOfTheSameMember() {
        var q = BroadcastQueue(capacity: 16)
        let suspect = MessageCodec.encode(.suspect(Accusation(incarnation: 1, name: "b", from: "a")))
        let record = MessageCodec.encode(.capacity(Self.record()))
        q.enqueue(key: BroadcastQueue.Key(.membership, "b"), message: suspect)
        q.enqueue(key: BroadcastQueue.Key(.capacity, "b"), message: record)
        q.enqueue(key: BroadcastQueue.Key(.capacity, "b"), message: record)
        #expect(q.count == 2 && q.count(of: .capacity) == 1)
        var w = ByteWriter()
        q.fill(&w, bytesMax: 1000, limit: 5, capacityLimit: 1, messagesMax: 64)
        #expect(w.bytes == record + suspect || w.bytes == suspect + record)
        #expect(q.count == 1 && q.count(of: .membership) == 1, "the capacity record is retired after its own limit")
        q.removeAll(about: "b")
        #expect(q.isEmpty)
    }

    @Test func newestVersionWinsAndADownMembersRecordIsKeptMarkedUntilForgotten() {
        var book = CapacityBook(name: "a", local: LocalCapacity(), settings: CapacitySettings())
        let taken = [book.take(Self.record(), now: .zero, memberIsDown: nil),
                     book.take(Self.record(version: 5), now: .zero, memberIsDown: false),
                     book.take(Self.record(version: 4), now: .zero, memberIsDown: false),
                     book.take(Self.record(version: 5), now: .zero, memberIsDown: false),
                     book.take(Self.record(incarnation: 2, version: 1), now: .zero, memberIsDown: false),
                     book.take(Self.record("a", version: 99), now: .zero, memberIsDown: false)]
        // Unknown member (kept: its alive may come later), newer, older, same, a new life (wins), about self.
        #expect(taken == [true, true, false, false, true, false])
        book.memberChanged("b", isDown: true)
        #expect(book.entry("b")?.isMemberDown == true && book.entry("b")?.record.incarnation == 2)
        book.forget("b")
        #expect(book.entry("b") == nil)
        #expect(book.stats.recordsStale == 2 && book.stats.recordsOfUnknownMembers == 1 && book.stats.recordsAboutSelf == 1)
        for i in 0..<(CapacityBook.unknownMembersMax + 5) {
            _ = book.take(Self.record("u\(i)"), now: Instant(nanoseconds: 10), memberIsDown: nil)
        }
        #expect(book.stats.recordsOfUnknownMembersDropped == 6, "the first unknown record still counts")
        book.forgetUnknown(before: Instant(nanoseconds: 11)) { $0 == "u7" }
        #expect(book.entriesInOrder.map(\.record.name) == ["u7"])
    }

    static func versionsMade(_ directives: [Directive]) -> [UInt64] {
        directives.compactMap { if case .event(.capacityVersionMade(_, let v)) = $0 { v } else { nil } }
    }

    @Test func aLoadChangeMakesAVersionAtMostOncePerIntervalAndNeverTouchesTheIncarnation() {
        var n = Self.node("a", 1)
        #expect(Self.versionsMade(n.start(at: Self.t0)) == [1])
        let incarnation = n.incarnation
        var load = Self.load
        // Alone, the budget allows a version a second (the floor): the first came at 1 s.
        let early = n.handle(.localLoad(load), at: Self.at(1.2))
        #expect(Self.versionsMade(early).isEmpty, "rate limited")
        #expect(early.contains { if case .setTimer(let id, let at) = $0 { id.purpose == .membership(.capacity) && at == Self.at(2).now } else { false } })
        let first = n.handle(.localLoad(load), at: Self.at(2.2))
        #expect(Self.versionsMade(first) == [2])
        load.cpuLoadHundredths = 400
        let limited = n.handle(.localLoad(load), at: Self.at(2.5))
        #expect(Self.versionsMade(limited).isEmpty, "rate limited")
        #expect(limited.contains { if case .setTimer(let id, let at) = $0 { id.purpose == .membership(.capacity) && at == Self.at(3.2).now } else { false } })
        #expect(!limited.contains { if case .persistIncarnation = $0 { true } else { false } })
        let coalesced = n.handle(.localLoad(load), at: Self.at(2.8))
        #expect(Self.versionsMade(coalesced).isEmpty, "still limited, coalesced")
        load.memoryFreeBytes += 1 << 20   // within the same one-byte code: no change
        #expect(n.capacity.desired.cpuLoadHundredths == 400)
        #expect(n.incarnation == incarnation)
    }

    @Test func aProtocolTwoNodeSkipsCapacityMessagesAndIsNeverSentTheSection() throws {
        var old = Self.node("old", 2, versions: ProtocolRange(minimum: 2, current: 2))
        _ = old.start(at: Self.t0)
        #expect(old.capacity.ownRecord == nil, "the previous build makes no record")
        _ = old.receiveDatagram(MembershipTests.datagram([.capacity(Self.record("x"))]), from: MembershipTests.address(3), at: Self.t0)
        #expect(old.drops[.unknownMessageType] == 1)
        var new = Self.node("new", 1)
        _ = new.start(at: Self.t0)
        let oldJoin = MessageCodec.encode(.pushPull(PushPull(versions: ProtocolRange(minimum: 2, current: 2), join: true,
                                                             members: [old.selfMember.state])))
        let replyBytes = new.membership.handleStreamRequest(oldJoin, from: MembershipTests.address(2))
        var reply = ByteReader(try #require(replyBytes))
        guard case .pushPull(let toOld) = try MessageCodec.decode(from: &reply) else { Issue.record("no push-pull"); return }
        #expect(toOld.capacities == nil, "a protocol-2 reader refuses trailing bytes")
        let newJoin = MessageCodec.encode(.pushPull(PushPull(join: true, members: [old.selfMember.state])))
        let replyNewBytes = new.membership.handleStreamRequest(newJoin, from: MembershipTests.address(2))
        var replyNew = ByteReader(try #require(replyNewBytes))
        guard case .pushPull(let toNew) = try MessageCodec.decode(from: &replyNew) else { Issue.record("no push-pull"); return }
        #expect(toNew.capacities?.map(\.name) == ["new"])
        let withSection = MessageCodec.encode(.pushPull(toNew))
        let refused = old.membership.handleStreamRequest(withSection, from: MembershipTests.address(1))
        #expect(refused == nil)
        #expect(old.drops[.malformed] == 1, "the old build's strict reader")
    }

    @Test func aPushPullSectionOfAnUnknownTagIsSkipped() throws {
        var w = ByteWriter()
        MessageCodec.encode(.pushPull(PushPull(join: false, members: [], capacities: [Self.record()])), into: &w)
        var bytes = w.bytes
        // Append an unknown section (tag 9, 3 bytes) inside the message body and fix the length.
        var body = Array(bytes.dropFirst(2))
        body += [9, 3, 1, 2, 3]
        bytes = [bytes[0], UInt8(body.count)] + body
        var r = ByteReader(bytes)
        guard case .pushPull(let state) = try MessageCodec.decode(from: &r) else { Issue.record("no push-pull"); return }
        #expect(state.capacities == [Self.record()])
    }

    @Test func profilesAreValidatedWithTheWireLimits() {
        #expect(LocalCapacity(profiles: Self.claude).validationError(name: "a") == nil)
        #expect(LocalCapacity(profiles: [CapacityProfile(name: "x", slots: 0)]).validationError(name: "a")?.contains("slots") == true)
        #expect(LocalCapacity(profiles: [CapacityProfile(name: "x", slots: 1), CapacityProfile(name: "x", slots: 1)])
            .validationError(name: "a")?.contains("twice") == true)
        #expect(LocalCapacity(tags: ["a b"]).validationError(name: "a") != nil)
        let many = (0..<16).map { CapacityProfile(name: "p\($0)" + String(repeating: "x", count: 29), slots: 1,
                                                  tags: (0..<8).map { "t\($0)" + String(repeating: "y", count: 29) }) }
        #expect(LocalCapacity(profiles: many).validationError(name: "a")?.contains("bytes on the wire") == true)
    }
}
