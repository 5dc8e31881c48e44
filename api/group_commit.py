"""Group commit for the ingress: every webhook waiting to be stored shares one transaction.

A transaction per request costs a commit per webhook (an fsync on PostgreSQL; on SQLite the
file's one write lock, which waiting connections poll for in sleeps of milliseconds), so under
load requests spend their time queueing for the database. Here they queue in memory instead: one
writer task takes everything waiting (up to `MAX_BATCH`), stores the events and their inbound-log
rows in one transaction, and answers each request. A lone webhook on a quiet service is written
at once, as before; a busy service pays one commit per batch. A request is answered only after
the commit that holds its rows, so a 2xx still means durable.
"""

import asyncio
import functools
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert, select, tuple_
from sqlalchemy.exc import DBAPIError, OperationalError

from api.problems import is_data_exception
from core.models import EVENTS, INBOUND
from core.transactions import Transactions
from core.upsert import insert_for

log = logging.getLogger("contractsync.ingress")

# Rows per transaction: 256 events and their log rows stay far below the bound-parameter limits
# of SQLite (32,766) and asyncpg (32,767).
MAX_BATCH = 256


@dataclass(frozen=True)
class Stored:
    event_id: str | None  # the stored event's id; for a duplicate, its first copy's
    duplicate: bool


class StorageUnavailable(Exception):
    """The database could not be reached or did not answer in time."""


class Unstorable(Exception):
    """The database refused a value of this one request (SQLSTATE class 22)."""


@dataclass
class _Item:
    event: dict[str, Any] | None  # an `events` row; None for a refused request's log row alone
    log: dict[str, Any]  # its `inbound_requests` row; outcome and ids are filled in here
    done: asyncio.Future[Stored] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def resolve(self, stored: Stored) -> None:
        if not self.done.done():  # the caller may have gone (client disconnected)
            self.done.set_result(stored)

    def fail(self, error: Exception) -> None:
        if not self.done.done():
            self.done.set_exception(error)


class GroupCommit:
    def __init__(self, transactions: Transactions, deadline: float | None = None) -> None:
        self._transactions = transactions
        self._deadline = deadline  # seconds a request waits for its commit; None: no limit
        self._waiting: list[_Item] = []
        self._writer: asyncio.Task[None] | None = None

    async def store(self, event: dict[str, Any] | None, log_row: dict[str, Any]) -> Stored:
        """Store an event (unless it is a duplicate) and its log row; returns once committed.

        The log row's `outcome`, `status_code` and `event_id` are set here for an event:
        accepted/202 or duplicate/200. Raises StorageUnavailable or Unstorable.

        Past the deadline (a locked or unreachable database) the request gives up with
        StorageUnavailable, so its vendor hears 503 while it still listens. Rows not yet taken
        by the writer are dropped then; rows already in a transaction may still commit once
        the database answers, and the vendor's retry is then acknowledged as a duplicate."""
        item = _Item(event, log_row)
        self._waiting.append(item)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_all())
        try:
            async with asyncio.timeout(self._deadline):
                return await item.done
        except TimeoutError:
            if item in self._waiting:
                self._waiting.remove(item)
            raise StorageUnavailable(
                f"the database did not commit within {self._deadline:g} s"
            ) from None

    async def _write_all(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                await self._write(batch)
        finally:
            self._writer = None

    async def _write(self, batch: list[_Item]) -> None:
        try:
            stored = await self._transaction(batch)
        except DBAPIError as error:
            if not is_data_exception(error) or isinstance(error, OperationalError):
                _fail_all(batch, StorageUnavailable(str(error)))
            elif len(batch) > 1:
                # One request carries a value the database refuses: find it, keep the others.
                for item in batch:
                    await self._write([item])
            else:
                _fail_all(batch, Unstorable(str(error)))
        except OSError as error:
            _fail_all(batch, StorageUnavailable(str(error)))
        except BaseException as error:
            _fail_all(batch, error if isinstance(error, Exception) else RuntimeError(error))
            raise
        else:
            for item, outcome in zip(batch, stored, strict=True):
                item.resolve(outcome)

    async def _transaction(self, batch: list[_Item]) -> list[Stored]:
        return await self._transactions.run(functools.partial(_store_batch, batch))


def _store_batch(batch: list[_Item], connection: Connection) -> list[Stored]:
    """One batch's rows, in the caller's transaction. Core statements run as executemany:
    compiled once and cached, whatever the batch size (a multi-row VALUES would be compiled
    afresh for every size)."""
    events = [item.event for item in batch if item.event is not None]
    inserted: set[str] = set()
    first_copy: dict[tuple[str, str], str] = {}
    if events:
        result = connection.execute(
            insert_for(connection, EVENTS)
            .on_conflict_do_nothing(index_elements=["vendor", "dedup_key"])
            .returning(EVENTS.c.event_id),
            events,
        )
        inserted = set(result.scalars().all())
        duplicates = [e for e in events if e["event_id"] not in inserted]
        if duplicates:
            pairs = {(e["vendor"], e["dedup_key"]) for e in duplicates}
            found = connection.execute(
                select(EVENTS.c.event_id, EVENTS.c.vendor, EVENTS.c.dedup_key).where(
                    tuple_(EVENTS.c.vendor, EVENTS.c.dedup_key).in_(pairs)
                )
            )
            first_copy = {(vendor, key): event_id for event_id, vendor, key in found}
    stored = [_outcome(item, inserted, first_copy) for item in batch]
    connection.execute(insert(INBOUND), [item.log for item in batch])
    return stored


def _outcome(item: _Item, inserted: set[str], first_copy: dict[tuple[str, str], str]) -> Stored:
    event = item.event
    if event is None:
        return Stored(event_id=None, duplicate=False)
    duplicate = event["event_id"] not in inserted
    event_id = first_copy[event["vendor"], event["dedup_key"]] if duplicate else event["event_id"]
    item.log |= {
        "outcome": "duplicate" if duplicate else "accepted",
        "status_code": 200 if duplicate else 202,
        "event_id": event_id,
    }
    return Stored(event_id=event_id, duplicate=duplicate)


def _fail_all(batch: list[_Item], error: Exception) -> None:
    if isinstance(error, StorageUnavailable):
        log.error("storage unavailable for %d webhook(s): %s", len(batch), error)
    for item in batch:
        item.fail(error)
