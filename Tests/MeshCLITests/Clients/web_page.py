"""Drives headless Chromium (Debian's package) against a node's live web page through the
DevTools protocol, with nothing but the Python standard library (a tiny WebSocket client).

Loads the page, waits (polling with a deadline, never sleeping blindly) until the DOM shows every
member alive and the running task, takes a screenshot, submits a task through another node and
waits until it appears in the DOM without a reload, then opens a task whose log holds markup and
checks that the markup shows as text. Prints one JSON line with what it saw; exits 2 when the
browser cannot be driven at all.
"""
import argparse, base64, json, os, shutil, signal, socket, struct, subprocess, sys, tempfile, time
import urllib.parse, urllib.request


class WebSocket:
    """A client WebSocket (RFC 6455) with masked text frames out; enough for DevTools."""

    def __init__(self, url, timeout):
        u = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {u.path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(f"no WebSocket upgrade: {head[:200]!r}")

    def _recv(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise RuntimeError("DevTools closed the connection")
        return chunk

    def _take(self, count):
        while len(self.buffer) < count:
            self.buffer += self._recv()
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def send(self, text):
        payload, mask = text.encode(), os.urandom(4)
        n = len(payload)
        head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else
                                bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536 else
                                bytes([0x80 | 127]) + struct.pack(">Q", n))
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def receive(self):
        message = b""
        while True:
            first, second = self._take(2)
            n = second & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._take(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._take(8))[0]
            payload = self._take(n)
            opcode = first & 0x0F
            if opcode == 8:
                raise RuntimeError("DevTools sent close")
            if opcode in (0, 1, 2):
                message += payload
                if first & 0x80:
                    return message.decode()


class Browser:
    """Headless Chromium with a DevTools connection to its one page."""

    def __init__(self, chromium, size, deadline):
        self.profile = tempfile.mkdtemp(prefix="mesh-web-chromium-")
        self.log = open(os.path.join(self.profile, "stderr.txt"), "w+")
        self.process = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
             "--remote-debugging-port=0", f"--user-data-dir={self.profile}", f"--window-size={size}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=self.log, start_new_session=True)
        port = poll(deadline, "DevTools to listen", self._devtools_port)
        pages = poll(deadline, "a page target", lambda: [t for t in json.load(
            urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5)) if t.get("type") == "page"])
        self.ws = WebSocket(pages[0]["webSocketDebuggerUrl"], timeout=30)
        self.next_id = 0

    def _devtools_port(self):
        if self.process.poll() is not None:
            raise RuntimeError(f"chromium exited with {self.process.returncode}")
        self.log.seek(0)
        for line in self.log.read().splitlines():
            if "DevTools listening on ws://" in line:
                return int(line.split("ws://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
        return None

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.receive())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self):
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
        shutil.rmtree(self.profile, ignore_errors=True)


def poll(deadline, what, probe, interval=0.1):
    """probe() until it returns something truthy; RuntimeError naming `what` past the deadline."""
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(interval)   # the polling interval, not a synchronization


# What the page shows, read from the DOM (the ids and data- attributes are the page's).
SNAPSHOT = """(() => { if (!document.getElementById('log')) return 'null';   // not loaded yet
return JSON.stringify({
  members: [...document.querySelectorAll('#members tbody tr')].map(r => ({
    name: r.getAttribute('data-member'), state: r.cells[2].textContent, slots: r.cells[4].textContent})),
  tasks: [...document.querySelectorAll('#tasks tbody tr')].map(r => ({
    id: r.getAttribute('data-task'), state: r.cells[2].textContent})),
  artifacts: [...document.querySelectorAll('#artifacts tbody tr')].map(r => ({name: r.cells[0].textContent,
    href: r.querySelector('a') && r.querySelector('a').getAttribute('href'), sha256: r.cells[2].textContent})),
  title: document.title, marker: window.__meshNoReload === 1, links: document.getElementById('links').textContent,
  log: document.getElementById('log').textContent, logInfo: document.getElementById('log-info').textContent,
  injected: document.getElementById('injected') !== null || document.querySelector('#log *') !== null}); })()"""


