import MeshCore
import Testing

@Suite("JSON without Foundation")
struct JSONTests {
    @Test("values round-trip through text")
    func roundTrip() throws {
        let value = JSONValue.object([
            ("s", .string("quote \" backslash \\ newline \n tab \t bell \u{07} é 🎉")),
            ("i", .integer(-42)), ("big", .integer(Int64.max)), ("d", .number(0.125)), ("tiny", .number(1e-7)),
            ("t", .bool(true)), ("f", .bool(false)), ("n", .null),
            ("a", .array([.integer(1), .array([]), .object([])])),
        ])
        for pretty in [false, true] {
            #expect(try JSONValue.parse(value.serialized(pretty: pretty)) == value)
        }
        #expect(JSONValue.object([("a", .integer(1))]).serialized() == #"{"a":1}"#)
        #expect(JSONValue.string("\u{01}").serialized() == #""\u0001""#)
    }

    @Test("escapes, surrogate pairs and numbers as other writers produce them")
    func reading() throws {
        #expect(try JSONValue.parse(#""\u00e9\ud83c\udf89\/""#) == .string("é🎉/"))
        #expect(try JSONValue.parse("12") == .integer(12))
        #expect(try JSONValue.parse("12.0").integer == nil)
        #expect(try JSONValue.parse("-0.5e1").double == -5)
        #expect(try JSONValue.parse("99999999999999999999").double == 1e20, "past UInt64 a whole number is a Double")
        #expect(try JSONValue.parse(" { \"a\" : [ 1 , 2 ] } ")["a"] == .array([.integer(1), .integer(2)]))
    }

    @Test("unsigned counters round-trip exactly up to 2^64-1", arguments: [
        UInt64(0), 1, UInt64(Int64.max), UInt64(Int64.max) + 1, UInt64.max - 1, UInt64.max,
    ])
    func unsignedRoundTrip(value: UInt64) throws {
        let text = JSONValue.object([("incarnation", .unsigned(value))]).serialized()
        #expect(text == #"{"incarnation":\#(value)}"#)
        #expect(try JSONValue.parse(text)["incarnation"]?.unsigned == value)
        #expect(try JSONValue.parse(String(value)).double == Double(value))
    }

    @Test("integers past Int64 are not signed integers, and negatives are not unsigned")
    func integerKinds() throws {
        #expect(try JSONValue.parse("18446744073709551615").integer == nil)
        #expect(try JSONValue.parse("-1").unsigned == nil)
        #expect(try JSONValue.parse("18446744073709551616").unsigned == nil, "2^64 does not fit")
        #expect(try JSONValue.parse("9223372036854775808") == .unsigned(UInt64(Int64.max) + 1))
        #expect(JSONValue.unsigned(5) == .integer(5))
    }

    @Test("DEL and C1 control characters are escaped too")
    func controlEscapes() {
        #expect(JSONValue.string("a\u{7F}b\u{9B}c\u{1B}").serialized() == #""a\u007fb\u009bc\u001b""#)
    }

    @Test("malformed text is refused with a position", arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "01", "1.", "-", "tru", "\"abc", "\"\\x\"", "\"\\ud800\"",
        "{\"a\":1,\"a\":2}", "[1] 2", "\"\u{01}\"", "{a:1}", "NaN",
    ])
    func malformed(text: String) {
        #expect(throws: JSONError.self) { try JSONValue.parse(text) }
    }

    @Test("nesting past the limit is refused")
    func depth() throws {
        let deep = String(repeating: "[", count: JSONValue.depthMax + 1) + String(repeating: "]", count: JSONValue.depthMax + 1)
        #expect(throws: JSONError.self) { try JSONValue.parse(deep) }
        let fine = String(repeating: "[", count: JSONValue.depthMax) + String(repeating: "]", count: JSONValue.depthMax)
        #expect(throws: Never.self) { try JSONValue.parse(fine) }
    }
}

@Suite struct JSONDocumentTests {
    @Test func everyValueHasALineAndColumnAndAMissingOneFallsBackToItsObject() throws {
        let document = try JSONDocument(parsing: "{\"a\": 1,\n  \"list\": [true, {\"b\": null}]}")
        #expect(document.location(of: "") == "line 1, column 1")
        #expect(document.location(of: ".a") == "line 1, column 7")
        #expect(document.location(of: ".list") == "line 2, column 11")
        #expect(document.location(of: ".list[1].b") == "line 2, column 24")
        #expect(document.location(of: ".list[1].missing") == "line 2, column 18")
        #expect(document.root == (try JSONValue.parse("{\"a\": 1, \"list\": [true, {\"b\": null}]}")))
        #expect(throws: JSONError.self) { try JSONDocument(parsing: "{\"a\": 1, \"a\": 2}") }
    }
}
