import MeshCore
@testable import MeshRuntime
import Testing

/// The live page's document and headers, read as text: self-contained, allowed by its own CSP
/// hashes, and never handing mesh text to an HTML parser.
@Suite("Web page: document, CSP and text-only insertion")
struct WebPageDocumentTests {
    /// The text between the first `open` and the next `close` in `html`, and how many `open`s there are.
    static func element(_ open: String, _ close: String, in html: String) -> (text: String, count: Int)? {
        let parts = html.components(separatedBy: open)
        guard parts.count >= 2, let end = parts[1].range(of: close) else { return nil }
        return (String(parts[1][..<end.lowerBound]), parts.count - 1)
    }

    @Test("the inline script and style are exactly the ones the CSP's hashes allow, and the only ones")
    func hashesMatch() throws {
        let script = try #require(Self.element("<script>", "</script>", in: WebPage.html))
        let style = try #require(Self.element("<style>", "</style>", in: WebPage.html))
        #expect(script.count == 1 && style.count == 1)
        #expect(WebPage.html.components(separatedBy: "<script").count == 2, "one script element")
        #expect(script.text == WebPage.script && style.text == WebPage.style)
        let csp = WebPage.contentSecurityPolicy
        #expect(csp.contains("script-src \(WebPage.hashSource(script.text));"))
        #expect(csp.contains("style-src \(WebPage.hashSource(style.text));"))
        // The hash of a known text, against an independent computation (`printf abc | sha256 | base64`).
        #expect(WebPage.hashSource("abc") == "'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='")
    }

    @Test("the CSP is strict: same origin only, no inline or eval allowance, no plugins or framing")
    func strictPolicy() {
        let csp = WebPage.contentSecurityPolicy
        for needed in ["default-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"] {
            #expect(csp.contains(needed), "\(needed)")
        }
        for banned in ["unsafe-inline", "unsafe-eval", "unsafe-hashes", "http:", "https:", "*", "strict-dynamic"] {
            #expect(!csp.contains(banned), "\(banned)")
        }
        let headers = Dictionary(WebPage.response.headers, uniquingKeysWith: { first, _ in first })
        #expect(headers["X-Content-Type-Options"] == "nosniff" && headers["X-Frame-Options"] == "DENY")
        #expect(headers["Content-Type"] == "text/html; charset=utf-8" && headers["Content-Security-Policy"] == csp)
    }

    @Test("self-contained: no external script, style, font, image or URL")
    func selfContained() {
        let html = WebPage.html
        for banned in ["http://", "https://", "//cdn", "@import", "url(", "@font-face", "<script src", "<link rel=\"stylesheet\"", "<iframe"] {
            #expect(!html.contains(banned), "\(banned)")
        }
    }

    @Test("mesh text is inserted as text only: no HTML sinks, no string-evaluating calls")
    func noHTMLSinks() {
        let script = WebPage.script
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function(",
                     "createContextualFragment", "DOMParser", "srcdoc", "setTimeout('", "setTimeout(\"",
                     "setInterval(", "javascript:", ".href =", "location ="] {
            #expect(!script.contains(sink), "the script uses \(sink)")
        }
        #expect(script.contains("textContent") && script.contains("createTextNode"))
    }
}
