"""The vendors' side of a burst: every simulated delivery is sent until it is acknowledged.

Unlike `tools.simulators.send`, which reports what one attempt got, this sender behaves like
a vendor that keeps a webhook until it gets a 2xx: a 503 is retried after its Retry-After,
other 5xx and network errors after a short pause. It keeps each ack's `event_id`, which is
what the checks look for on the contract's timeline.
"""

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx

from tools.simulators import Delivery, Secrets

NO_ANSWER = 0  # the key under which `answers` counts requests that got no response
RETRY_PAUSE = 1.0  # seconds before retrying a 5xx without Retry-After, or a network error
MAX_RETRY_AFTER = 30.0  # a vendor waits at most this long, whatever the header says


@dataclass(frozen=True)
class Ack:
    delivery: Delivery
    status_code: int
    contract_id: str
    event_id: str
    duplicate: bool


@dataclass
class Burst:
    """Sends `deliveries` (in order, `concurrency` at a time, at most `rate` starts a second)
    and records every answer. `reached(fraction)` lets a fault wait for a point in the burst."""

    deliveries: Sequence[Delivery]
    base_url: str
    secrets: Secrets
    concurrency: int = 8
    rate: float = 60.0
    give_up_after: float = 120.0  # per delivery: a vendor does not retry forever
    acks: list[Ack] = field(default_factory=list)
    answers: Counter[int] = field(default_factory=Counter)  # every answer, retries included
    unavailable_without_retry_after: int = 0
    refused: list[tuple[Delivery, int, str]] = field(default_factory=list)  # final 4xx
    abandoned: list[Delivery] = field(default_factory=list)  # never acknowledged in time
    slowest_answer: float = 0.0  # seconds, any single request
    no_answer: list[str] = field(default_factory=list)  # why, for the first few
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    _progress: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def settled(self) -> int:
        return len(self.acks) + len(self.refused) + len(self.abandoned)

    async def reached(self, fraction: float) -> None:
        """Until that share of the deliveries has been acknowledged (or given up)."""
        goal = fraction * len(self.deliveries)
        async with self._progress:
            await self._progress.wait_for(lambda: self.settled >= goal or self.finished.is_set())

    async def run(self) -> None:
        queue = iter(enumerate(self.deliveries))
        started = time.monotonic()
        limits = httpx.Limits(max_connections=self.concurrency * 2)
        async with httpx.AsyncClient(timeout=httpx.Timeout(30.0), limits=limits) as client:

            async def worker() -> None:
                for index, delivery in queue:
                    due = started + index / self.rate
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                    await self._deliver(client, delivery)
                    async with self._progress:
                        self._progress.notify_all()

            try:
                async with asyncio.TaskGroup() as group:
                    for _ in range(min(self.concurrency, len(self.deliveries))):
                        group.create_task(worker())
            finally:
                self.finished.set()
                async with self._progress:
                    self._progress.notify_all()

    async def _deliver(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        query, headers = self.secrets.credentials(delivery)
        url = self.base_url.rstrip("/") + delivery.path
        body = delivery.body if delivery.method != "GET" else None
        deadline = time.monotonic() + self.give_up_after
        while True:
            started = time.monotonic()
            try:
                response = await client.request(
                    delivery.method, url, params=query, headers=headers, content=body
                )
            except httpx.HTTPError as error:
                self.answers[NO_ANSWER] += 1
                if len(self.no_answer) < 3:
                    self.no_answer.append(repr(error))
                pause = RETRY_PAUSE
            else:
                self.slowest_answer = max(self.slowest_answer, time.monotonic() - started)
                code = response.status_code
                self.answers[code] += 1
                if 200 <= code < 300:
                    ack = _ack(delivery, response)
                    if ack is None:
                        self.refused.append((delivery, code, "a 2xx without an ack body"))
                    else:
                        self.acks.append(ack)
                    return
                if code < 500:
                    self.refused.append((delivery, code, response.text[:200]))
                    return
                pause = self._pause(response)
            if time.monotonic() + pause > deadline:
                self.abandoned.append(delivery)
                return
            await asyncio.sleep(pause)

    def _pause(self, response: httpx.Response) -> float:
        after = retry_after_seconds(response.headers.get("retry-after"))
        if response.status_code == 503 and after is None:
            self.unavailable_without_retry_after += 1
        return min(after, MAX_RETRY_AFTER) if after is not None else RETRY_PAUSE


def retry_after_seconds(value: str | None) -> float | None:
    """Delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _ack(delivery: Delivery, response: httpx.Response) -> Ack | None:
    try:
        body = response.json()
        return Ack(
            delivery=delivery,
            status_code=response.status_code,
            contract_id=str(body["contract_id"]),
            event_id=str(body["event_id"]),
            duplicate=bool(body.get("duplicate")),
        )
    except (ValueError, KeyError, TypeError):
        return None
