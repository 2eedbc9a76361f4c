"""A small client for Chromium's DevTools protocol, over ``--remote-debugging-pipe``.

No port and no websocket: Chromium reads commands from fd 3 and writes replies and
events to fd 4, one JSON message per NUL-terminated chunk.  Used by the report tests,
the report benchmark and the screenshot script.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
)


class CdpError(RuntimeError):
    pass


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Browser:
    """One headless Chromium; use as a context manager."""

    def __init__(self, binary: str | None = None, window: tuple[int, int] = (1400, 1000)) -> None:
        exe = binary or chromium_binary()
        if exe is None:
            raise CdpError("no chromium binary on PATH")
        self.profile_dir = tempfile.mkdtemp(prefix="sovprof-chromium-")
        self.log_path = Path(self.profile_dir) / "chromium.log"
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        keep = (to_browser_r, from_browser_w)

        def wire_fds() -> None:  # runs in the child: its fds 3 and 4 are the pipe ends
            a, b = os.dup(keep[0]), os.dup(keep[1])
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [exe, *FLAGS, f"--user-data-dir={self.profile_dir}",
                f"--window-size={window[0]},{window[1]}", "about:blank"]  # fmt: skip
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                preexec_fn=wire_fds,  # the only way to place the pipe ends at fds 3 and 4
                close_fds=False,
            )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next_id = 0
        self._lock = threading.Lock()
        self._replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        self.send("Browser.getVersion", timeout=30)

    # -- plumbing -------------------------------------------------------------------

    def _read_loop(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            while b"\0" in buf:
                raw, _, buf = buf.partition(b"\0")
                msg = json.loads(raw)
                if "id" in msg:
                    with self._lock:
                        box = self._replies.get(msg["id"])
                    if box is not None:
                        box.put(msg)
                else:
                    self.events.put(msg)

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 30,
    ) -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            mid = self._next_id
            box: queue.Queue[dict[str, Any]] = queue.Queue()
            self._replies[mid] = box
        msg: dict[str, Any] = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        try:
            reply = box.get(timeout=timeout)
        except queue.Empty:
            raise CdpError(f"{method}: no reply in {timeout} s") from None
        finally:
            with self._lock:
                self._replies.pop(mid, None)
        if "error" in reply:
            raise CdpError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    def new_page(self) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        return Page(self, session["sessionId"], target)

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(CdpError, OSError):
                self.send("Browser.close", timeout=5)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self.profile_dir, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Page:
    """One tab: records console errors, exceptions and every network request."""

    def __init__(self, browser: Browser, session: str, target: str) -> None:
        self.browser = browser
        self.session = session
        self.target = target
        self.console_errors: list[str] = []
        self.requests: list[str] = []
        self.loaded = False
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    def send(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30) -> Any:
        result = self.browser.send(method, params, self.session, timeout)
        self.drain()
        return result

    def drain(self) -> None:
        """Take the events that arrived so far into the page's records."""
        while True:
            try:
                ev = self.browser.events.get_nowait()
            except queue.Empty:
                return
            self._record(ev)

    def _record(self, ev: dict[str, Any]) -> None:
        if ev.get("sessionId") != self.session:
            return
        method, p = ev.get("method"), ev.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            args = [a.get("value", a.get("description", "")) for a in p.get("args", [])]
            self.console_errors.append("console: " + " ".join(str(a) for a in args))
        elif method == "Runtime.exceptionThrown":
            det = p.get("exceptionDetails", {})
            exc = det.get("exception", {}).get("description") or det.get("text")
            self.console_errors.append(f"exception: {exc}")
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            self.console_errors.append("log: " + str(p["entry"].get("text")))
        elif method == "Network.requestWillBeSent":
            self.requests.append(str(p.get("request", {}).get("url")))
        elif method == "Page.loadEventFired":
            self.loaded = True

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 20, what: str = "") -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.drain()
            if predicate():
                return
            time.sleep(0.02)
        raise CdpError(f"timed out waiting for {what or 'a condition'}")

    def goto(self, url: str, timeout: float = 30) -> None:
        self.loaded = False
        reply = self.send("Page.navigate", {"url": url})
        if reply.get("errorText"):
            raise CdpError(f"navigate to {url}: {reply['errorText']}")
        self.wait_for(lambda: self.loaded, timeout, "the load event")

    def eval(self, expression: str, timeout: float = 30) -> Any:
        reply = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            timeout,
        )
        if "exceptionDetails" in reply:
            det = reply["exceptionDetails"]
            raise CdpError(f"{expression!r}: {det.get('exception', {}).get('description', det)}")
        return reply.get("result", {}).get("value")

    def wait_ready(self, timeout: float = 30) -> None:
        """Until the report says it has drawn itself (or failed)."""
        self.wait_for(
            lambda: self.eval("document.documentElement.getAttribute('data-ready')") is not None,
            timeout,
            "the report to draw",
        )
        state = self.eval("document.documentElement.getAttribute('data-ready')")
        if state != "true":
            raise CdpError(f"the report failed: {self.eval('window.sovprofReport.error')}")

    def click(self, x: float, y: float) -> None:
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
            )

    def hover(self, x: float, y: float) -> None:
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})

    def type_text(self, text: str) -> None:
        self.send("Input.insertText", {"text": text})

    def center_of(self, selector: str) -> tuple[float, float]:
        """Viewport coordinates of an element's centre, scrolled into view first."""
        box = self.eval(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; e.scrollIntoView({block: 'center'});"
            " const r = e.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        if box is None:
            raise CdpError(f"no element matches {selector}")
        return float(box[0]), float(box[1])

    def screenshot(self, path: Path, full_page: bool = False) -> None:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            w, h = self.eval(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            params["clip"] = {"x": 0, "y": 0, "width": w, "height": h, "scale": 1}
        data = self.send("Page.captureScreenshot", params, timeout=60)["data"]
        path.write_bytes(base64.b64decode(data))
