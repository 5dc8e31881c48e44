"""Inbound webhooks: read, log, authenticate, parse, store, ack. Hand-off happens after commit.

Order of work, one request: size check -> log the raw request -> authenticate -> parse and map
-> store the canonical event (unique per vendor and dedup key) -> commit -> answer. The log row
and the event are written in one transaction, so a 2xx always means both are durable.
"""

import hmac
import logging
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import select

from api.metrics import ApiMetrics
from api.problems import (
    BadRequest,
    PayloadTooLarge,
    Problem,
    ServiceUnavailable,
    Unauthorized,
)
from core.db import SessionFactory, utcnow
from core.events import ContractEvent, contract_id_for
from core.logging import event_ids
from core.models import Contract, InboundRequest, StoredEvent
from core.settings import Settings
from core.upsert import insert_for
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
        self, settings: Settings, sessions: SessionFactory, metrics: ApiMetrics | None = None
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._metrics = metrics or ApiMetrics()
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
            _require_storable(event)
        except Problem as problem:
            await self._log_rejected(adapter, received, problem)
            raise
        return await self._store(adapter, received, event)

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
        self, adapter: VendorAdapter, received: Received, event: ContractEvent
    ) -> Accepted:
        try:
            async with self._sessions() as session:
                inserted = await session.exec(
                    insert_for(session, StoredEvent)
                    .values(
                        event_id=event.event_id,
                        vendor=event.vendor,
                        dedup_key=event.dedup_key,
                        contract_id=event.contract_id,
                        payload=event.model_dump(mode="json"),
                        received_at=event.received_at,
                        lease_until=received.received_at + self._settings.relay_lease,
                    )
                    .on_conflict_do_nothing(index_elements=["vendor", "dedup_key"])
                    .returning(StoredEvent.event_id)
                )
                duplicate = inserted.first() is None
                if duplicate:
                    existing = await session.exec(
                        select(StoredEvent.event_id).where(
                            StoredEvent.vendor == event.vendor,
                            StoredEvent.dedup_key == event.dedup_key,
                        )
                    )
                    event = event.model_copy(update={"event_id": existing.one()})
                session.add(
                    _log_row(
                        adapter,
                        received,
                        self._settings,
                        outcome="duplicate" if duplicate else "accepted",
                        status_code=200 if duplicate else 202,
                        contract_id=event.contract_id,
                        event_id=event.event_id,
                    )
                )
                await session.commit()
        except (OperationalError, DBAPIError, OSError) as error:
            self._metrics.webhook_outcome(adapter.name, "unavailable")
            log.error(
                "storage unavailable, asking %s to retry: %s",
                adapter.name,
                error,
                extra=event_ids(event),
            )
            raise ServiceUnavailable(
                "storage is unavailable; retry later",
                headers={"Retry-After": RETRY_AFTER_SECONDS},
            ) from error
        self._metrics.webhook_outcome(adapter.name, "duplicate" if duplicate else "accepted")
        return Accepted(event=event, duplicate=duplicate)

    async def _log_rejected(
        self, adapter: VendorAdapter, received: Received, problem: Problem
    ) -> None:
        try:
            async with self._sessions() as session:
                session.add(
                    _log_row(
                        adapter,
                        received,
                        self._settings,
                        outcome="rejected",
                        status_code=problem.status,
                        problem=problem.detail,
                    )
                )
                await session.commit()
            self._metrics.webhook_outcome(adapter.name, "rejected")
        except (OperationalError, DBAPIError, OSError) as error:
            self._metrics.webhook_outcome(adapter.name, "unavailable")
            raise ServiceUnavailable(
                "storage is unavailable; retry later",
                headers={"Retry-After": RETRY_AFTER_SECONDS},
            ) from error


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


def _require_storable(event: ContractEvent) -> None:
    """What the database could not keep is refused now, as bad input (400), not later as an
    outage: PostgreSQL refuses over-long ids and NUL in text, and the vendor would be told to
    retry (503) for ever."""
    for name, column in (
        ("external_id", Contract.external_id),
        ("dedup_key", StoredEvent.dedup_key),
    ):
        width = _width(column)
        if width is not None and len(getattr(event, name)) > width:
            raise BadRequest(f"the {name.replace('_', ' ')} is longer than {width} characters")
    if any("\x00" in text for text in _strings(event.model_dump())):
        raise BadRequest("the webhook carries a NUL character, which cannot be stored")


def _width(column: object) -> int | None:
    length = getattr(getattr(column, "type", None), "length", None)
    return length if isinstance(length, int) else None


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
    outcome: str,
    status_code: int,
    problem: str | None = None,
    contract_id: str | None = None,
    event_id: str | None = None,
) -> InboundRequest:
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
    return InboundRequest(
        vendor=received.vendor,
        method=received.method,
        path=received.path,
        query=query,
        source_ip=received.source_ip,
        headers=headers,
        body=b"" if received.oversize is not None else received.raw.body,
        received_at=received.received_at,
        outcome=outcome,
        status_code=status_code,
        problem=problem,
        contract_id=contract_id,
        event_id=event_id,
    )


__all__ = ["Accepted", "Ingress", "Received", "new_event_id", "utcnow"]
