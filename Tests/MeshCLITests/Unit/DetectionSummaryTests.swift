@testable import MeshCLI
import Testing

@Suite("mesh bench detect: observers that never saw the death count as infinitely late")
struct DetectionSummaryTests {
    @Test("the median observer and every observer, with misses counted as inf")
    func summaries() {
        let cases: [(times: [Double?], median: Double, all: Double, missed: Int, line: String)] = [
            ([1, 2, 3], 2, 3, 0, "detect_s=2.000 all_s=3.000 missed=0"),
            ([3, 1, 2, 4], 2.5, 4, 0, "detect_s=2.500 all_s=4.000 missed=0"),
            ([1, nil, 3], 3, .infinity, 1, "detect_s=3.000 all_s=inf missed=1"),
            ([1, 2, 3, nil], 2.5, .infinity, 1, "detect_s=2.500 all_s=inf missed=1"),
            ([1, 2, nil, nil], .infinity, .infinity, 2, "detect_s=inf all_s=inf missed=2"),
            ([nil], .infinity, .infinity, 1, "detect_s=inf all_s=inf missed=1"),
        ]
        for item in cases {
            let summary = DetectionSummary(item.times)
            #expect(summary == DetectionSummary(median: item.median, all: item.all, missed: item.missed), "\(item.times)")
            #expect(summary.line == item.line, "\(item.times)")
        }
    }

    @Test("the overall line: median over runs, and the worst run until every observer saw it")
    func overall() {
        var figures = Bench.Figures()
        figures.add(DetectionSummary([1.0, 2.0, 3.0]))
        figures.add(DetectionSummary([2.0, 3.0, 5.0]))
        figures.add(DetectionSummary([1.5, 2.5, 4.0]))
        #expect(figures.line() == "detect_s=2.500 all_s=4.000 all_max_s=5.000 missed=0 detect_p90_s=3.000 all_p90_s=5.000")
        figures.add(DetectionSummary([1.0, nil, 2.0]))
        #expect(figures.line(prefix: "serf_")
            == "serf_detect_s=2.250 serf_all_s=4.500 serf_all_max_s=inf serf_missed=1 serf_detect_p90_s=3.000 serf_all_p90_s=inf")
    }
}
