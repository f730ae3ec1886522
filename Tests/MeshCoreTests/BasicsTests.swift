import Testing
@testable import MeshCore

@Suite struct BasicsTests {
    @Test func naturalLogMatchesKnownValues() {
        let cases: [(Double, Double)] = [(1, 0), (2, 0.693_147_180_559_945_3), (10, 2.302_585_092_994_046),
                                         (0.5, -0.693_147_180_559_945_3), (1e6, 13.815_510_557_964_274)]
        for (x, expected) in cases {
            #expect(abs(MeshMath.log(x) - expected) < 1e-12, "log(\(x))")
        }
        #expect(abs(MeshMath.log10(1000) - 3) < 1e-12)
    }

    @Test func seededGeneratorIsReproducible() {
        var a = SeededGenerator(seed: 42)
        var b = SeededGenerator(seed: 42)
        var c = SeededGenerator(seed: 43)
        let xs = (0..<8).map { _ in a.next() }
        #expect(xs == (0..<8).map { _ in b.next() })
        #expect(xs != (0..<8).map { _ in c.next() })
        for _ in 0..<1000 { #expect(a.below(7) < 7) }
    }

    @Test func addressParsesDottedQuadAndPort() {
        #expect(Address(parsing: "127.0.0.2:7946") == Address(127, 0, 0, 2, port: 7946))
        #expect(Address(parsing: "127.0.0.2:7946")?.description == "127.0.0.2:7946")
        for bad in ["", "1.2.3:4", "1.2.3.4", "1.2.3.256:1", "a.b.c.d:1", "1.2.3.4:70000", "1..2.3:4"] {
            #expect(Address(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func byteReaderRejectsTruncatedAndOversizedFields() throws {
        var w = ByteWriter()
        w.varint(300); w.shortString("node-1"); w.blob([1, 2, 3]); w.u64(.max)
        var r = ByteReader(w.bytes)
        #expect(try r.varint() == 300)
        #expect(try r.shortString(limit: 64) == "node-1")
        #expect(try r.blob(limit: 3) == [1, 2, 3])
        #expect(try r.u64() == .max)
        #expect(r.isAtEnd)
        var short = ByteReader(Array(w.bytes.prefix(4)))
        _ = try short.varint()
        #expect(throws: DecodeError.truncated) { try short.shortString(limit: 64) }
        var tooLong = ByteReader(w.bytes, offset: 2)
        #expect(throws: DecodeError.oversized) { try tooLong.shortString(limit: 3) }
    }

    @Test func minHeapPopsInOrderWhateverThePushOrder() {
        var g = SeededGenerator(seed: 11)
        var heap = MinHeap<Int>()
        var pushed: [Int] = []
        for _ in 0..<500 { let v = g.below(100); pushed.append(v); heap.push(v) }
        var popped: [Int] = []
        while let v = heap.pop() { popped.append(v) }
        #expect(popped == pushed.sorted())
        #expect(heap.isEmpty && heap.pop() == nil)
    }
}
