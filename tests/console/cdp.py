"""A headless Chromium driven over the DevTools protocol through --remote-debugging-pipe: the
browser reads commands from its fd 3 and writes answers and events to its fd 4, each message
JSON ended by a NUL byte. No websocket library, nothing from npm: the standard library only.

    with Browser() as b:               # a temporary profile; the browser is killed on exit,
        page = b.new_page(1280, 900)   # even when the test failed
        page.navigate("http://127.0.0.1:8080/console/")
        page.wait_for("document.readyState === 'complete'")

Every page records what would be an error in its console (Runtime.exceptionThrown, error-level
Log.entryAdded and console.error calls) in page.errors, for the test to assert on.
"""
import base64
import fcntl
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time


def find_chromium():
    # Debian's /usr/bin/chromium is a shell wrapper that adds flags from /etc/chromium.d; the
    # binary itself takes exactly the flags given here.
    if os.access("/usr/lib/chromium/chromium", os.X_OK):
        return "/usr/lib/chromium/chromium"
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class CdpError(Exception):
    pass


class Browser:
    def __init__(self, binary=None, timeout=30):
        self.binary = binary or find_chromium()
        if not self.binary:
            raise RuntimeError("no chromium: tools/install-deps --console installs Debian's")
        self.timeout = timeout
        self.proc = None
        self.profile = None

    def __enter__(self):
        self.profile = tempfile.TemporaryDirectory(prefix="commerce-console-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # fds 3 and 4 in the browser, whatever numbers the pipes got here: first moved above 9
        # (so that placing one cannot overwrite the other), then dup2'ed into place.
        hi_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD_CLOEXEC, 10)
        hi_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD_CLOEXEC, 10)

        def child_fds():
            os.dup2(hi_r, 3)  # inheritable: the browser gets them, and no other fd of ours
            os.dup2(hi_w, 4)

        args = [self.binary, "--headless=new", "--remote-debugging-pipe",
                f"--user-data-dir={self.profile.name}", "--no-first-run", "--no-default-browser-check",
                "--disable-gpu", "--disable-dev-shm-usage", "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-default-apps",
                "--mute-audio", "--hide-scrollbars", "--password-store=basic", "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium's sandbox refuses to run as root
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.profile.name, "stderr.log"), "w"),
                                     preexec_fn=child_fds, close_fds=False,
                                     start_new_session=True)
        for fd in (to_browser_r, from_browser_w, hi_r, hi_w):
            os.close(fd)
        self._next_id = 0
        self._lock = threading.Lock()
        self._answers = {}
        self._cond = threading.Condition(self._lock)
        self._listeners = []
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            self.version = self.call("Browser.getVersion")
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        # Politely first, then for sure: the whole process group (the browser's renderers and
        # helpers are its children), by the id of the process this object started.
        try:
            if self.proc and self.proc.poll() is None and not self._closed:
                self.send("Browser.close")
                self.proc.wait(timeout=5)
        except Exception:
            pass
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        for fd in ("_to_browser", "_from_browser"):
            try:
                os.close(getattr(self, fd))
            except (OSError, AttributeError):
                pass
        if self.profile:
            self.profile.cleanup()
        return False

    def stderr_text(self):
        try:
            with open(os.path.join(self.profile.name, "stderr.log")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    # --- the pipe -------------------------------------------------------------------------

    def _read(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cond:
                    self._closed = True
                    self._cond.notify_all()
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg:
                    with self._cond:
                        self._answers[msg["id"]] = msg
                        self._cond.notify_all()
                else:
                    for listener in list(self._listeners):
                        listener(msg)

    def send(self, method, params=None, session=None):
        with self._lock:
            self._next_id += 1
            mid = self._next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            n = os.write(self._to_browser, data)
            data = data[n:]
        return mid

    def call(self, method, params=None, session=None, timeout=None):
        mid = self.send(method, params, session)
        deadline = time.time() + (timeout or self.timeout)
        with self._cond:
            while mid not in self._answers:
                left = deadline - time.time()
                if self._closed:
                    raise CdpError(f"{method}: the browser went away: {self.stderr_text()}")
                if left <= 0:
                    raise CdpError(f"{method}: no answer in {timeout or self.timeout} s")
                self._cond.wait(left)
            msg = self._answers.pop(mid)
        if "error" in msg:
            raise CdpError(f"{method}: {msg['error']}")
        return msg.get("result", {})

    def new_page(self, width=1280, height=900):
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        return Page(self, session, width, height)


class Page:
    def __init__(self, browser, session, width, height):
        self.b = browser
        self.session = session
        self.errors = []
        browser._listeners.append(self._on_event)
        for domain in ("Runtime", "Log", "Page", "DOM"):
            self.call(domain + ".enable")
        self.resize(width, height)

    def call(self, method, params=None, timeout=None):
        return self.b.call(method, params, self.session, timeout)

    def _on_event(self, msg):
        if msg.get("sessionId") != self.session:
            return
        method, p = msg.get("method"), msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            self.errors.append("exception: " + d.get("exception", {}).get("description", d.get("text", "")))
        elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
            e = p["entry"]
            self.errors.append(f"log ({e.get('source')}): {e.get('text')} {e.get('url', '')}")
        elif method == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
            self.errors.append("console.error: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))

    def resize(self, width, height):
        self.size = (width, height)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})

    def navigate(self, url):
        r = self.call("Page.navigate", {"url": url})
        if r.get("errorText"):
            raise CdpError(f"navigate {url}: {r['errorText']}")

    def eval(self, expression, timeout=None):
        """The value of a JavaScript expression (awaited when it is a promise)."""
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True}, timeout)
        if "exceptionDetails" in r:
            raise CdpError(f"{expression}: {r['exceptionDetails'].get('exception', {}).get('description', r['exceptionDetails'])}")
        return r["result"].get("value")

    def wait_for(self, expression, timeout=15, what=None):
        """Polls until the expression is truthy; its value."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                last = self.eval(expression)
                if last:
                    return last
            except CdpError as e:
                last = e
            time.sleep(0.1)
        raise AssertionError(f"waited {timeout} s for {what or expression}; last: {last}; "
                             f"page errors: {self.errors}")

    def type_text(self, text):
        """Typed into the focused element, as a keyboard would."""
        self.call("Input.insertText", {"text": text})

    def press(self, key):
        """A key pressed and released: Enter, Tab, Escape or Space."""
        codes = {"Enter": 13, "Tab": 9, "Escape": 27, "Space": 32}
        texts = {"Enter": "\r", "Space": " "}
        for kind in ("keyDown", "keyUp"):
            params = {"type": kind, "key": " " if key == "Space" else key, "code": key,
                      "windowsVirtualKeyCode": codes[key]}
            if kind == "keyDown" and key in texts:
                params["text"] = texts[key]
            self.call("Input.dispatchKeyEvent", params)

    def set_files(self, selector, paths):
        root = self.call("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = self.call("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, selector
        self.call("DOM.setFileInputFiles", {"nodeId": node, "files": paths})

    def screenshot(self, path, full_page=True):
        """A PNG of the viewport, or of the whole page (at most 4000 px tall): the viewport is
        made as tall as the page for the capture, so that sticky and fixed parts sit where a
        reader would see them, then put back."""
        width, height = self.size
        if full_page:
            m = self.call("Page.getLayoutMetrics")
            content = (m.get("cssContentSize") or m["contentSize"])["height"]
            self.resize(width, int(min(max(content, height), 4000)))
            time.sleep(0.2)  # a layout at the new size
        try:
            data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        finally:
            if full_page:
                self.resize(width, height)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
