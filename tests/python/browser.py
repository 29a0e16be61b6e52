"""Drive Debian's headless Chromium (/usr/bin/chromium) over the Chrome DevTools Protocol.

A small helper for the browser tests: it starts the system Chromium (never downloads one) with
a fresh profile and remote debugging on a free loopback port, then talks CDP over a websocket
(the `websocket-client` package).

    with Browser.launch() as browser:
        page = browser.page
        page.navigate("file:///tmp/report.html")
        page.evaluate("document.title")
        page.wait_for("document.querySelectorAll('svg').length > 0")
        page.screenshot(Path("test-artifacts/report.png"), full_page=True)
        assert not page.errors()          # console errors, uncaught exceptions, failed loads

`scripts/ensure_chromium.sh` installs Chromium when it is missing.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import websocket  # websocket-client

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Flags for a closed network, as root: without the background-networking ones Chromium keeps
# trying to reach Google's services and its connections are refused.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


class BrowserError(RuntimeError):
    """Chromium could not be started or a DevTools call failed."""


def chromium_available(path: str = CHROMIUM) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)


MISSING_CHROMIUM = (
    f"{CHROMIUM} is missing: the browser tests need Debian's chromium. Install it with "
    "`bash scripts/ensure_chromium.sh` (apt-get install -y chromium, as root)."
)


class Page:
    """One tab, spoken to over its DevTools websocket."""

    def __init__(self, ws_url: str, timeout: float = 30.0) -> None:
        self.ws = websocket.create_connection(ws_url, timeout=timeout, suppress_origin=True)
        self.timeout = timeout
        self._next_id = 0
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    # -- protocol ------------------------------------------------------------------------------

    def send(self, method: str, params: dict | None = None, timeout: float | None = None) -> dict:
        """Call a CDP method and return its result; events seen meanwhile go to self.events."""
        self._next_id += 1
        call_id = self._next_id
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            message = self._receive(deadline, f"{method} (no answer)")
            if message.get("id") == call_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})

    def _receive(self, deadline: float, what: str) -> dict:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BrowserError(f"timed out waiting for {what}")
        self.ws.settimeout(remaining)
        try:
            message = json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException as error:
            raise BrowserError(f"timed out waiting for {what}") from error
        if "method" in message:
            self.events.append(message)
        return message

    def wait_event(self, method: str, timeout: float | None = None, since: int = 0) -> dict:
        """Wait for a CDP event (looking first at the events recorded from index `since`)."""
        for event in self.events[since:]:
            if event["method"] == method:
                return event
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            message = self._receive(deadline, method)
            if message.get("method") == method:
                return message

    # -- conveniences --------------------------------------------------------------------------

    def navigate(self, url: str, timeout: float | None = None) -> None:
        """Open `url` and wait for its load event (a change of the #fragment only has none)."""
        mark = self.mark()
        result = self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"navigating to {url}: {result['errorText']}")
        if result.get("loaderId"):  # none for a same-document (hash) navigation: no load event
            self.wait_event("Page.loadEventFired", timeout, since=mark)

    def evaluate(self, expression: str, await_promise: bool = False) -> Any:
        """Evaluate JavaScript in the page and return its (JSON) value."""
        result = self.send(
            "Runtime.evaluate",
            {
                "expression": expression,
                "returnByValue": True,
                "awaitPromise": await_promise,
            },
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"evaluating {expression[:80]!r}: {text}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 15.0, interval: float = 0.1) -> Any:
        """Poll a JavaScript expression until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(interval)
        raise BrowserError(f"timed out after {timeout} s waiting for: {expression} (last value {value!r})")

    def set_viewport(self, width: int, height: int) -> None:
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": width,
                "height": height,
                "deviceScaleFactor": 1,
                "mobile": False,
            },
        )

    def type_text(self, selector: str, text: str) -> None:
        """Focus the element and type `text` as key presses (fires real input events)."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        for char in text:
            self.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": char, "key": char})
            self.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": char})

    def click(self, selector: str) -> None:
        """Click the centre of the element with real mouse events."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null;"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        if not box:
            raise BrowserError(f"no element matches {selector!r}")
        for kind in ("mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                {
                    "type": kind,
                    "x": box[0],
                    "y": box[1],
                    "button": "left",
                    "clickCount": 1,
                },
            )

    def move_mouse(self, x: float, y: float) -> None:
        """Move the mouse pointer (e.g. away from an element, to close its hover tooltip)."""
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        """Save a PNG of the viewport (or the whole page)."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            metrics = self.send("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
            params["captureBeyondViewport"] = True
        data = self.send("Page.captureScreenshot", params, timeout=60)["data"]
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def drain(self, seconds: float = 0.2) -> None:
        """Read the events that arrive within `seconds` (so errors() sees late ones)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self._receive(deadline, "events")
        except BrowserError:
            pass

    def mark(self) -> int:
        """A position in the recorded events, for errors(since=...) and requested_urls(since=...)."""
        return len(self.events)

    def errors(self, since: int = 0) -> list[str]:
        """Console errors, uncaught exceptions and failed network loads seen so far (from `since`)."""
        found = []
        for event in self.events[since:]:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(
                    "console."
                    + params["type"]
                    + ": "
                    + " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", []))
                )
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append(
                    "exception: " + str(details.get("exception", {}).get("description") or details.get("text"))
                )
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                found.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".strip())
            elif method == "Network.loadingFailed" and not params.get("canceled"):
                found.append(f"network: {params.get('errorText')} ({params.get('type')})")
        return found

    def requested_urls(self, since: int = 0) -> list[str]:
        """Every URL the page requested (Network.requestWillBeSent), from `since`."""
        return [
            e["params"]["request"]["url"] for e in self.events[since:] if e["method"] == "Network.requestWillBeSent"
        ]

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass


class Browser:
    """A headless Chromium process with a throw-away profile; use as a context manager."""

    def __init__(self, process: subprocess.Popen, profile: Path, port: int, page: Page) -> None:
        self.process, self.profile, self.port, self.page = process, profile, port, page

    @classmethod
    def launch(cls, width: int = 1280, height: int = 900, timeout: float = 30.0, executable: str = CHROMIUM) -> Browser:
        if not chromium_available(executable):
            raise BrowserError(MISSING_CHROMIUM if executable == CHROMIUM else f"{executable} not found")
        profile = Path(tempfile.mkdtemp(prefix="clickstream-chromium-"))
        command = [
            executable,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "about:blank",
        ]
        log = open(profile / "chromium.log", "wb")  # noqa: SIM115 - closed with the process
        # Its own process group, so stopping it also stops its renderer/zygote children.
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        log.close()
        try:
            port = cls._wait_port(process, profile, timeout)
            page = Page(cls._page_ws_url(port, timeout), timeout)
            page.set_viewport(width, height)
        except BaseException:
            cls._stop(process, profile)
            raise
        return cls(process, profile, port, page)

    @staticmethod
    def _wait_port(process: subprocess.Popen, profile: Path, timeout: float) -> int:
        """Chromium writes its DevTools port to <profile>/DevToolsActivePort."""
        marker = profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log = (profile / "chromium.log").read_text(errors="replace")[-2000:]
                raise BrowserError(f"chromium exited with {process.returncode}:\n{log}")
            if marker.exists():
                lines = marker.read_text().split()
                if lines and lines[0].isdigit():
                    return int(lines[0])
            time.sleep(0.05)
        raise BrowserError(f"chromium did not open its DevTools port within {timeout} s")

    @staticmethod
    def _page_ws_url(port: int, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout) as response:
                targets = json.loads(response.read())
            pages = [t for t in targets if t.get("type") == "page" and t.get("webSocketDebuggerUrl")]
            if pages:
                return pages[0]["webSocketDebuggerUrl"]
            time.sleep(0.05)
        raise BrowserError("chromium opened no page")

    @staticmethod
    def _stop(process: subprocess.Popen, profile: Path) -> None:
        def signal_group(sig: int) -> None:
            try:
                os.killpg(process.pid, sig)  # the group Chromium leads (start_new_session)
            except ProcessLookupError:
                pass

        if process.poll() is None:
            signal_group(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        signal_group(signal.SIGKILL)  # leftover children of the group, if any
        shutil.rmtree(profile, ignore_errors=True)

    def close(self) -> None:
        self.page.close()
        self._stop(self.process, self.profile)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
