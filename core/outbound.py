"""Outbound webhooks per Standard Webhooks: ids, secrets, the body, and one signed attempt.

Shared by the `deliver` activity and the API's test send, so both sign and judge a response
the same way. Retrying is not done here: Temporal retries the activity.
"""

import asyncio
import base64
import json
import random
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from core.models import Subscription
from core.sealing import Sealer
from core.targets import TargetRefused, TargetUnresolvable, resolve_target

SECRET_PREFIX = "whsec_"  # noqa: S105  (the Standard Webhooks prefix, not a secret)
ALL_EVENTS = "*"
RESPONSE_EXCERPT_BYTES = 4096
ERROR_CHARS = 500
# The retry schedule (README, "Outbound webhooks"). Temporal retries the `deliver` activity;
# its server adds no jitter, so the activity passes each pause as `next_retry_delay`.
FIRST_RETRY = timedelta(seconds=5)
BACKOFF = 2.0
LONGEST_PAUSE = timedelta(hours=1)
RETRY_WINDOW = timedelta(days=3)
JITTER = 0.2
# A subscriber may ask for a pause with Retry-After, but may not park a delivery for days.
MAX_RETRY_AFTER = timedelta(hours=6)
USER_AGENT = "ContractSync-Webhooks/1"
_MESSAGE_NAMESPACE = uuid.UUID("5b0c2a8e-3f4d-4c1e-9a55-8f2e6c1d7b90")


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"  # 408, 429, 5xx, network errors
    FINAL = "final"  # other 4xx, 3xx (redirects are not followed), refused targets
    GONE = "gone"  # 410: the subscription is disabled


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sortable_id(prefix: str) -> str:
    """Ids that sort by creation time, for plain `id > cursor` pagination."""
    return f"{prefix}_{time.time_ns():016x}{secrets.token_hex(6)}"


def message_id_for(event_id: str, webhook_id: str) -> str:
    """The `webhook-id`: the same for every attempt of one event to one subscription."""
    return "msg_" + uuid.uuid5(_MESSAGE_NAMESPACE, f"{event_id}/{webhook_id}").hex


def subscribes_to(events: list[str], event_type: str) -> bool:
    return ALL_EVENTS in events or event_type in events


def render_body(event_type: str, timestamp: datetime, data: dict[str, Any]) -> str:
    payload = {"type": event_type, "timestamp": _iso(timestamp), "data": data}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def retry_delay(attempt: int, rng: random.Random) -> timedelta:
    """The pause after failed attempt `attempt` (from 1): 5 s doubling up to 1 h, each ±20 %
    so that many deliveries failing together do not come back together."""
    nominal = min(
        FIRST_RETRY.total_seconds() * BACKOFF ** min(attempt - 1, 32),
        LONGEST_PAUSE.total_seconds(),
    )
    return timedelta(seconds=nominal * rng.uniform(1 - JITTER, 1 + JITTER))


def verdict_for(status_code: int) -> Verdict:
    if 200 <= status_code < 300:
        return Verdict.DELIVERED
    if status_code == 410:
        return Verdict.GONE
    if status_code in (408, 429) or status_code >= 500:
        return Verdict.RETRY
    return Verdict.FINAL


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Delta-seconds or an HTTP date, clamped to [1 s, MAX_RETRY_AFTER]; None if unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        delay = timedelta(seconds=int(value))
    else:
        try:
            delay = parsedate_to_datetime(value) - now
        except (TypeError, ValueError):
            return None
    return min(max(delay, timedelta(seconds=1)), MAX_RETRY_AFTER)


@dataclass(frozen=True)
class Message:
    message_id: str
    body: str


@dataclass(frozen=True)
class Endpoint:
    url: str
    secret: str
    custom_headers: dict[str, str]
    timeout_ms: int

    @classmethod
    def of(cls, subscription: Subscription, sealer: Sealer) -> "Endpoint":
        """Where and how to send, its credentials opened (raises SealError without the key)."""
        return cls(
            url=subscription.url,
            secret=sealer.open(subscription.secret),
            custom_headers=sealer.open_headers(subscription.custom_headers),
            timeout_ms=subscription.timeout_ms,
        )


@dataclass(frozen=True)
class AttemptResult:
    verdict: Verdict
    duration_ms: int
    status_code: int | None = None
    error: str | None = None
    response: str | None = None
    retry_after: timedelta | None = None

    def describe(self) -> str:
        if self.status_code is not None:
            return f"the endpoint answered {self.status_code}"
        return self.error or "no answer"


def signed_headers(endpoint: Endpoint, message: Message) -> dict[str, str]:
    now = datetime.fromtimestamp(int(time.time()), UTC)
    signature = Webhook(endpoint.secret).sign(message.message_id, now, message.body)
    return endpoint.custom_headers | {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


async def send(
    http: httpx.AsyncClient, endpoint: Endpoint, message: Message, *, allow_private: bool
) -> AttemptResult:
    """One signed POST; never raises for what the network or the subscriber does."""
    started = time.monotonic()

    def elapsed() -> int:
        return round((time.monotonic() - started) * 1000)

    timeout = endpoint.timeout_ms / 1000
    try:
        # httpx's timeout bounds each phase; the outer one the whole attempt, DNS included.
        async with asyncio.timeout(timeout):
            target = await resolve_target(endpoint.url, allow_private)
            async with http.stream(
                "POST",
                target.url,
                content=message.body.encode(),
                headers=signed_headers(endpoint, message) | target.headers,
                extensions=target.extensions,
                timeout=timeout,
            ) as response:
                excerpt = await _excerpt(response)
    except TargetRefused as error:
        refused = _printable(f"refused target: {error}")[:ERROR_CHARS]
        return AttemptResult(Verdict.FINAL, elapsed(), error=refused)
    except (TargetUnresolvable, httpx.HTTPError, TimeoutError) as error:
        detail = _printable(f"{type(error).__name__}: {error}".rstrip(": "))
        return AttemptResult(Verdict.RETRY, elapsed(), error=detail[:ERROR_CHARS])
    verdict = verdict_for(response.status_code)
    retry_after = None
    if verdict is Verdict.RETRY:
        retry_after = parse_retry_after(response.headers.get("retry-after"), datetime.now(UTC))
    return AttemptResult(
        verdict,
        elapsed(),
        status_code=response.status_code,
        response=excerpt,
        retry_after=retry_after,
    )


async def _excerpt(response: httpx.Response) -> str:
    """The start of the body only: a subscriber cannot make us read a huge response."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= RESPONSE_EXCERPT_BYTES:
            break
    return _printable(b"".join(chunks)[:RESPONSE_EXCERPT_BYTES].decode("utf-8", errors="replace"))


def _printable(text: str) -> str:
    """What the log may store on every backend: PostgreSQL refuses NUL in text."""
    return text.replace("\x00", "\ufffd")
