"""With the worker (or Temporal) away, webhooks are still acknowledged; nothing is lost."""

import sqlite3
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from sqlalchemy import text, update
from sqlalchemy.engine import make_url
from sqlmodel import col, select
from temporalio.testing import WorkflowEnvironment

from api.relay import Relay
from core.db import SessionFactory, is_sqlite
from core.models import StoredEvent
from core.transactions import Transactions
from tests.api.conftest import RunApi, api_settings
from tests.api.webhooks import applied, post_vlens, unique
from worker import Deps, build_worker

STATUSES = ["Created", "PendingApproval", "Approved", "CustomerSigned", "ServiceProviderSigned"]


def vlens_event(external: str, status: str) -> dict[str, object]:
    return {
        "Id": unique(),
        "WebhookEvent": "App.BusinessRequestStatusChange",
        "Attempt": 1,
        "Data": {"Id": external, "NewStatus": status},
        "CreationTimeUtc": f"2026-02-0{STATUSES.index(status) + 1}T09:00:00Z",
    }


async def test_webhooks_are_acknowledged_while_the_worker_is_down_then_catch_up(
    run_api: RunApi,
    dev_env: WorkflowEnvironment,
    database_url: str,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
) -> None:
    settings = api_settings(database_url, dev_env.client.service_client.config.target_host)
    contracts = [f"down-{uuid.uuid4().hex[:8]}" for _ in range(5)]
    async with run_api(settings) as api:
        acks = []
        for status in reversed(STATUSES):  # newest first, to make order matter
            for external in contracts:
                response = await post_vlens(api, vlens_event(external, status))
                assert response.status_code == 202
                acks.append(response)
        # Read from the database alone: a query of the workflow would wait for a worker (3 s).
        pending = await api.get(f"/contracts/vlens:{contracts[0]}", timeout=1.0)
        assert pending.status_code == 200
        assert pending.json()["status"] is None
        assert {e["note"] for e in pending.json()["timeline"]} <= {
            "pending: stored, not yet applied",
            "stale",
        }

        async with build_worker(dev_env.client, Deps(settings, sessions, transactions, http)):
            for ack in acks[-len(contracts) :]:
                view = await applied(api, ack)
                assert view["status"] == "COUNTERSIGNED"
                webhooks = [e for e in view["timeline"] if e["source"] == "webhook"]
                assert len(webhooks) == len(STATUSES)
                assert [e["applied"] for e in view["timeline"]].count(True) >= 1


async def test_the_relay_resends_what_temporal_never_got(
    run_api: RunApi,
    database_url: str,
    dev_env: WorkflowEnvironment,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
) -> None:
    """Temporal unreachable at ack time: events stay stored; the sweep hands them off later."""
    unreachable = api_settings(database_url, "127.0.0.1:1", RELAY_LEASE="1s")
    external = f"lost-{uuid.uuid4().hex[:8]}"
    async with run_api(unreachable) as api:
        ack = await post_vlens(api, vlens_event(external, "Approved"))
        assert ack.status_code == 202
    async with sessions() as session:
        stored = await session.get(StoredEvent, ack.json()["event_id"])
        assert stored is not None
        assert stored.relayed_at is None

    settings = api_settings(
        database_url,
        dev_env.client.service_client.config.target_host,
        TEMPORAL_TASK_QUEUE=unreachable.temporal_task_queue,
    )
    relay = Relay(settings, transactions, dev_env.client)
    async with sessions() as session:  # the lease of the first attempt has run out by now
        await session.exec(
            update(StoredEvent)
            .where(col(StoredEvent.event_id) == ack.json()["event_id"])
            .values(lease_until=None)
        )
        await session.commit()
    relay.start()
    try:
        assert await relay.sweep() >= 1
        await relay.drain()
    finally:
        await relay.stop()
    async with sessions() as session:
        rows = await session.exec(
            select(StoredEvent).where(StoredEvent.contract_id == f"vlens:{external}")
        )
        assert [(row.relay_outcome, row.relayed_at is not None) for row in rows] == [
            ("signalled", True)
        ]
    async with (
        build_worker(dev_env.client, Deps(settings, sessions, transactions, http)),
        run_api(settings) as api,
    ):
        view = await applied(api, ack)
    assert view["status"] == "APPROVED"


@asynccontextmanager
async def events_locked(database_url: str, sessions: SessionFactory) -> AsyncIterator[None]:
    """Another client holds the write lock on the events table until the block ends."""
    if is_sqlite(database_url):
        holder = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    async with sessions() as session:
        await session.exec(text("LOCK TABLE events IN EXCLUSIVE MODE"))  # type: ignore[call-overload]
        try:
            yield
        finally:
            await session.rollback()


async def test_a_locked_database_is_a_prompt_503_and_the_retry_lands_once(
    run_api: RunApi, database_url: str, dev_env: WorkflowEnvironment, sessions: SessionFactory
) -> None:
    settings = api_settings(
        database_url, dev_env.client.service_client.config.target_host, WEBHOOK_ACK_TIMEOUT="500ms"
    )
    webhook = vlens_event(f"locked-{uuid.uuid4().hex[:8]}", "Approved")
    async with run_api(settings) as api:
        async with events_locked(database_url, sessions):
            started = time.monotonic()
            refused = await post_vlens(api, webhook)
            waited = time.monotonic() - started
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"] == "5"
        assert refused.headers["content-type"] == "application/problem+json"
        assert waited < 3  # the deadline, not the database's 30 s lock wait
        retried = await post_vlens(api, webhook)
        # the first attempt's rows may have committed once the lock was gone: then a duplicate
        assert retried.status_code in (200, 202), retried.text
    async with sessions() as session:
        stored = await session.exec(
            select(StoredEvent).where(StoredEvent.contract_id == retried.json()["contract_id"])
        )
        assert [row.event_id for row in stored] == [retried.json()["event_id"]]
