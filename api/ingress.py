"""Inbound webhooks: read, log, authenticate, parse, store, ack. Hand-off happens after commit.

Order of work, one request: size check -> log the raw request -> authenticate -> parse and map
-> store the canonical event (unique per vendor and dedup key) -> commit -> answer. The log row
and the event are written in one transaction, which requests arriving together share
(`api.group_commit`), so a 2xx always means both are durable.
"""

import hmac
import logging
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from api.group_commit import GroupCommit, StorageUnavailable, Unstorable
from api.metrics import ApiMetrics
from api.problems import (
    BadRequest,
    PayloadTooLarge,
    Problem,
    ServiceUnavailable,
    Unauthorized,
)
from core.db import JsonText, utcnow
from core.events import ContractEvent, contract_id_for
from core.logging import event_ids
from core.models import Contract, StoredEvent
from core.settings import Settings
from core.transactions import Transactions
from core.vendors.base import InvalidWebhook, ParsedWebhook, RawWebhook, VendorAdapter

log = logging.getLogger("contractsync.ingress")

MASK = "***"
ALWAYS_MASKED = frozenset({"authorization", "cookie", "proxy-authorization"})
RETRY_AFTER_SECONDS = "5"


@dataclass(frozen=True)
class Received:
    """What arrived, before it is judged."""

    vendor: str
    method: str
    path: str
    source_ip: str | None
    raw: RawWebhook
    received_at: datetime
    oversize: int | None = None  # declared or counted size when over the limit


@dataclass(frozen=True)
class Accepted:
    event: ContractEvent
    duplicate: bool


def new_event_id() -> str:
    """Time-ordered, so the relay and the inbound log read in arrival order."""
    return f"evt_{time.time_ns() // 1000:014x}{secrets.token_hex(6)}"


class Ingress:
    def __init__(
        self, settings: Settings, transactions: Transactions, metrics: ApiMetrics | None = None
    ) -> None:
        self._settings = settings
        self._metrics = metrics or ApiMetrics()
        self._writer = GroupCommit(transactions, settings.webhook_ack_timeout.total_seconds())
        self._warned: set[str] = set()

    async def receive(self, adapter: VendorAdapter, received: Received) -> Accepted:
        """Judge and store one request; raises a Problem (already logged) when refused."""
        self._metrics.webhook_received(adapter.name)
        try:
            if received.oversize is not None:
                raise PayloadTooLarge(
                    f"the body is {received.oversize} bytes; the limit is "
                    f"{self._settings.max_webhook_bytes}"
                )
            self._authenticate(adapter, received.raw)
            try:
                parsed = adapter.parse(received.raw)
            except InvalidWebhook as error:
                raise BadRequest(str(error)) from error
            event = _canonical(adapter.name, parsed, received.received_at)
            payload = JsonText(event.model_dump_json())
            _require_storable(event, payload)
        except Problem as problem:
            await self._log_rejected(adapter, received, problem)
            raise
        return await self._store(adapter, received, event, payload)

    def _authenticate(self, adapter: VendorAdapter, raw: RawWebhook) -> None:
        expected = adapter.configured_secret(self._settings)
        if expected is None:
            if self._settings.dev_mode:
                if adapter.name not in self._warned:
                    self._warned.add(adapter.name)
                    log.warning("no webhook secret set for %s: accepted in dev mode", adapter.name)
                return
            raise Unauthorized(f"webhooks from {adapter.name} are refused: no secret configured")
        presented = adapter.presented_secret(raw, self._settings) or ""
        if not hmac.compare_digest(presented.encode(), expected.encode()):
            raise Unauthorized("missing or wrong webhook secret")

    async def _store(
        self, adapter: VendorAdapter, received: Received, event: ContractEvent, payload: JsonText
    ) -> Accepted:
        row = {
            "event_id": event.event_id,
            "vendor": event.vendor,
            "dedup_key": event.dedup_key,
            "contract_id": event.contract_id,
            "payload": payload,
            "received_at": event.received_at,
            "lease_until": received.received_at + self._settings.relay_lease,
        }
        log_row = _log_row(adapter, received, self._settings, contract_id=event.contract_id)
        try:
            stored = await self._writer.store(row, log_row)
        except StorageUnavailable as error:
            self._metrics.webhook_outcome(adapter.name, "unavailable")
            log.error(
                "storage unavailable, asking %s to retry: %s",
                adapter.name,
                error,
                extra=event_ids(event),
            )
            raise _unavailable() from error
        except Unstorable as error:
            problem = BadRequest("the webhook carries a value the database cannot hold")
            await self._log_rejected(adapter, received, problem)
            raise problem from error
        if stored.duplicate and stored.event_id is not None:
            event = event.model_copy(update={"event_id": stored.event_id})
        self._metrics.webhook_outcome(adapter.name, "duplicate" if stored.duplicate else "accepted")
        return Accepted(event=event, duplicate=stored.duplicate)

    async def _log_rejected(
        self, adapter: VendorAdapter, received: Received, problem: Problem
    ) -> None:
        log_row = _log_row(
            adapter,
            received,
            self._settings,
            outcome="rejected",
            status_code=problem.status,
            problem=problem.detail,
        )
        try:
            await self._writer.store(None, log_row)
        except Unstorable as error:
            # Even the masked log row is refused (a NUL in a header): the problem is still the
            # client's, so it keeps its 4xx, and the refusal is logged here instead.
            log.error("could not keep a refused %s webhook in the log: %s", adapter.name, error)
        except StorageUnavailable as error:
            self._metrics.webhook_outcome(adapter.name, "unavailable")
            raise _unavailable() from error
        self._metrics.webhook_outcome(adapter.name, "rejected")