def arguments():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chromium", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--members", required=True, help="comma-separated member names")
    parser.add_argument("--running", required=True, help="id of a running task")
    parser.add_argument("--submit", required=True, help="http://HOST:PORT of another node to submit through")
    parser.add_argument("--profile", required=True)
    parser.add_argument("--hostile", required=True, help="id of a task whose log holds markup")
    parser.add_argument("--hostile-text", required=True, help="the markup, expected as text in the log")
    parser.add_argument("--artifact", help="a file the later task leaves: its row is read once the task succeeded")
    parser.add_argument("--timeout", type=float, default=60)
    return parser.parse_args()


class Session:
    """One page in the browser and what the checks found."""

    def __init__(self, browser, args, deadline):
        self.browser, self.args, self.deadline, self.result = browser, args, deadline, {}

    def snap(self):
        return json.loads(self.browser.evaluate(SNAPSHOT)) or {"members": [], "tasks": [], "log": ""}

    def until(self, what, test, deadline=None):
        """The first snapshot that passes `test`, polled until the deadline."""
        return poll(deadline or self.deadline, what, lambda: (lambda s: s if test(s) else None)(self.snap()))

    def screenshot(self, path):
        shot = self.browser.call("Page.captureScreenshot", format="png")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        return path

    def load(self):
        """Every member alive and the running task shown; then the screenshot."""
        self.browser.call("Page.enable")
        self.browser.call("Page.navigate", url=self.args.url)
        members, running = set(self.args.members.split(",")), self.args.running
        first = self.until("the page to show every member alive and the running task", lambda s:
                           {m["name"] for m in s["members"] if m["state"] == "alive"} >= members
                           and any(t["id"] == running and t["state"] == "running" for t in s["tasks"]))
        self.result.update(members=first["members"], tasksAtLoad=[t["id"] for t in first["tasks"]], title=first["title"],
                           links=first["links"])
        self.result["screenshot"] = self.screenshot(os.path.abspath(self.args.screenshot))

    def submit_later(self):
        """A task submitted through another node appears, and the page did not reload."""
        self.browser.evaluate("window.__meshNoReload = 1")   # gone if the page reloads
        body = json.dumps({"profile": self.args.profile, "prompt": "submitted after the page loaded"}).encode()
        request = urllib.request.Request(self.args.submit + "/v1/tasks", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        submitted = self.result["submitted"] = json.load(urllib.request.urlopen(request, timeout=30))["id"]
        later = self.until(f"task {submitted} to appear on the page", lambda s: any(t["id"] == submitted for t in s["tasks"]))
        self.result.update(submittedShown=True, noReload=later["marker"])

    def open_hostile(self):
        """The task whose log holds markup: the markup shows as text, no element is made of it."""
        self.browser.evaluate(f"document.querySelector('tr[data-task=\"{self.args.hostile}\"]').click()")
        try:
            shown = self.until("the hostile task's log", lambda s: self.args.hostile_text in s["log"],
                               min(self.deadline, time.monotonic() + 20))
            self.result.update(logShown=True, injected=shown["injected"], titleAfterLog=shown["title"])
        except RuntimeError:
            s = self.snap()
            self.result.update(logShown=False, logInfo=s["logInfo"], injected=s["injected"])
        folder = os.path.dirname(os.path.abspath(self.args.screenshot))
        self.result["taskScreenshot"] = self.screenshot(os.path.join(folder, "web-page-task.png"))


    def open_submitted(self):
        """The later task, once succeeded: its artifacts as the page lists them."""
        submitted, name = self.result["submitted"], self.args.artifact
        self.until(f"task {submitted} to succeed on the page",
                   lambda s: any(t["id"] == submitted and t["state"] == "succeeded" for t in s["tasks"]))
        self.browser.evaluate(f"document.querySelector('tr[data-task=\"{submitted}\"]').click()")
        shown = self.until(f"artifact {name} to be listed", lambda s: any(a["name"] == name for a in s["artifacts"]))
        self.result["artifacts"] = shown["artifacts"]


def main():
    args = arguments()
    deadline = time.monotonic() + args.timeout
    browser = Browser(args.chromium, "1280,1000", deadline)
    session = Session(browser, args, deadline)
    try:
        session.load()
        session.submit_later()
        session.open_hostile()
        if args.artifact:
            session.open_submitted()
    except Exception as error:   # report what was seen so far, then fail
        session.result["error"] = str(error)
    finally:
        browser.close()
    print(json.dumps(session.result))
    sys.exit(0 if "error" not in session.result else 1)


if __name__ == "__main__":
    try:
        main()
    except Exception as error:
        print(json.dumps({"error": f"cannot drive chromium: {error}"}))
        sys.exit(2)
