"""Open a page in Debian's headless Chromium and report what a reader's browser would meet.

A small DevTools-protocol client over `--remote-debugging-pipe` (Chromium reads commands on
fd 3 and writes answers on fd 4, each a JSON text ended by a NUL byte): no Python package and
no browser download, only the `chromium` that `make test` installs with apt-get.
"""

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

TIMEOUT = 60.0

IMAGES = """
Promise.all([...document.images].map(image => image.decode().then(
  () => ({alt: image.alt, width: image.naturalWidth, height: image.naturalHeight, ok: true}),
  error => ({alt: image.alt, width: image.naturalWidth, height: image.naturalHeight,
             ok: false, error: String(error)}))))
"""


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


@dataclass
class PageVisit:
    """What loading one page gave: console errors and exceptions, every image's decoding."""

    errors: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    screenshot: bytes = b""


class Chromium:
    """One headless Chromium; `visit` loads a page in a new tab."""

    def __init__(self, executable: str):
        self.profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
        to_browser, self._write = os.pipe()
        self._read, from_browser = os.pipe()
        command = (f'exec "$0" --headless --no-sandbox --disable-gpu --no-first-run '
                   f'--disable-dev-shm-usage --hide-scrollbars --mute-audio '
                   f'--user-data-dir="$1" --remote-debugging-pipe about:blank '
                   f"3<&{to_browser} 4>&{from_browser}")
        self.process = subprocess.Popen(
            ["bash", "-c", command, executable, self.profile.name],  # sh: one-digit fds only
            pass_fds=(to_browser, from_browser), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict] = []

    def close(self) -> None:
        try:
            self._send("Browser.close")
        except OSError:
            pass
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._write)
        os.close(self._read)
        self.profile.cleanup()

    def __enter__(self) -> "Chromium":
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def _send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise ConnectionError("Chromium closed its pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send a command and return its result; events met meanwhile are kept."""
        wanted = self._send(method, params, session)
        deadline = time.monotonic() + TIMEOUT
        while True:
            message = self._receive(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._events.append(message)

    def wait_for(self, method: str, session: str) -> dict:
        deadline = time.monotonic() + TIMEOUT
        while True:
            for index, event in enumerate(self._events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return self._events.pop(index)
            self._events.append(self._receive(deadline))

    def visit(self, page: Path, width: int = 1100) -> PageVisit:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=session)
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": 900,
                  "deviceScaleFactor": 1, "mobile": False}, session)
        self._events.clear()
        self.call("Page.navigate", {"url": page.resolve().as_uri()}, session)
        self.wait_for("Page.loadEventFired", session)
        images = self.call("Runtime.evaluate", {"expression": IMAGES, "awaitPromise": True,
                                                "returnByValue": True}, session)
        height = self.call("Runtime.evaluate", {
            "expression": "document.documentElement.scrollHeight", "returnByValue": True},
            session)["result"]["value"]
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": int(height),
                  "deviceScaleFactor": 1, "mobile": False}, session)
        shot = self.call("Page.captureScreenshot", {"format": "png"}, session)
        visit = PageVisit(images=images["result"]["value"],
                          screenshot=base64.b64decode(shot["data"]))
        for event in self._events:
            if event.get("sessionId") != session:
                continue
            params = event.get("params", {})
            if event.get("method") == "Runtime.exceptionThrown":
                visit.errors.append(json.dumps(params.get("exceptionDetails", {}))[:500])
            elif event.get("method") == "Runtime.consoleAPICalled" and \
                    params.get("type") in ("error", "assert"):
                visit.errors.append(json.dumps(params.get("args", []))[:500])
            elif event.get("method") == "Log.entryAdded" and \
                    params.get("entry", {}).get("level") == "error":
                visit.errors.append(params["entry"].get("text", "")[:500])
        self.call("Target.closeTarget", {"targetId": target})
        return visit
