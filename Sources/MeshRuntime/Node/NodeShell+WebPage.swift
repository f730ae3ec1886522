/// `GET /`: the live web page (`WebPage`), served by every node under the control API's rules
/// (Host, Origin, Sec-Fetch-Site, token) like every other route.
extension NodeShell {
    /// Answers `/` and returns true; false for another path.
    func handleWebPage(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) -> Bool {
        guard request.path == "/" else { return false }
        respond(request.method == "GET" ? WebPage.response : methodNotAllowed(request, allow: "GET"))
        return true
    }
}
