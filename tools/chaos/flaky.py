"""An ASGI wrapper that makes a share of requests fail, the two ways a flaky service fails."""

import random
from collections import Counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Flaky:
    """While `share` is above 0, that share of requests fails: half of them with a 503 before
    the app sees them, half with a 500 after the app did the work (the answer is lost, the
    write is not), which is what makes retries dangerous for anything not idempotent."""

    def __init__(self, app: ASGIApp, seed: int = 0) -> None:
        self.app = app
        self.share = 0.0
        self.failed: Counter[str] = Counter()  # "before" or "after" -> how many failed
        self._rng = random.Random(seed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._rng.random() >= self.share:
            await self.app(scope, receive, send)
            return
        if self._rng.random() < 0.5:
            self.failed["before"] += 1
            await _answer(send, 503)
            return

        async def swallow(_: Message) -> None:
            return None

        await self.app(scope, receive, swallow)
        self.failed["after"] += 1
        await _answer(send, 500)


async def _answer(send: Send, status: int) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"error": "injected by chaos"}'})
