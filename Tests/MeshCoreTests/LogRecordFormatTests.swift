import Testing
@testable import MeshCore

private func ascii(_ text: String) -> Bytes { Array(text.utf8) }

/// A log of records with bodies of different sizes (empty, one byte, a few, a few hundred), so
/// truncations and bit flips land in every field of every record.
private let sampleRecords: [LogRecord] = [
    LogRecord(kind: 1, body: ascii("first")),
    LogRecord(kind: 2, body: []),
    LogRecord(kind: 255, body: [0x00]),
    LogRecord(kind: 0, body: (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }),
    LogRecord(kind: 9, body: ascii("last record")),
]

/// The encoded log and the byte offset at which each record ends.
private func encodedLog(_ records: [LogRecord]) -> (bytes: Bytes, ends: [Int]) {
    var bytes = Bytes()
    var ends: [Int] = []
    for record in records {
        bytes += LogRecordFormat.encode(record)
        ends.append(bytes.count)
    }
    return (bytes, ends)
}

@Suite struct LogRecordFormatTests {
    // MARK: CRC-32C

    @Test func crc32cMatchesTheCheckValueAndRFC3720Vectors() {
        let pdu: Bytes = [
            0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
            0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ]
        let vectors: [(name: String, message: Bytes, crc: UInt32)] = [
            ("check value \"123456789\"", ascii("123456789"), 0xE306_9283),
            ("empty", [], 0x0000_0000),
            ("B.4: 32 bytes of zeros", Bytes(repeating: 0, count: 32), 0x8A91_36AA),
            ("B.4: 32 bytes of ones", Bytes(repeating: 0xFF, count: 32), 0x62A8_AB43),
            ("B.4: 32 incrementing bytes", (0..<32).map { UInt8($0) }, 0x46DD_794E),
            ("B.4: 32 decrementing bytes", (0..<32).reversed().map { UInt8($0) }, 0x113F_DB5C),
            ("B.4: iSCSI read command PDU", pdu, 0xD996_3A56),
        ]
        for vector in vectors {
            #expect(CRC32C.checksum(vector.message) == vector.crc, "\(vector.name)")
        }
    }

    @Test func crc32cInPiecesEqualsTheWholeMessage() {
        let message = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 5) }
        for split in [0, 1, 7, 500, 999, 1_000] {
            var crc = CRC32C()
            crc.update(message[..<split])
            crc.update(message[split...])
            #expect(crc.value == CRC32C.checksum(message), "split at \(split)")
        }
    }

    // MARK: Encoding

    @Test func aRecordIsLengthThenChecksumThenKindThenBody() {
        let encoded = LogRecordFormat.encode(LogRecord(kind: 1, body: ascii("abc")))
        // CRC-32C of [0x01, "a", "b", "c"] is 0xC30D7DB2.
        #expect(encoded == [0, 0, 0, 3, 0xC3, 0x0D, 0x7D, 0xB2, 1] + ascii("abc"))
        #expect(LogRecordFormat.encode(LogRecord(kind: 7, body: [])) == [0, 0, 0, 0, 0x86, 0xB7, 0x37, 0xBA, 7])
    }

    @Test func recordsRoundTripInOrder() {
        let largest = LogRecord(kind: 3, body: Bytes(repeating: 0xA5, count: LogRecordFormat.recordBytesMax))
        let records = sampleRecords + [largest]
        let (bytes, _) = encodedLog(records)
        let scan = LogRecordFormat.scan(bytes)
        #expect(scan == LogScan(records: records, validByteCount: bytes.count, tailDamage: nil))
        #expect(scan.position == LogPosition(records.count))
    }

    @Test func anEmptyLogHasNoRecordsAndNoDamage() {
        #expect(LogRecordFormat.scan([]) == LogScan(records: [], validByteCount: 0, tailDamage: nil))
    }

    // MARK: Torn and corrupt tails

    @Test func everyTruncationKeepsExactlyTheWholeRecordsBeforeTheCut() {
        let (bytes, ends) = encodedLog(sampleRecords)
        for cut in 0...bytes.count {
            let whole = ends.filter { $0 <= cut }.count
            let boundary = whole == 0 ? 0 : ends[whole - 1]
            let scan = LogRecordFormat.scan(Array(bytes[..<cut]))
            #expect(scan.records == Array(sampleRecords[..<whole]), "cut at \(cut)")
            #expect(scan.validByteCount == boundary, "cut at \(cut)")
            #expect(scan.tailDamage == (cut == boundary ? nil : .truncated), "cut at \(cut)")
        }
    }

    @Test func aBitFlipInAnyByteEndsTheLogAtTheRecordHoldingIt() {
        let (bytes, ends) = encodedLog(sampleRecords)
        for index in bytes.indices {
            let damaged = ends.firstIndex { $0 > index }!
            let start = damaged == 0 ? 0 : ends[damaged - 1]
            for bit in 0..<8 {
                var flipped = bytes
                flipped[index] ^= 1 << bit
                let scan = LogRecordFormat.scan(flipped)
                let label = "byte \(index) bit \(bit)"
                #expect(scan.records == Array(sampleRecords[..<damaged]), "\(label)")
                #expect(scan.validByteCount == start, "\(label)")
                #expect(scan.tailDamage != nil, "\(label)")
            }
        }
    }

    @Test func damageIsReportedWithItsReason() {
        let (good, _) = encodedLog(Array(sampleRecords[..<2]))
        var badChecksum = LogRecordFormat.encode(LogRecord(kind: 4, body: ascii("body")))
        badChecksum[5] ^= 0x01
        var lengthAtLimit = ByteWriter()
        lengthAtLimit.u32(UInt32(LogRecordFormat.recordBytesMax))
        var lengthPastLimit = ByteWriter()
        lengthPastLimit.u32(UInt32(LogRecordFormat.recordBytesMax + 1))
        let cases: [(name: String, tail: Bytes, damage: LogTailDamage)] = [
            ("a lone byte", [0x00], .truncated),
            ("a header cut short", [0, 0, 0, 4, 1, 2], .truncated),
            ("a header without its body", [0, 0, 0, 4, 1, 2, 3, 4, 5, 6], .truncated),
            ("nine zero bytes (a zero-filled block after a crash)", Bytes(repeating: 0, count: 9), .badChecksum),
            ("a record whose checksum was changed", badChecksum, .badChecksum),
            ("a length at the limit with no body", lengthAtLimit.bytes + Bytes(repeating: 0, count: 5), .truncated),
            ("a length one past the limit", lengthPastLimit.bytes + Bytes(repeating: 0, count: 5), .oversizedLength),
            ("the largest length", [0xFF, 0xFF, 0xFF, 0xFF], .oversizedLength),
            ("text appended to the file", ascii("garbage appended by hand\n"), .oversizedLength),
        ]
        for item in cases {
            let scan = LogRecordFormat.scan(good + item.tail)
            #expect(scan.records == Array(sampleRecords[..<2]), "\(item.name)")
            #expect(scan.validByteCount == good.count, "\(item.name)")
            #expect(scan.tailDamage == item.damage, "\(item.name)")
        }
    }

    @Test func recordsAfterADamagedOneAreNotTrusted() {
        var (bytes, ends) = encodedLog(sampleRecords)
        bytes[ends[1] + LogRecordFormat.headerByteCount - 1] ^= 0x80  // the kind byte of record 2
        let scan = LogRecordFormat.scan(bytes)
        #expect(scan.records == Array(sampleRecords[..<2]))
        #expect(scan.validByteCount == ends[1])
        #expect(scan.tailDamage == .badChecksum)
    }
}
