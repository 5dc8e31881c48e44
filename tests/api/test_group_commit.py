"""Group commit: requests that arrive together share one transaction, and each gets its own
answer: stored, duplicate (with its first copy's id), or refused alone."""

import asyncio
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection, func
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from api.group_commit import GroupCommit, StorageUnavailable, Stored, Unstorable
from core.db import SessionFactory, is_sqlite, utcnow
from core.models import InboundRequest, StoredEvent
from core.transactions import Transactions

T = TypeVar("T")


class CountingTransactions(Transactions):
    """The real transactions, counted."""

    opened = 0

    async def run(self, work: Callable[[Connection], T]) -> T:
        self.opened += 1
        return await super().run(work)


def rows(vendor: str, dedup_key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    now = utcnow()
    event_id = f"evt_{uuid.uuid4().hex}"
    event = {
        "event_id": event_id,
        "vendor": vendor,
        "dedup_key": dedup_key,
        "contract_id": f"{vendor}:{dedup_key}",
        "payload": {"event_id": event_id},
        "received_at": now,
        "lease_until": now + timedelta(minutes=1),
    }
    log = {
        "vendor": vendor,
        "method": "POST",
        "path": f"/webhooks/{vendor}",
        "query": "",
        "source_ip": "127.0.0.1",
        "headers": {},
        "body": b"{}",
        "received_at": now,
        "outcome": "accepted",
        "status_code": 202,
        "problem": None,
        "contract_id": event["contract_id"],
        "event_id": None,
    }
    return event, log


async def counts(sessions: SessionFactory, vendor: str) -> tuple[int, list[tuple[str, int]]]:
    async with sessions() as session:
        events = await session.exec(
            select(func.count()).select_from(StoredEvent).where(StoredEvent.vendor == vendor)
        )
        logged = await session.exec(
            select(InboundRequest.outcome, func.count())
            .where(InboundRequest.vendor == vendor)
            .group_by(col(InboundRequest.outcome))
            .order_by(col(InboundRequest.outcome))
        )
        return events.one(), [(outcome, n) for outcome, n in logged]


async def test_concurrent_requests_share_transactions_and_duplicates_get_the_first_id(
    sessions: SessionFactory,
) -> None:
    vendor = f"t{uuid.uuid4().hex[:8]}"
    counting = CountingTransactions.of(sessions)
    writer = GroupCommit(counting)
    keys = [f"k{n}" for n in range(300)]
    # Every tenth key is sent twice, in the same burst: the copies race inside one batch.
    sent = [rows(vendor, key) for key in keys] + [rows(vendor, key) for key in keys[::10]]
    try:
        results: list[Stored] = await asyncio.gather(*(writer.store(e, log) for e, log in sent))
        again: Stored = await writer.store(*rows(vendor, keys[0]))  # a later, lone duplicate
    finally:
        await counting.close()

    assert counting.opened < 11  # one transaction per batch, not one per request
    assert sum(r.duplicate for r in results) == 30
    first = {
        event["dedup_key"]: r.event_id
        for (event, _), r in zip(sent, results, strict=True)
        if not r.duplicate
    }
    for (event, log), result in zip(sent, results, strict=True):
        assert result.event_id == first[event["dedup_key"]]
        assert log["event_id"] == result.event_id
    assert again == Stored(event_id=first[keys[0]], duplicate=True)
    # 30 in-burst duplicates and the later lone one
    assert await counts(sessions, vendor) == (300, [("accepted", 300), ("duplicate", 31)])


async def test_a_refused_value_fails_its_own_request_only(
    sessions: SessionFactory, transactions: Transactions, database_url: str
) -> None:
    vendor = f"t{uuid.uuid4().hex[:8]}"
    writer = GroupCommit(transactions)
    sent = [rows(vendor, f"k{n}") for n in range(20)]
    bad_event, bad_log = rows(vendor, "with\x00nul")
    outcomes = await asyncio.gather(
        *(writer.store(e, log) for e, log in sent),
        writer.store(bad_event, bad_log),
        return_exceptions=True,
    )

    assert all(isinstance(o, Stored) and not o.duplicate for o in outcomes[:20])
    if is_sqlite(database_url):
        # SQLite keeps NUL in text: nothing to refuse there, and the batch is whole.
        assert isinstance(outcomes[20], Stored)
        assert await counts(sessions, vendor) == (21, [("accepted", 21)])
    else:
        # PostgreSQL refuses it (SQLSTATE 22021): that one request, not its batch.
        assert isinstance(outcomes[20], Unstorable)
        assert await counts(sessions, vendor) == (20, [("accepted", 20)])


class HeldTransactions(Transactions):
    """The real transactions, each held until `release` is set: a database that hangs."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self.release = asyncio.Event()

    async def run(self, work: Callable[[Connection], T]) -> T:
        await self.release.wait()
        return await super().run(work)


async def test_a_request_gives_up_at_its_deadline(sessions: SessionFactory) -> None:
    """Past the deadline the caller hears StorageUnavailable. Rows already in a transaction
    commit once the database answers; rows the writer had not taken yet never do."""
    held = HeldTransactions.of(sessions)
    writer = GroupCommit(held, deadline=0.2)
    vendor = f"deadline-{uuid.uuid4().hex[:8]}"
    taken, queued = rows(vendor, "taken"), rows(vendor, "queued")
    try:
        async with asyncio.timeout(5):
            with pytest.raises(StorageUnavailable, match=r"within 0\.2 s"):
                await writer.store(*taken)  # the writer holds it in a hanging transaction
            with pytest.raises(StorageUnavailable):
                await writer.store(*queued)  # waits behind it, never taken
            held.release.set()
            after = await writer.store(*rows(vendor, "after"))
        assert not after.duplicate
        assert await counts(sessions, vendor) == (2, [("accepted", 2)])  # "taken" and "after"
    finally:
        await held.close()
