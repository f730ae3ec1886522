import MeshCore
@testable import MeshRuntime
import Testing

/// The pieces of the described API that need no node: the Prometheus text writer and the
/// OpenAPI document's own consistency (the walk test checks it against a real node).
@Suite("Described API: Prometheus text and the OpenAPI document")
struct APIDescriptionTests {
    @Test("families carry HELP and TYPE; label values and HELP are escaped; numbers print as the format wants")
    func prometheusText() {
        var out = PrometheusText()
        out.family("m_total", "counter", "A \\ help\nline.", [([("reason", "a\"b\\c\nd")], 3), ([], 1.5)])
        out.single("g", "gauge", "G.", .infinity)
        #expect(out.text == """
            # HELP m_total A \\\\ help\\nline.
            # TYPE m_total counter
            m_total{reason="a\\"b\\\\c\\nd"} 3
            m_total 1.5
            # HELP g G.
            # TYPE g gauge
            g +Inf

            """)
    }

    @Test("a histogram's buckets are cumulative, end with +Inf, and sum and count follow")
    func histogram() {
        var histogram = Histogram(bounds: [0.1, 1])
        for milliseconds: Int64 in [50, 500, 600, 5_000, -3] { histogram.observe(nanoseconds: milliseconds * 1_000_000) }
        var out = PrometheusText()
        out.histogram("h_seconds", "H.", histogram)
        let lines = out.text.split(separator: "\n").map(String.init)
        #expect(lines == ["# HELP h_seconds H.", "# TYPE h_seconds histogram", "h_seconds_bucket{le=\"0.1\"} 2",
                          "h_seconds_bucket{le=\"1\"} 4", "h_seconds_bucket{le=\"+Inf\"} 5", "h_seconds_sum 6.15",
                          "h_seconds_count 5"])
    }

    /// Every `$ref` string anywhere in `value`.
    static func references(_ value: JSONValue) -> [String] {
        if let members = value.object {
            return members.flatMap { $0.0 == "$ref" ? ($0.1.string.map { [$0] } ?? []) : references($0.1) }
        }
        return value.array?.flatMap(references) ?? []
    }

    @Test("every reference resolves, operation ids are unique, every operation answers errors in the one shape")
    func documentConsistency() throws {
        let document = OpenAPIDocument.json
        #expect(document["openapi"]?.string == "3.1.0")
        for reference in Set(Self.references(document)) {
            let parts = reference.split(separator: "/").map(String.init)
            #expect(parts.count == 4 && parts[0] == "#" && document["components"]?[parts[2]]?[parts[3]] != nil, "\(reference)")
        }
        let operations = try #require(document["paths"]?.object).flatMap { path, item in (item.object ?? []).map { (path, $0.0, $0.1) } }
        #expect(operations.count >= 25)
        let ids = operations.compactMap { $0.2["operationId"]?.string }
        #expect(ids.count == operations.count && Set(ids).count == ids.count)
        for (path, method, operation) in operations {
            let responses = try #require(operation["responses"]?.object, "\(method) \(path)")
            #expect(responses.contains { $0.0.hasPrefix("2") }, "\(method) \(path) has no success answer")
            for status in OpenAPIDocument.commonErrors {
                #expect(operation["responses"]?[String(status)]?["$ref"]?.string == "#/components/responses/Error\(status)",
                        "\(method) \(path) lacks \(status)")
            }
            if method == "post" { #expect(operation["responses"]?["415"] != nil, "\(method) \(path) lacks 415") }
        }
        let serialized = document.serialized()
        #expect(try JSONValue.parse(serialized) == document)
    }
}
