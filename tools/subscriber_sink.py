"""A webhook subscriber for tests: a real HTTP endpoint that verifies every request with
`standardwebhooks`, records it, and misbehaves on demand, per path.

    sink = SubscriberSink()
    async with serve(sink.app) as base_url:
        sink.endpoint("/a", secret)              # requests to /a are verified with `secret`
        sink.respond("/a", 500, times=3)         # the next three get 500, then 200 again
        sink.respond("/b", 429, retry_after="30")
        release = sink.stall("/c")               # requests to /c hang until release.set()
        await sink.wait_for(lambda s: len(s.delivered("/a")) == 2)
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Received:
    path: str
    webhook_id: str | None
    headers: dict[str, str]
    body: bytes
    verified: bool
    answered: int
    event: dict[str, Any] | None = None
    at: float = field(default_factory=time.monotonic)  # when it arrived

    @property
    def ok(self) -> bool:
        return 200 <= self.answered < 300


@dataclass
class _Behaviour:
    status: int = 200
    times: int | None = None  # how many more requests get `status`; None: every one
    retry_after: str | None = None
    body: str = ""
    stall: asyncio.Event | None = None


@dataclass
class SubscriberSink:
    received: list[Received] = field(default_factory=list)
    _secrets: dict[str, str] = field(default_factory=dict)
    _behaviours: dict[str, _Behaviour] = field(default_factory=dict)
    _stalled: dict[str, int] = field(default_factory=dict)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def __post_init__(self) -> None:
        self.app = FastAPI(title="subscriber sink")
        self.app.add_api_route("/{path:path}", self._receive, methods=["POST"])

    def endpoint(self, path: str, secret: str) -> None:
        self._secrets[path] = secret

    def respond(
        self,
        path: str,
        status: int,
        *,
        times: int | None = None,
        retry_after: str | None = None,
        body: str = "",
    ) -> None:
        self._behaviours[path] = _Behaviour(status, times, retry_after, body)

    def stall(self, path: str) -> asyncio.Event:
        release = asyncio.Event()
        self._behaviours[path] = _Behaviour(stall=release)
        return release

    def heal(self, path: str) -> None:
        behaviour = self._behaviours.pop(path, None)
        if behaviour and behaviour.stall:
            behaviour.stall.set()

    def release_all(self) -> None:
        for path in list(self._behaviours):
            self.heal(path)

    def at(self, path: str) -> list[Received]:
        return [request for request in self.received if request.path == path]

    def delivered(self, path: str) -> list[Received]:
        return [request for request in self.at(path) if request.ok]

    def stalled(self, path: str) -> int:
        return self._stalled.get(path, 0)

    async def wait_for(self, until: int | Callable[["SubscriberSink"], bool]) -> None:
        """Until `until` requests were answered, or the predicate holds. No polling."""
        predicate = until if callable(until) else (lambda sink: len(sink.received) >= until)
        async with self._changed:
            await self._changed.wait_for(lambda: predicate(self))

    async def _receive(self, path: str, request: Request) -> Response:
        path = f"/{path}"
        arrived = time.monotonic()
        body = await request.body()
        headers = dict(request.headers)
        event = self._verify(path, body, headers)
        behaviour = self._behaviours.get(path, _Behaviour())
        if event is None:
            behaviour = _Behaviour(status=401, body="signature does not verify")
        elif behaviour.stall is not None:
            await self._hold(path, behaviour.stall)
            behaviour = _Behaviour()
        elif behaviour.times is not None:
            behaviour.times -= 1
            if behaviour.times <= 0:
                self._behaviours.pop(path, None)
        await self._record(
            Received(
                path=path,
                webhook_id=headers.get("webhook-id"),
                headers=headers,
                body=body,
                verified=event is not None,
                answered=behaviour.status,
                event=event,
                at=arrived,
            )
        )
        extra = {"Retry-After": behaviour.retry_after} if behaviour.retry_after else None
        return Response(behaviour.body, status_code=behaviour.status, headers=extra)

    def _verify(self, path: str, body: bytes, headers: dict[str, str]) -> dict[str, Any] | None:
        secret = self._secrets.get(path)
        if secret is None:
            return None
        try:
            event: dict[str, Any] = Webhook(secret).verify(body, headers)
        except (WebhookVerificationError, ValueError):
            return None
        return event

    async def _hold(self, path: str, release: asyncio.Event) -> None:
        async with self._changed:
            self._stalled[path] = self._stalled.get(path, 0) + 1
            self._changed.notify_all()
        try:
            await release.wait()
        finally:
            async with self._changed:
                self._stalled[path] -= 1
                self._changed.notify_all()

    async def _record(self, request: Received) -> None:
        async with self._changed:
            self.received.append(request)
            self._changed.notify_all()
