"""Deliver generated webhooks to a target over HTTP, the way each vendor authenticates."""

import asyncio
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import httpx

from tools.simulators.delivery import Delivery


@dataclass(frozen=True)
class Secrets:
    """The secret each vendor presents (API section 2); None sends no credential at all."""

    vlens: str | None = None
    documenso: str | None = None
    fintechos: str | None = None
    signly: str | None = None
    signly_header: str = "X-Client-Auth"
    vlens_in_query: bool = False  # `?token=` instead of the X-Webhook-Token header

    def credentials(self, delivery: Delivery) -> tuple[dict[str, str], dict[str, str]]:
        """The delivery's query and headers with the vendor's credential added."""
        query = dict(delivery.query)
        headers = dict(delivery.headers)
        vendor = delivery.vendor
        if vendor == "vlens" and self.vlens is not None:
            if self.vlens_in_query:
                query["token"] = self.vlens
            else:
                headers["X-Webhook-Token"] = self.vlens
        elif vendor == "documenso" and self.documenso is not None:
            headers["X-Documenso-Secret"] = self.documenso
        elif vendor == "fintechos" and self.fintechos is not None:
            # The token is part of the WebhookUrl we gave FintechOS, so it rides every call.
            query["token"] = self.fintechos
        elif vendor == "signly" and self.signly is not None:
            headers[self.signly_header] = self.signly
        return query, headers


@dataclass(frozen=True)
class SendResult:
    delivery: Delivery
    status_code: int | None  # None: no answer (connection refused, timeout)
    duplicate: bool  # a 200 whose JSON says `"duplicate": true`
    latency: float  # seconds until the answer (or the failure)
    error: str | None = None

    @property
    def acked(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class SendReport:
    results: tuple[SendResult, ...]  # in the order the answers came back

    @property
    def sent(self) -> int:
        return len(self.results)

    @property
    def acked(self) -> int:
        return sum(result.acked for result in self.results)

    @property
    def duplicates(self) -> int:
        return sum(result.duplicate for result in self.results)

    @property
    def rejected(self) -> dict[int, int]:
        """Answers other than 2xx, counted by status code."""
        return dict(
            Counter(
                result.status_code
                for result in self.results
                if result.status_code is not None and not result.acked
            )
        )

    @property
    def errors(self) -> int:
        return sum(result.status_code is None for result in self.results)

    @property
    def latencies(self) -> list[float]:
        """Seconds to each 2xx acknowledgement."""
        return [result.latency for result in self.results if result.acked]

    def for_vendor(self, vendor: str) -> "SendReport":
        return SendReport(tuple(r for r in self.results if r.delivery.vendor == vendor))


async def send(
    deliveries: Iterable[Delivery],
    target_base_url: str,
    client: httpx.AsyncClient,
    secrets: Secrets,
    concurrency: int = 8,
) -> SendReport:
    """Send every delivery, at most `concurrency` at a time, starting them in the given order.

    Failures are results, not exceptions: a simulator must report what the target did.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    pending = list(deliveries)
    queue = iter(pending)
    results: list[SendResult] = []
    base = target_base_url.rstrip("/")

    async def worker() -> None:
        # Workers share one iterator, so requests start in order even when they overlap.
        for delivery in queue:
            results.append(await _send_one(delivery, base, client, secrets))

    async with asyncio.TaskGroup() as group:
        for _ in range(min(concurrency, len(pending))):
            group.create_task(worker())
    return SendReport(tuple(results))


async def _send_one(
    delivery: Delivery, base: str, client: httpx.AsyncClient, secrets: Secrets
) -> SendResult:
    query, headers = secrets.credentials(delivery)
    started = time.perf_counter()
    try:
        response = await client.request(
            delivery.method,
            base + delivery.path,
            params=query,
            headers=headers,
            content=delivery.body if delivery.method != "GET" else None,
        )
    except httpx.HTTPError as error:
        failed = time.perf_counter() - started
        return SendResult(delivery, None, False, failed, f"{type(error).__name__}: {error}")
    latency = time.perf_counter() - started
    return SendResult(delivery, response.status_code, _duplicate(response), latency)


def _duplicate(response: httpx.Response) -> bool:
    if response.status_code != 200:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, Mapping) and body.get("duplicate") is True
