"""The relay holds its hand-offs while Temporal's workflow task backlog is over the limit."""

import asyncio
from datetime import timedelta

import httpx
from sqlmodel import col, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.backpressure import BacklogGate
from api.relay import Relay
from core.db import SessionFactory
from core.events import ContractEvent, ContractView, workflow_id_for
from core.models import StoredEvent
from core.transactions import Transactions
from tests.api.conftest import api_settings
from tests.api.webhooks import unique
from tests.support import make_event, stored_row
from worker import Deps, build_worker

LIMIT = 3


async def store(sessions: SessionFactory, events: list[ContractEvent]) -> None:
    async with sessions() as session:
        # leased for an hour: not for the sweep
        session.add_all(stored_row(e, e.received_at + timedelta(hours=1)) for e in events)
        await session.commit()


async def relayed(sessions: SessionFactory, events: list[ContractEvent]) -> list[str | None]:
    async with sessions() as session:
        rows = await session.exec(
            select(StoredEvent).where(col(StoredEvent.event_id).in_([e.event_id for e in events]))
        )
        return [row.relay_outcome for row in rows]


async def test_the_relay_waits_for_the_workers_to_catch_up(
    database_url: str,
    dev_env: WorkflowEnvironment,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
) -> None:
    settings = api_settings(
        database_url,
        dev_env.client.service_client.config.target_host,
        RELAY_MAX_BACKLOG=str(LIMIT),
    )
    first = [make_event(unique("bp-"), "SENT") for _ in range(LIMIT + 1)]
    later = [make_event(unique("bp-"), "SENT") for _ in range(4)]
    await store(sessions, first + later)
    relay = Relay(settings, transactions, dev_env.client)
    relay.start()
    try:
        async with asyncio.timeout(60):
            for event in first:  # no worker yet: each starts a workflow whose task waits
                relay.submit(event)
            await relay.drain()
            assert await relayed(sessions, first) == ["signalled"] * len(first)

            # The server refreshes its task queue statistics every few seconds.
            for _ in range(30):
                if (await relay.gate.refresh() or 0) > LIMIT:
                    break
                await asyncio.sleep(1)
            assert relay.state().held

            for event in later:
                relay.submit(event)
            for _ in range(len(later)):  # let the consumers take them: each stops at the gate
                if relay.gate.waiting < len(later):
                    await asyncio.sleep(0)
            assert relay.gate.waiting == relay.backlog == len(later)
            assert await relayed(sessions, later) == [None] * len(later)

            async with build_worker(dev_env.client, Deps(settings, sessions, transactions, http)):
                await relay.drain()  # returns once the gate opens and all were handed off
                assert not relay.state().held
                assert await relayed(sessions, later) == ["signalled"] * len(later)
                for event in first + later:
                    handle = dev_env.client.get_workflow_handle(
                        workflow_id_for(event.vendor, event.external_id)
                    )
                    view = await handle.execute_update("sync", result_type=ContractView)
                    assert view.status == "SENT"
    finally:
        await relay.stop()


async def test_a_backlog_that_cannot_be_read_never_holds_the_relay(
    dev_env: WorkflowEnvironment,
) -> None:
    elsewhere = Client(dev_env.client.service_client, namespace=f"missing-{unique()}")
    gate = BacklogGate(elsewhere, "any-queue", limit=1)
    assert await gate.refresh() is None
    assert not gate.held
    async with asyncio.timeout(5):
        await gate.wait()
    await gate.close()


async def test_a_limit_of_zero_turns_the_gate_off(dev_env: WorkflowEnvironment) -> None:
    gate = BacklogGate(dev_env.client, "any-queue", limit=0)
    await gate.wait()
    assert gate.task_backlog is None  # never read
