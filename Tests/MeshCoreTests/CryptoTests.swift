import Testing
@testable import MeshCore

/// Lower-case hex of `bytes`.
private func hex(_ bytes: some Collection<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }, as: UTF8.self)
}

/// The bytes of an even-length hex string.
private func unhex(_ text: String) -> Bytes {
    let s = Array(text.utf8)
    return stride(from: 0, to: s.count, by: 2).map { UInt8(String(decoding: s[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
}

private func ascii(_ text: String) -> Bytes { Array(text.utf8) }

/// A key file line for a key whose 32 bytes all equal `fill`.
private func keyLine(_ fill: UInt8) -> String { Base64.encode(Bytes(repeating: fill, count: 32)) }

@Suite struct CryptoTests {
    // MARK: SHA-256 (FIPS 180-4 examples, NIST CSRC example values)

    @Test func sha256MatchesNISTVectors() {
        let vectors: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
             "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        ]
        for (message, digest) in vectors {
            #expect(hex(SHA256.hash(ascii(message))) == digest, "\(message.count) bytes")
        }
    }

    @Test func sha256OfOneMillionAs() {
        #expect(hex(SHA256.hash(Bytes(repeating: 0x61, count: 1_000_000)))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // The same through the non-contiguous path, in uneven pieces.
        var hasher = SHA256()
        var left = 1_000_000
        while left > 0 {
            let n = min(left, 9_973)
            hasher.update(repeatElement(UInt8(0x61), count: n))
            left -= n
        }
        #expect(hex(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func sha256ChunkedEqualsOneShot() {
        for length in 0...200 {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let expected = SHA256.hash(message)
            for split in Set([0, 1, length / 3, length / 2, 55, 56, 63, 64, 65, length - 1, length]) where (0...length).contains(split) {
                var hasher = SHA256()
                hasher.update(message[..<split])
                hasher.update(message[split...])
                #expect(hasher.finalize() == expected, "length \(length) split \(split)")
            }
            var bytewise = SHA256()
            for b in message { bytewise.update([b]) }
            #expect(bytewise.finalize() == expected, "length \(length) byte by byte")
            var lazy = SHA256()
            lazy.update(message.lazy.map { $0 })
            #expect(lazy.finalize() == expected, "length \(length) non-contiguous")
        }
    }

    @Test func sha256FinalizeResets() {
        var hasher = SHA256()
        hasher.update(ascii("abc"))
        _ = hasher.finalize()
        #expect(hex(hasher.finalize()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    // MARK: HMAC-SHA-256 (RFC 4231 §4.2–4.8)

    @Test func hmacMatchesRFC4231() {
        let long = Bytes(repeating: 0xaa, count: 131)
        let cases: [(key: Bytes, data: Bytes, mac: String, section: String)] = [
            (Bytes(repeating: 0x0b, count: 20), ascii("Hi There"),
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", "4.2"),
            (ascii("Jefe"), ascii("what do ya want for nothing?"),
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", "4.3"),
            (Bytes(repeating: 0xaa, count: 20), Bytes(repeating: 0xdd, count: 50),
             "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe", "4.4"),
            (unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), Bytes(repeating: 0xcd, count: 50),
             "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b", "4.5"),
            (long, ascii("Test Using Larger Than Block-Size Key - Hash Key First"),
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", "4.7"),
            (long, ascii("This is a test using a larger than block-size key and a larger than block-size data. "
                + "The key needs to be hashed before being used by the HMAC algorithm."),
             "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2", "4.8"),
        ]
        for c in cases {
            let mac = HMACSHA256(key: c.key)
            #expect(hex(mac.tag(c.data)) == c.mac, "RFC 4231 §\(c.section)")
            #expect(hex(mac.authenticate([c.data])) == c.mac, "RFC 4231 §\(c.section) via authenticate")
        }
        // §4.6: only the leftmost 128 bits are specified.
        let truncated = HMACSHA256(key: Bytes(repeating: 0x0c, count: 20)).tag(ascii("Test With Truncation")).prefix(16)
        #expect(hex(truncated) == "a3b6167473100ee06e0c796c2955552b", "RFC 4231 §4.6")
    }

    @Test func hmacOfTwoPartsEqualsConcatenation() {
        let mac = HMACSHA256(key: ascii("two-part key"))
        let message = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        for split in [0, 1, 20, 55, 64, 119, 200, 299, 300] {
            let whole = mac.tag(message)
            #expect(mac.tag(message[..<split], message[split...]) == whole, "split \(split)")
            #expect(mac.authenticate([message[..<split], message[split...]]) == whole, "split \(split)")
        }
        #expect(mac.tag(message) == mac.tag(message), "a MAC is reusable")
    }

    @Test func constantTimeEquals() {
        #expect(HMACSHA256.constantTimeEquals(Bytes([1, 2, 3]), Bytes([1, 2, 3])))
        #expect(HMACSHA256.constantTimeEquals(Bytes(), Bytes()))
        #expect(!HMACSHA256.constantTimeEquals(Bytes([1, 2, 3]), Bytes([1, 2, 4])))
        #expect(!HMACSHA256.constantTimeEquals(Bytes([1, 2, 3]), Bytes([1, 2])))
    }

    // MARK: Base64 (RFC 4648 §10)

    @Test func base64MatchesRFC4648() {
        let vectors = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
                       ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(ascii(plain)) == encoded)
            #expect(Base64.decode(encoded) == ascii(plain), "\(encoded)")
        }
        let all = (0...255).map { UInt8($0) }
        #expect(Base64.decode(Base64.encode(all)) == all)
    }

    @Test func base64RejectsBadInput() {
        for bad in ["Zg=", "Zg", "Zm9vY", "Zm9v!mFy", "Zm9v YmFy", " Zm9v", "Zm9v\n", "Zm-v", "Zm_v",
                    "=Zm9", "Z===", "====", "Zm=v", "Zg==Zm9v", "Zh==", "Zm9=", "Zé=="] {
            #expect(Base64.decode(bad) == nil, "\(bad)")
        }
    }

    // MARK: Keys

    @Test func keyFileParsesCommentsBlanksAndOrder() throws {
        let text = "# cluster keys, primary first\n\n  \(keyLine(1))  \r\n\t\n# retiring:\n\(keyLine(2))\n"
        let keys = try KeyFile.parse(text)
        #expect(keys.map(\.bytes) == [Bytes(repeating: 1, count: 32), Bytes(repeating: 2, count: 32)])
        #expect(Keyring(keys: keys).primary == keys[0])
        #expect(keys[0].base64.count == 44)
        #expect(try MeshKey(parsing: keys[1].base64) == keys[1])
    }

    @Test func keyFileErrors() {
        func error(_ text: String) -> KeyError? {
            do { _ = try KeyFile.parse(text); return nil } catch { return error }
        }
        #expect(error("\(keyLine(1))\nnot a key!\n") == .notBase64(line: 2))
        #expect(error("\(keyLine(1))\nnot a key!\n")?.description == "line 2: not base64")
        let short = Base64.encode(Bytes(repeating: 7, count: 16))
        #expect(error(short) == .wrongLength(line: 1, bytes: 16))
        #expect(error(short)?.description == "line 1: a key is 32 bytes, this one is 16")
        #expect(error("") == .noKeys)
        #expect(error("# only a comment\n\n") == .noKeys)
        #expect(error("")?.description == "no keys in the key file")
        #expect(error("\(keyLine(1))\n\(keyLine(2))\n\n\(keyLine(1))") == .duplicate(line: 4, firstLine: 1))
        let seventeen = (1...17).map { keyLine(UInt8($0)) }.joined(separator: "\n")
        #expect(error(seventeen) == .tooManyKeys(count: 17))
        let sixteen = (1...16).map { keyLine(UInt8($0)) }.joined(separator: "\n")
        #expect(error(sixteen) == nil)
        #expect(KeyFile.keysMax == 16)
        #expect(throws: KeyError.notBase64(line: 1)) { try MeshKey(parsing: "???") }
        #expect(MeshKey(bytes: Bytes(repeating: 0, count: 31)) == nil)
    }

    @Test func generatedKeysAreDistinctAndRoundTrip() throws {
        var generator = SeededGenerator(seed: 7)
        let a = MeshKey.make(from: &generator), b = MeshKey.make(from: &generator)
        #expect(a.bytes.count == 32 && a != b)
        #expect(try MeshKey(parsing: a.base64) == a)
    }

    @Test func keyringTagsVerifyAcrossRotation() throws {
        let header = ascii("header:v1")
        let payload = (0..<100).map { UInt8(truncatingIfNeeded: $0) }
        let old = try MeshKey(parsing: keyLine(0x11)), new = try MeshKey(parsing: keyLine(0x22))

        let ring = Keyring(keys: [new, old])
        let tag = ring.tag(header, payload)
        #expect(tag.count == Keyring.tagBytes)
        #expect(tag == Bytes(HMACSHA256(key: new.bytes).tag(header + payload).prefix(16)))
        #expect(ring.verify(tag: tag, header, payload))
        #expect(ring.verify(tag: tag[...], header[...], payload[...]))

        // A sender that has not rotated yet still tags under the old key.
        let laggard = Keyring(keys: [old])
        #expect(ring.verify(tag: laggard.tag(header, payload), header, payload))
        #expect(!laggard.verify(tag: tag, header, payload), "the old ring does not know the new key")

        let stranger = Keyring(keys: [try MeshKey(parsing: keyLine(0x33))])
        #expect(!ring.verify(tag: stranger.tag(header, payload), header, payload))

        for bit in [0, 7, 100, 127] {
            var flipped = tag
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(!ring.verify(tag: flipped, header, payload), "tag bit \(bit)")
        }
        var badHeader = header
        badHeader[0] ^= 0x01
        #expect(!ring.verify(tag: tag, badHeader, payload))
        var badPayload = payload
        badPayload[99] ^= 0x80
        #expect(!ring.verify(tag: tag, header, badPayload))
        #expect(!ring.verify(tag: tag.prefix(15), header, payload), "short tag")
        #expect(!ring.verify(tag: tag + [0], header, payload), "long tag")
        // Moving bytes between the two parts is the same message, so the tag still holds.
        #expect(ring.verify(tag: tag, header + payload[..<4], payload[4...]))
    }
}
