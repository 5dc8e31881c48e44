"""Headless Chromium for the browser tests, driven over the Chrome DevTools protocol.

The browser is Debian's `chromium` (`make browser` installs it; nothing is downloaded at run
time). Each test starts its own with a fresh profile and the flags a root sandbox without a
network needs; the DevTools endpoint is read from the profile, so no port is guessed. Waits
are bounded polls on a condition evaluated in the page, never fixed sleeps.
"""

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)
STARTUP = 30.0


def chromium_path() -> str:
    """Debian's Chromium, which `make test` installs (`make browser`)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium is not installed: run `make browser` (or `make test`)")
    return found


class Page:
    """One tab, reached through the browser's DevTools connection (flattened sessions)."""

    def __init__(self, browser: "Browser", session_id: str) -> None:
        self._browser = browser
        self._session_id = session_id

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        return await self._browser.send(method, params, self._session_id)

    async def set_headers(self, headers: dict[str, str]) -> None:
        await self.send("Network.enable")
        await self.send("Network.setExtraHTTPHeaders", headers=headers)

    async def goto(self, url: str) -> None:
        result = await self.send("Page.navigate", url=url)
        if result.get("errorText"):
            raise AssertionError(f"could not load {url}: {result['errorText']}")
        await self.wait_for("document.readyState === 'complete'")

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression!r} failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, within: float = 20.0) -> Any:
        """Poll `expression` in the page until it is truthy; fail with what the page shows."""
        try:
            async with asyncio.timeout(within):
                while True:
                    with contextlib.suppress(AssertionError):  # mid-navigation: no context yet
                        value = await self.evaluate(expression)
                        if value:
                            return value
                    await asyncio.sleep(0.1)
        except TimeoutError:
            shown = await self.text()
            raise AssertionError(
                f"{expression!r} never held; the page shows:\n{shown[:2000]}"
            ) from None

    async def text(self) -> str:
        try:
            return str(await self.evaluate("document.body ? document.body.innerText : ''"))
        except AssertionError:
            return ""

    async def screenshot(self, path: Path) -> None:
        """For a person to look at while working on a page (not used by assertions)."""
        import base64

        shot = await self.send("Page.captureScreenshot", format="png")
        await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))


class Browser:
    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    async def send(
        self, method: str, params: dict[str, Any], session_id: str | None = None
    ) -> dict[str, Any]:
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if session_id:
            message["sessionId"] = session_id
        reply: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[message_id] = reply
        await self._ws.send(json.dumps(message))
        async with asyncio.timeout(30):
            return await reply

    async def new_page(self) -> Page:
        target = await self.send("Target.createTarget", {"url": "about:blank"})
        attached = await self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        page = Page(self, attached["sessionId"])
        await page.send("Page.enable")
        return page

    async def close(self) -> None:
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
        await self._ws.close()

    async def _read(self) -> None:
        async for raw in self._ws:
            message = json.loads(raw)
            reply = self._waiting.pop(message.get("id", -1), None)
            if reply is None or reply.done():
                continue  # an event: the tests poll the page instead
            if "error" in message:
                reply.set_exception(AssertionError(f"DevTools error: {message['error']}"))
            else:
                reply.set_result(message.get("result", {}))


@contextlib.asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[Browser]:
    """Start headless Chromium with a fresh profile; stop it (and its children) after."""
    executable = chromium_path()
    await asyncio.to_thread(profile.mkdir, parents=True, exist_ok=True)
    active_port = profile / "DevToolsActivePort"
    await asyncio.to_thread(active_port.unlink, missing_ok=True)  # a reused profile's is stale
    log = await asyncio.to_thread(open, profile.parent / "chromium.log", "wb")
    process = await asyncio.create_subprocess_exec(
        executable,
        *FLAGS,
        f"--user-data-dir={profile}",
        "about:blank",
        stdout=log,
        stderr=log,
        start_new_session=True,  # its own process group: renderers go down with it
    )
    try:
        port, path = await _devtools_endpoint(active_port, process)
        async with connect(f"ws://127.0.0.1:{port}{path}", max_size=None) as ws:
            browser = Browser(ws)
            try:
                yield browser
            finally:
                await browser.close()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            async with asyncio.timeout(10):
                await process.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        log.close()


async def _devtools_endpoint(
    active_port: Path, process: asyncio.subprocess.Process
) -> tuple[int, str]:
    """Chromium writes the port it bound and the browser's DevTools path into the profile."""
    async with asyncio.timeout(STARTUP):
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"chromium exited with {process.returncode}")
            if await asyncio.to_thread(active_port.exists):
                lines = (await asyncio.to_thread(active_port.read_text)).split()
                if len(lines) == 2:
                    return int(lines[0]), lines[1]
            await asyncio.sleep(0.05)