def _unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        "storage is unavailable; retry later", headers={"Retry-After": RETRY_AFTER_SECONDS}
    )


def _canonical(vendor: str, parsed: ParsedWebhook, received_at: datetime) -> ContractEvent:
    return ContractEvent(
        event_id=new_event_id(),
        contract_id=contract_id_for(vendor, parsed.external_id),
        vendor=vendor,
        external_id=parsed.external_id,
        dedup_key=parsed.dedup_key,
        source="webhook",
        vendor_event=parsed.vendor_event,
        status=parsed.status.value if parsed.status else None,
        vendor_status=parsed.vendor_status,
        parties=parsed.parties,
        requires_all_parties=parsed.requires_all_parties,
        occurred_at=parsed.occurred_at,
        received_at=received_at,
    )


def _width(column: object) -> int | None:
    length = getattr(getattr(column, "type", None), "length", None)
    return length if isinstance(length, int) else None


# Read off the columns once: `_require_storable` runs for every webhook.
WIDTHS = {
    name: width
    for name, width in (
        ("external_id", _width(Contract.external_id)),
        ("dedup_key", _width(StoredEvent.dedup_key)),
    )
    if width is not None
}


def _require_storable(event: ContractEvent, payload: str) -> None:
    """What the database could not keep is refused now, as bad input (400), not later as an
    outage: PostgreSQL refuses over-long ids and NUL in text, and the vendor would be told to
    retry (503) for ever. `payload` is the event's JSON."""
    for name, width in WIDTHS.items():
        if len(getattr(event, name)) > width:
            raise BadRequest(f"the {name.replace('_', ' ')} is longer than {width} characters")
    # Every NUL, in a key or a value, is written `\u0000` in JSON: one scan of the JSON clears
    # nearly every webhook; only a possible hit (the text `\u0000` can be a literal
    # backslash-u) is checked string by string.
    if "\\u0000" in payload and any("\x00" in text for text in _strings(event.model_dump())):
        raise BadRequest("the webhook carries a NUL character, which cannot be stored")


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _log_row(
    adapter: VendorAdapter,
    received: Received,
    settings: Settings,
    *,
    outcome: str = "accepted",
    status_code: int = 202,
    problem: str | None = None,
    contract_id: str | None = None,
) -> dict[str, Any]:
    """The `inbound_requests` row, secrets masked; an accepted one's outcome and event id are
    settled when it is stored (it may turn out a duplicate)."""
    masked = adapter.masked_headers(settings) | ALWAYS_MASKED
    headers = {
        name: MASK if name in masked else value for name, value in received.raw.headers.items()
    }
    query = urlencode(
        [
            (name, MASK if name.lower() in adapter.secret_params else value)
            for name, value in received.raw.query.items()
        ]
    )
    return {
        "vendor": received.vendor,
        "method": received.method,
        "path": received.path,
        "query": query,
        "source_ip": received.source_ip,
        "headers": headers,
        "body": b"" if received.oversize is not None else received.raw.body,
        "received_at": received.received_at,
        "outcome": outcome,
        "status_code": status_code,
        "problem": problem,
        "contract_id": contract_id,
        "event_id": None,
    }


__all__ = ["Accepted", "Ingress", "Received", "new_event_id", "utcnow"]
