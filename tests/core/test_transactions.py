"""Whole transactions in one hop: committed when the work returns, rolled back when it raises,
and finished even when the caller is cancelled half-way (no write lock left behind)."""

import asyncio
import threading
import uuid

import pytest
from sqlalchemy import Connection, func, insert, select, text

from core.db import SessionFactory, utcnow
from core.models import INBOUND, InboundRequest
from core.transactions import Transactions


def log_row(vendor: str) -> dict[str, object]:
    return {
        "vendor": vendor,
        "method": "POST",
        "path": f"/webhooks/{vendor}",
        "query": "",
        "source_ip": None,
        "headers": {},
        "body": b"{}",
        "received_at": utcnow(),
        "outcome": "accepted",
        "status_code": 202,
    }


def count(vendor: str, connection: Connection) -> int:
    return connection.execute(
        select(func.count()).select_from(INBOUND).where(INBOUND.c.vendor == vendor)
    ).scalar_one()


async def test_the_work_is_committed_or_rolled_back_whole(transactions: Transactions) -> None:
    vendor = f"t{uuid.uuid4().hex[:8]}"

    def two_rows_then_fail(connection: Connection) -> None:
        connection.execute(insert(INBOUND), [log_row(vendor), log_row(vendor)])
        raise RuntimeError("half-way")

    with pytest.raises(RuntimeError):
        await transactions.run(two_rows_then_fail)
    assert await transactions.run(lambda c: count(vendor, c)) == 0

    await transactions.run(lambda c: c.execute(insert(INBOUND), [log_row(vendor)] * 3))
    assert await transactions.run(lambda c: count(vendor, c)) == 3


async def test_a_cancelled_caller_leaves_nothing_half_done(sessions: SessionFactory) -> None:
    """SQLite: the transaction runs on in its thread to COMMIT, so the file's one write lock is
    never left held. PostgreSQL: asyncpg's statement is cancelled and the transaction rolled
    back. Either way the next transaction, from any connection, goes through."""
    vendor = f"t{uuid.uuid4().hex[:8]}"
    own = Transactions.of(sessions)
    in_work, release = threading.Event(), threading.Event()
    on_sqlite = own._sync is not None

    def slow(connection: Connection) -> None:
        connection.execute(insert(INBOUND), [log_row(vendor)])
        in_work.set()
        if on_sqlite:
            release.wait(10)  # its own thread: blocking holds only this transaction
        else:
            connection.execute(text("SELECT pg_sleep(10)"))

    try:
        caller = asyncio.create_task(own.run(slow))
        await asyncio.to_thread(in_work.wait, 10)
        caller.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await caller
        assert await own.run(lambda c: count(vendor, c)) == (1 if on_sqlite else 0)
        async with sessions() as session:
            session.add(InboundRequest(**log_row(vendor)))  # type: ignore[arg-type]
            await session.commit()
        assert await own.run(lambda c: count(vendor, c)) == (2 if on_sqlite else 1)
    finally:
        await own.close()
