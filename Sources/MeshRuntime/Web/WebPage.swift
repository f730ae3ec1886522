import MeshCore

/// The live web page every node serves at `GET /` (issue 13 §5): one self-contained HTML document
/// (inline style and script; no external scripts, fonts or CDNs) that shows the mesh as this node
/// sees it, kept up to date over Server-Sent Events: members with state, round trip and capacity
/// (`GET /v1/status/events`), tasks with state and history (`GET /v1/tasks/events`), and the
/// selected task's live log and artifacts (`GET /v1/tasks/{id}/logs?follow=1`,
/// `/v1/tasks/{id}/artifacts/{name}`). When a stream cannot be opened (too many open), the page
/// polls the plain JSON routes instead.
///
/// The page talks only to the node that served it (same origin), so the control API's Host/Origin
/// rules apply unchanged. Text from the mesh is always inserted as text (`textContent`, text nodes,
/// attributes), never parsed as HTML; the Content-Security-Policy allows exactly this document's
/// script and style (by SHA-256 hash), no eval, no other origin.
public enum WebPage {
    /// The whole document, as served.
    public static let html: String = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="icon" href="data:,">
        <title>AgentMesh</title>
        <style>\(style)</style>
        </head><body>
        \(markup)
        <script>\(script)</script>
        </body></html>

        """

    /// `Content-Security-Policy`: same-origin connections only; the inline script and style are
    /// allowed by their hashes (so no other inline script runs, and `eval` is refused); no plugins,
    /// no framing, no `<base>`, no form posts elsewhere.
    public static let contentSecurityPolicy = "default-src 'self'; script-src \(hashSource(script)); "
        + "style-src \(hashSource(style)); img-src 'self' data:; connect-src 'self'; object-src 'none'; "
        + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    /// The answer to `GET /`.
    static let response = HTTPResponse(status: 200, headers: [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Security-Policy", contentSecurityPolicy),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ], body: Array(html.utf8))

    /// A CSP hash source for an inline element whose text is exactly `text`: `'sha256-<base64>'`.
    public static func hashSource(_ text: String) -> String {
        "'sha256-" + Base64.encode(SHA256.hash(Array(text.utf8))) + "'"
    }

    /// The body's fixed structure; the script fills the tables. Ids and `data-` attributes are what
    /// the script (and the browser test) find things by.
    static let markup = """
        <header><h1>AgentMesh</h1><span id="node"></span>
        <span id="links"><span id="link-status" class="link">members: connecting</span>
        <span id="link-tasks" class="link">tasks: connecting</span></span></header>
        <p id="notice" hidden></p>
        <main>
        <section><h2>Members <span id="member-count" class="count"></span></h2>
        <table id="members"><thead><tr><th>Name</th><th>Address</th><th>State</th><th>RTT</th>
        <th>Slots busy/total</th><th>Profiles</th><th>Load</th><th>Queue</th></tr></thead><tbody></tbody></table></section>
        <section><h2>Tasks <span id="task-count" class="count"></span></h2>
        <table id="tasks"><thead><tr><th>Id</th><th>Profile</th><th>State</th><th>Attempt</th><th>Owner</th>
        <th>Created</th><th>Updated</th></tr></thead><tbody></tbody></table></section>
        <section id="detail" hidden><h2>Task <span id="detail-id" class="mono"></span>
        <span id="detail-state" class="state"></span></h2>
        <h3>History</h3><table id="history"><thead><tr><th>At</th><th>State</th><th>Attempt</th><th>Node</th>
        <th>Reason</th></tr></thead><tbody></tbody></table>
        <h3>Artifacts</h3><p id="artifacts-none" class="muted">none yet</p>
        <table id="artifacts" hidden><thead><tr><th>Name</th><th>Size</th><th>SHA-256</th></tr></thead><tbody></tbody></table>
        <h3>Log <span id="log-info" class="muted"></span></h3><pre id="log"></pre></section>
        </main>
        """

    /// Plain and readable: system fonts, one column of tables, a colour per task state.
    static let style = """
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
        header{display:flex;gap:1em;align-items:baseline;padding:.6em 1em;background:#1d232a;color:#fff;flex-wrap:wrap}
        h1{font-size:1.2em;margin:0}h2{font-size:1.05em;margin:1.2em 0 .4em}h3{font-size:.95em;margin:1em 0 .3em}
        main{padding:0 1em 2em;max-width:80em}
        #links{margin-left:auto;display:flex;gap:.8em}.link{font-size:.85em;opacity:.85}.link.live{color:#7ee2a8}
        .link.down{color:#ffb4a8}#notice{background:#fff3cd;padding:.4em 1em;margin:0}
        table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px #0001}
        th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #e3e6ea;vertical-align:top}
        th{font-weight:600;font-size:.85em;color:#555;background:#fafbfc}
        #tasks tbody tr{cursor:pointer}#tasks tbody tr:hover{background:#eef4ff}#tasks tbody tr.selected{background:#dbe8ff}
        .mono,#tasks td.id,#artifacts td.sha{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.9em}
        #artifacts td.sha{word-break:break-all}.muted,.count{color:#777;font-weight:400}
        .state{font-weight:600}.st-alive,.st-succeeded{color:#1a7f37}.st-suspect,.st-retrying,.st-queued{color:#9a6700}
        .st-dead,.st-failed,.st-timed_out,.st-refused{color:#cf222e}.st-left,.st-cancelled{color:#666}
        .st-running{color:#0969da}.st-accepted{color:#6e40c9}
        #log{background:#0d1117;color:#e6edf3;padding:.6em;max-height:28em;overflow:auto;white-space:pre-wrap;
        word-break:break-all;margin:0;min-height:3em}
        """
}
