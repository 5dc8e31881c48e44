"""Hands stored events to their workflows, and re-sends whatever was left behind.

Right after the ack the ingress submits the event here; a few consumer tasks signal-with-start
it and mark it relayed (in batches). Anything not relayed when its lease runs out (Temporal
down, the process killed) is claimed again by the sweep. Claims use `FOR UPDATE SKIP LOCKED`
on PostgreSQL, so several API processes sweep without sending the same event twice. While
Temporal's workflow task backlog is over its limit, hand-offs and claims wait
(`api.backpressure`).
"""

import asyncio
import contextlib
import functools
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, literal, update
from sqlalchemy import select as sql_select
from sqlmodel import col
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.backpressure import BacklogGate
from api.metrics import RelayState
from core.db import UTCDateTime, utcnow
from core.events import ContractEvent
from core.logging import event_ids
from core.models import EVENTS, TimelineRow
from core.settings import Settings
from core.transactions import Transactions
from core.upsert import insert_for
from workflows.client import lifecycle_config, signal_with_start

log = logging.getLogger("contractsync.relay")

SWEEP_BATCH = 200
QUEUE_LIMIT = 10_000


class Relay:
    def __init__(self, settings: Settings, transactions: Transactions, client: Client) -> None:
        self._settings = settings
        self._transactions = transactions
        self._client = client
        self._config = lifecycle_config(settings)
        self._queue: asyncio.Queue[ContractEvent] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        # Queued, being handed off or awaiting its mark here: a sweep that claims one again
        # (its lease ran out while it waited in a long queue) renews the lease but does not
        # queue a second copy.
        self._pending: set[str] = set()
        self._done: dict[str, str] = {}
        self._done_ready = asyncio.Event()
        self._flushing = asyncio.Lock()  # drain() must wait for a flush already under way
        self._tasks: list[asyncio.Task[None]] = []
        self.gate = BacklogGate(client, settings.temporal_task_queue, settings.relay_max_backlog)

    def submit(self, event: ContractEvent) -> None:
        """Never blocks the request: when the queue is full the sweep picks the event up."""
        if event.event_id in self._pending:
            return
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(event)
            self._pending.add(event.event_id)

    @property
    def backlog(self) -> int:
        """Events in this process not yet handed off: queued, or held at the gate."""
        return self._queue.qsize() + self.gate.waiting

    def state(self) -> RelayState:
        return RelayState(self.backlog, self.gate.held, self.gate.task_backlog)

    def start(self) -> None:
        consumers = [self._consume() for _ in range(self._settings.relay_concurrency)]
        for job in [*consumers, self._flush_forever(), self._sweep_forever()]:
            self._tasks.append(asyncio.create_task(job))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.gate.close()
        await self._flush()

    async def sweep(self) -> int:
        """Claim events whose lease ran out and submit them again; returns how many."""
        payloads = await self._transactions.run(
            functools.partial(_claim_due, utcnow(), self._settings.relay_lease)
        )
        for payload in payloads:
            self.submit(ContractEvent.model_validate(payload))
        return len(payloads)

    async def hand_off(self, event: ContractEvent) -> str | None:
        """Signal the workflow; the outcome, or None to leave the event for the sweep."""
        try:
            await signal_with_start(
                self._client, self._settings.temporal_task_queue, event, self._config
            )
        except WorkflowAlreadyStartedError:
            await self._record_late(event)
            return "late"
        except Exception as error:  # noqa: BLE001  (Temporal down or slow: the sweep retries)
            log.warning(
                "could not hand %s to Temporal: %s", event.event_id, error, extra=event_ids(event)
            )
            return None
        return "signalled"

    async def drain(self) -> None:
        """Wait until everything submitted so far was handed off and marked (shutdown, tests)."""
        await self._queue.join()
        await self._flush()

    async def _consume(self) -> None:
        while True:
            event = await self._queue.get()
            outcome = None
            try:
                await self.gate.wait()
                outcome = await self.hand_off(event)
                if outcome:
                    self._done[event.event_id] = outcome
                    self._done_ready.set()
            finally:
                if not outcome:  # left for the sweep; a handed-off one waits for its mark
                    self._pending.discard(event.event_id)
                self._queue.task_done()

    async def _flush_forever(self) -> None:
        while True:
            await self._done_ready.wait()
            try:
                await self._flush()
            except Exception as error:  # noqa: BLE001  (database blip: the leases expire and the sweep re-sends)
                log.warning("could not mark events relayed: %s", error)

    async def _flush(self) -> None:
        async with self._flushing:
            self._done_ready.clear()
            done, self._done = self._done, {}
            if done:
                try:
                    await self._transactions.run(functools.partial(_mark_relayed, done, utcnow()))
                finally:  # marked, or to be sent again by the sweep
                    self._pending.difference_update(done)

    async def _sweep_forever(self) -> None:
        interval = self._settings.relay_interval.total_seconds()
        while True:
            await asyncio.sleep(interval)
            if self.gate.held:  # claims now would only wait, and their leases run out meanwhile
                continue
            try:
                await self.sweep()
            except Exception as error:  # noqa: BLE001  (database blip: next round)
                log.warning("relay sweep failed: %s", error)

    async def _record_late(self, event: ContractEvent) -> None:
        """The contract's workflow has completed: keep the event on its timeline, unapplied.

        One INSERT ... SELECT (next seq computed inside it): a read followed by a write in one
        SQLite transaction cannot wait for the write lock and would fail under load."""
        next_seq = (
            sql_select(
                literal(event.contract_id),
                literal(event.event_id),
                func.coalesce(func.max(TimelineRow.seq), 0) + 1,
                literal(event.source),
                literal(event.vendor_event),
                literal(event.status),
                literal(False),
                literal(event.occurred_at, type_=UTCDateTime),
                literal(event.received_at, type_=UTCDateTime),
                literal("late: the contract had already finished"),
            )
            .select_from(TimelineRow)
            .where(col(TimelineRow.contract_id) == event.contract_id)
        )
        columns = [
            "contract_id",
            "event_id",
            "seq",
            "source",
            "vendor_event",
            "status",
            "applied",
            "occurred_at",
            "received_at",
            "note",
        ]
        await self._transactions.run(
            lambda connection: connection.execute(
                insert_for(connection, TimelineRow)
                .from_select(columns, next_seq)
                .on_conflict_do_nothing()
            )
        )
        log.info(
            "late event %s for finished contract %s",
            event.event_id,
            event.contract_id,
            extra=event_ids(event),
        )


def _claim_due(now: datetime, lease: timedelta, connection: Connection) -> list[Any]:
    due = (
        sql_select(EVENTS.c.event_id)
        .where(EVENTS.c.relayed_at.is_(None))
        .where(EVENTS.c.lease_until.is_(None) | (EVENTS.c.lease_until < now))
        .order_by(EVENTS.c.received_at)
        .limit(SWEEP_BATCH)
        .with_for_update(skip_locked=True)
    )
    claimed = connection.execute(
        update(EVENTS)
        .where(EVENTS.c.event_id.in_(due.scalar_subquery()))
        .values(lease_until=now + lease)
        .returning(EVENTS.c.payload)
    )
    return [row[0] for row in claimed]


def _mark_relayed(done: dict[str, str], now: datetime, connection: Connection) -> None:
    for outcome in set(done.values()):
        ids = [event_id for event_id, said in done.items() if said == outcome]
        connection.execute(
            update(EVENTS)
            .where(EVENTS.c.event_id.in_(ids))
            .values(relayed_at=now, relay_outcome=outcome, lease_until=None)
        )
