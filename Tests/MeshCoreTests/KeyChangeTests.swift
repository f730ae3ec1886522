import Testing
@testable import MeshCore

/// Keys on a running node (issue 12): install, use and remove through the core, which owns the
/// keyring, and the primary key's fingerprint advertised in member metadata.
@Suite struct KeyChangeTests {
    static let k1 = OperatorControlTests.k1
    static let k2 = OperatorControlTests.k2

    @Test func keysAreInstalledUsedAndRemovedWithoutARestart() throws {
        var a = StreamTests.node("a", 1)
        _ = a.start(at: OperatorControlTests.t0)
        let k1Only = PacketCodec(keyring: Keyring(keys: [Self.k1]), label: "test")
        let k2Only = PacketCodec(keyring: Keyring(keys: [Self.k2]), label: "test")
        let ping = MembershipTests.datagram([.ping(Ping(sequence: 1, target: "a", source: "x"))], codec: k2Only)
        _ = a.handle(.datagram(ping, from: OperatorControlTests.address(9)), at: OperatorControlTests.t0)
        #expect(a.drops[.badTag] == 1, "k2 is not accepted yet")

        #expect(OperatorControlTests.reply(a.handle(.control(RequestID(1), .keys(.install(Self.k2))), at: OperatorControlTests.t0), 1) == .accepted)
        let acked = a.handle(.datagram(ping, from: OperatorControlTests.address(9)), at: OperatorControlTests.t0)
        #expect(a.drops[.badTag] == 1, "k2 is accepted now")
        #expect(acked.contains { if case .send(let bytes, _) = $0 { (try? k1Only.open(bytes).get()) != nil } else { false } },
                "answers are still made under k1")

        let incarnation = a.incarnation
        let used = a.handle(.control(RequestID(2), .keys(.use(Self.k2))), at: OperatorControlTests.t0)
        #expect(OperatorControlTests.reply(used, 2) == .accepted)
        #expect(a.keyring?.primary == Self.k2 && a.incarnation > incarnation)
        #expect(used.contains(.persistIncarnation(a.incarnation)), "the new fingerprint goes out with a new incarnation")
        #expect(MemberMeta.keyFingerprint(in: a.meta) == Self.k2.fingerprintText)

        #expect(OperatorControlTests.reply(a.handle(.control(RequestID(3), .keys(.remove(Self.k2))), at: OperatorControlTests.t0), 3)
                == .refused(KeyChangeError.primary(Self.k2.fingerprintText).description))
        #expect(OperatorControlTests.reply(a.handle(.control(RequestID(4), .keys(.remove(Self.k1))), at: OperatorControlTests.t0), 4) == .accepted)
        let old = MembershipTests.datagram([.ping(Ping(sequence: 2, target: "a", source: "x"))], codec: k1Only)
        _ = a.handle(.datagram(old, from: OperatorControlTests.address(9)), at: OperatorControlTests.t0)
        #expect(a.drops[.badTag] == 2, "the removed key is refused")
        #expect(a.keyring?.keys == [Self.k2])
    }

    static func refusal(_ result: Result<Keyring, KeyChangeError>) -> KeyChangeError? {
        if case .failure(let error) = result { error } else { nil }
    }

    @Test func keyChangesThatCannotApplyAreRefusedWithAReason() {
        let ring = Keyring(keys: [Self.k1])
        #expect(Self.refusal(ring.applying(.install(Self.k1))) == (.alreadyInstalled(Self.k1.fingerprintText)))
        #expect(Self.refusal(ring.applying(.use(Self.k2))) == (.notInstalled(Self.k2.fingerprintText)))
        #expect(Self.refusal(ring.applying(.remove(Self.k2))) == (.notInstalled(Self.k2.fingerprintText)))
        #expect(Self.refusal(ring.applying(.remove(Self.k1))) == (.primary(Self.k1.fingerprintText)))
        let full = Keyring(keys: (0..<KeyFile.keysMax).map { MeshKey(bytes: Bytes(repeating: UInt8($0 + 100), count: 32))! })
        #expect(Self.refusal(full.applying(.install(Self.k2))) == (.full))
        var unauthenticated = MembershipTests.node("a", 1)
        _ = unauthenticated.start(at: OperatorControlTests.t0)
        let out = unauthenticated.handle(.control(RequestID(1), .keys(.install(Self.k2))), at: OperatorControlTests.t0)
        #expect(OperatorControlTests.reply(out, 1) == .refused(KeyChangeError.unauthenticated.description))
    }

    @Test func aKeyFingerprintIsEightBytesOfSHA256AndTravelsInMemberMetaNeverTheKey() {
        #expect(Self.k1.fingerprint == Array(SHA256.hash(Self.k1.bytes).prefix(8)))
        #expect(Self.k1.fingerprintText.count == 16)
        let meta = MemberMeta.advertising(Keyring(keys: [Self.k1]))
        #expect(meta == [1, 8] + Self.k1.fingerprint)
        #expect(MemberMeta.keyFingerprint(in: meta) == Self.k1.fingerprintText)
        #expect(meta.count == 2 + MeshKey.fingerprintBytes, "a fingerprint, never the 32-byte key")
    }

    @Test func memberMetaKeepsOtherFieldsAndReadsForeignBytesAsNoFields() {
        let withOther = MemberMeta.setting(7, to: [1, 2, 3], in: [])
        let both = MemberMeta.setting(MemberMeta.keyFingerprintField, to: Self.k2.fingerprint, in: withOther)
        #expect(MemberMeta.value(of: 7, in: both) == [1, 2, 3])
        let replaced = MemberMeta.setting(MemberMeta.keyFingerprintField, to: Self.k1.fingerprint, in: both)
        #expect(MemberMeta.keyFingerprint(in: replaced) == Self.k1.fingerprintText && replaced.count == both.count)
        for foreign: Bytes in [[0, 0, 0, 9], [1], [1, 8, 1, 2], [1, 3, 1, 2, 3]] {
            #expect(MemberMeta.keyFingerprint(in: foreign) == nil)
        }
        #expect(MemberMeta.fields([0, 0, 0, 9]) == nil)
    }
}
