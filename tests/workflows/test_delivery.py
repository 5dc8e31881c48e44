"""EventDelivery on the time-skipping server with a real worker, database and subscriber: the
retry schedule runs in skipped time, so days of retries take a moment."""

import asyncio
import contextlib
import itertools
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from standardwebhooks.webhooks import Webhook
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.db import SessionFactory
from core.events import ContractEvent, ContractView
from core.settings import Settings
from core.transactions import Transactions
from tests.outbound import Subscriptions
from tests.support import make_event
from tools.subscriber_sink import SubscriberSink
from worker import STRICT_SANDBOX, Deps, build_worker
from workflows.client import signal_with_start
from workflows.contract import ContractLifecycle
from workflows.delivery import EventDelivery, delivery_workflow_id
from workflows.inputs import ContractChange, DeliverySummary, LifecycleConfig

RunWorker = Callable[[Settings], AbstractAsyncContextManager[Worker]]


@pytest_asyncio.fixture
async def started(time_env: WorkflowEnvironment) -> AsyncIterator[list[str]]:
    """Workflow ids a test started; whatever still runs is terminated, since time is global."""
    ids: list[str] = []
    yield ids
    for workflow_id in ids:
        handle = time_env.client.get_workflow_handle(workflow_id)
        with contextlib.suppress(RPCError):  # never started: nothing to stop
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("test finished")


@pytest_asyncio.fixture
async def run_worker(
    time_env: WorkflowEnvironment,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
) -> RunWorker:
    @asynccontextmanager
    async def running(settings: Settings) -> AsyncIterator[Worker]:
        async with build_worker(
            time_env.client,
            Deps(settings, sessions, transactions, http),
            workflow_runner=STRICT_SANDBOX,
        ) as worker:
            yield worker

    return running


async def endpoint(
    subs: Subscriptions, sink: tuple[SubscriberSink, str], path: str, **fields: Any
) -> str:
    receiver, base_url = sink
    row = await subs.add(f"{base_url}{path}", **fields)
    receiver.endpoint(path, row.secret)
    return row.webhook_id


def a_change(event_type: str = "contract.signed") -> ContractChange:
    external = f"c-{uuid.uuid4().hex[:10]}"
    return ContractChange(
        event_id=uuid.uuid4().hex,
        event_type=event_type,
        contract_id=f"vlens:{external}",
        vendor="vlens",
        external_id=external,
        status=event_type.removeprefix("contract.").upper(),
        previous_status="SENT",
        occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
        timestamp=datetime(2026, 3, 1, 0, 0, 5, tzinfo=UTC),
    )


async def deliver(
    client: Client, settings: Settings, started: list[str], change: ContractChange
) -> DeliverySummary:
    """Starts EventDelivery and awaits it: awaiting a result is what makes time skip."""
    workflow_id = delivery_workflow_id(change.event_id)
    started.append(workflow_id)
    return await client.execute_workflow(
        EventDelivery.run, change, id=workflow_id, task_queue=settings.temporal_task_queue
    )


async def contract_changes(
    client: Client, settings: Settings, started: list[str], statuses: list[str]
) -> tuple[WorkflowHandle[ContractLifecycle, ContractView], list[ContractEvent]]:
    """Sends events through ContractLifecycle; returns once every status change was applied
    (and so every delivery child started)."""
    external = f"c-{uuid.uuid4().hex[:10]}"
    events = [make_event(external, status) for status in statuses]
    config = LifecycleConfig(terminal_grace=timedelta(hours=1))
    handle = None
    for event in events:
        handle = await signal_with_start(client, settings.temporal_task_queue, event, config)
    assert handle is not None
    started.append(handle.id)
    started.extend(delivery_workflow_id(event.event_id) for event in events)
    await handle.execute_update("sync", result_type=ContractView)
    return handle, events


async def skip_until_closed(env: WorkflowEnvironment, workflow_ids: list[str]) -> None:
    """Only handles from `start_workflow` skip time while awaited, not a child's: skip it in
    steps of Temporal time until every one has closed."""
    for _ in range(3 * 24 * 6):
        handles = [env.client.get_workflow_handle(workflow_id) for workflow_id in workflow_ids]
        described = [await handle.describe() for handle in handles]
        if all(d.status != WorkflowExecutionStatus.RUNNING for d in described):
            return
        await env.sleep(timedelta(minutes=10))
    raise AssertionError(f"still running after 3 days: {workflow_ids}")


def gaps(times: list[datetime]) -> list[float]:
    return [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]


async def test_a_subscriber_down_for_a_while_gets_every_event_under_its_first_webhook_id(
    time_env: WorkflowEnvironment,
    settings: Settings,
    run_worker: RunWorker,
    subs: Subscriptions,
    sink: tuple[SubscriberSink, str],
    started: list[str],
) -> None:
    receiver, _ = sink
    webhook_id = await endpoint(subs, sink, "/down")
    receiver.respond("/down", 500, times=9)
    async with run_worker(settings):
        _, events = await contract_changes(
            time_env.client, settings, started, ["CREATED", "SENT", "SIGNED"]
        )
        await skip_until_closed(time_env, [delivery_workflow_id(e.event_id) for e in events])
        summaries = [
            await time_env.client.get_workflow_handle_for(
                EventDelivery.run, delivery_workflow_id(event.event_id)
            ).result()
            for event in events
        ]

    assert [o.outcome for s in summaries for o in s.outcomes if o.webhook_id == webhook_id] == [
        "delivered"
    ] * 3
    requests = receiver.at("/down")
    assert all(request.verified for request in requests)
    by_status: dict[str, set[str | None]] = {}
    for request in requests:
        assert request.event is not None
        by_status.setdefault(request.event["data"]["status"], set()).add(request.webhook_id)
    assert {status: len(ids) for status, ids in by_status.items()} == {
        "CREATED": 1,
        "SENT": 1,
        "SIGNED": 1,
    }
    delivered = receiver.delivered("/down")
    assert sorted(r.event["data"]["status"] for r in delivered if r.event) == [
        "CREATED",
        "SENT",
        "SIGNED",
    ]
    assert len(requests) == 9 + 3
    for request in requests:  # every retry carried the same bytes as its first attempt
        first = next(r for r in requests if r.webhook_id == request.webhook_id)
        assert request.body == first.body

    attempts = await subs.attempts(webhook_id)
    longest = max(
        (
            [a for a in attempts if a.message_id == message_id]
            for message_id in {a.message_id for a in attempts}
        ),
        key=len,
    )
    # 5 s doubling, ±20 %: the log's times are Temporal's, so the skipped time shows in it
    for index, gap in enumerate(gaps([a.at for a in longest])):
        assert 5 * 2**index * 0.8 <= gap <= 5 * 2**index * 1.2 + 1, gaps([a.at for a in longest])


async def test_410_disables_the_subscription_and_stops_its_retries(
    time_env: WorkflowEnvironment,
    settings: Settings,
    run_worker: RunWorker,
    subs: Subscriptions,
    sink: tuple[SubscriberSink, str],
    started: list[str],
) -> None:
    receiver, _ = sink
    webhook_id = await endpoint(subs, sink, "/gone")
    receiver.respond("/gone", 410)
    async with run_worker(settings):
        summary = await deliver(time_env.client, settings, started, a_change())
    [outcome] = [o for o in summary.outcomes if o.webhook_id == webhook_id]
    assert outcome.outcome == "failed"
    assert len(receiver.at("/gone")) == 1
    row = await subs.get(webhook_id)
    assert row.status == "DISABLED"
    assert row.disabled_reason == "the endpoint answered 410 Gone"


async def test_400_is_final_and_leaves_the_subscription_enabled(
    time_env: WorkflowEnvironment,
    settings: Settings,
    run_worker: RunWorker,
    subs: Subscriptions,
    sink: tuple[SubscriberSink, str],
    started: list[str],
) -> None:
    receiver, _ = sink
    webhook_id = await endpoint(subs, sink, "/picky")
    receiver.respond("/picky", 400, body="missing field")
    async with run_worker(settings):
        summary = await deliver(time_env.client, settings, started, a_change())
    [outcome] = [o for o in summary.outcomes if o.webhook_id == webhook_id]
    assert outcome.outcome == "failed"
    assert len(receiver.at("/picky")) == 1
    [attempt] = await subs.attempts(webhook_id)
    assert (attempt.status_code, attempt.response) == (400, "missing field")
    assert (await subs.get(webhook_id)).status == "ENABLED"


async def test_a_dead_subscriber_does_not_delay_a_healthy_one(
    time_env: WorkflowEnvironment,
    settings: Settings,
    run_worker: RunWorker,
    subs: Subscriptions,
    sink: tuple[SubscriberSink, str],
    started: list[str],
) -> None:
    receiver, _ = sink
    await endpoint(subs, sink, "/dead", timeout_ms=30_000)
    await endpoint(subs, sink, "/healthy", events=["contract.created", "*"])
    receiver.stall("/dead")
    async with run_worker(settings):
        await contract_changes(time_env.client, settings, started, ["CREATED", "SENT", "SIGNED"])
        async with asyncio.timeout(20):
            await receiver.wait_for(
                lambda s: len(s.delivered("/healthy")) == 3 and s.stalled("/dead") == 3
            )
        # Every event reached the healthy one while the dead one has answered nothing yet.
        assert receiver.at("/dead") == []
        assert all(r.verified for r in receiver.at("/healthy"))


async def test_the_contract_workflow_finishes_without_waiting_for_subscribers(
    time_env: WorkflowEnvironment,
    settings: Settings,
    run_worker: RunWorker,
    subs: Subscriptions,
    sink: tuple[SubscriberSink, str],
    started: list[str],
) -> None:
    receiver, _ = sink
    await endpoint(subs, sink, "/down")
    # The subscriber is down and asks for two hours, longer than the contract's grace period.
    receiver.respond("/down", 503, retry_after="7200")
    async with run_worker(settings):
        contract, [event] = await contract_changes(
            time_env.client, settings, started, ["CANCELLED"]
        )
        # Time skips to just past the grace period and stops there: the delivery's next attempt
        # is not due, so no attempt is in flight when the worker stops (one that is can hang
        # the SDK's shutdown, while skipped time would fire attempt after attempt at it).
        await time_env.sleep(timedelta(hours=1, minutes=1))
        with time_env.auto_time_skipping_disabled():
            view = await contract.result()
        delivery = time_env.client.get_workflow_handle(delivery_workflow_id(event.event_id))
        described = await delivery.describe()
    assert view.status == "CANCELLED"
    assert described.status == WorkflowExecutionStatus.RUNNING  # abandoned, waiting to retry
    [pending] = described.raw_description.pending_activities
    assert pending.attempt == 2  # the second attempt waits for the pause asked for
    assert pending.last_failure.application_failure_info.next_retry_delay.seconds == 7200
    assert len(receiver.at("/down")) == 1


async def test_retry_after_is_honoured(
    time_env: WorkflowEnvironment,
    settings: Settings,
    run_worker: RunWorker,
    subs: Subscriptions,
    sink: tuple[SubscriberSink, str],
    started: list[str],
) -> None:
    receiver, _ = sink
    webhook_id = await endpoint(subs, sink, "/later")
    receiver.respond("/later", 429, times=1, retry_after="600")
    async with run_worker(settings):
        summary = await deliver(time_env.client, settings, started, a_change())
    assert [o.outcome for o in summary.outcomes if o.webhook_id == webhook_id] == ["delivered"]
    first, second = await subs.attempts(webhook_id)
    assert (first.status_code, second.status_code) == (429, 200)
    assert 600 <= (second.at - first.at).total_seconds() < 660


async def test_failing_for_the_disable_period_disables_the_subscription(
    time_env: WorkflowEnvironment,
    settings: Settings,
    run_worker: RunWorker,
    subs: Subscriptions,
    sink: tuple[SubscriberSink, str],
    started: list[str],
) -> None:
    receiver, _ = sink
    webhook_id = await endpoint(subs, sink, "/broken")
    receiver.respond("/broken", 500)
    patient = settings.model_copy(update={"subscription_disable_after": timedelta(hours=2)})
    async with run_worker(patient):
        summary = await deliver(time_env.client, patient, started, a_change())
    [outcome] = [o for o in summary.outcomes if o.webhook_id == webhook_id]
    assert outcome.outcome == "failed"
    assert "subscription disabled" in (outcome.detail or "")
    row = await subs.get(webhook_id)
    assert row.status == "DISABLED"
    assert (row.disabled_reason or "").startswith("every delivery failed since")
    attempts = await subs.attempts(webhook_id)
    span = (attempts[-1].at - attempts[0].at).total_seconds()
    assert 2 * 3600 <= span < 4 * 3600
    assert max(gaps([a.at for a in attempts])) <= 3600 * 1.2 + 1  # 1 h at most, ±20 %


async def test_every_request_verifies_with_the_subscription_secret(
    time_env: WorkflowEnvironment,
    settings: Settings,
    run_worker: RunWorker,
    subs: Subscriptions,
    sink: tuple[SubscriberSink, str],
    started: list[str],
) -> None:
    receiver, base_url = sink
    row = await subs.add(f"{base_url}/signed", ["contract.signed"])
    receiver.endpoint("/signed", row.secret)
    change = a_change()
    async with run_worker(settings):
        await deliver(time_env.client, settings, started, change)
    [request] = receiver.at("/signed")
    payload = Webhook(row.secret).verify(request.body, request.headers)
    assert payload == {
        "type": "contract.signed",
        "timestamp": "2026-03-01T00:00:05Z",
        "data": {
            "contract_id": change.contract_id,
            "vendor": "vlens",
            "external_id": change.external_id,
            "status": "SIGNED",
            "previous_status": "SENT",
            "parties": [],
            "occurred_at": "2026-03-01T00:00:00Z",
        },
    }


async def test_a_change_nobody_subscribed_to_starts_no_delivery_workflow(
    time_env: WorkflowEnvironment,
    settings: Settings,
    run_worker: RunWorker,
    subs: Subscriptions,
    sink: tuple[SubscriberSink, str],
    started: list[str],
) -> None:
    receiver, _ = sink
    await endpoint(subs, sink, "/final-only", events=["contract.countersigned"])
    async with run_worker(settings):
        _, [created, countersigned] = await contract_changes(
            time_env.client, settings, started, ["CREATED", "COUNTERSIGNED"]
        )
        nobody = time_env.client.get_workflow_handle(delivery_workflow_id(created.event_id))
        with pytest.raises(RPCError):
            await nobody.describe()
        summary = await time_env.client.get_workflow_handle_for(
            EventDelivery.run, delivery_workflow_id(countersigned.event_id)
        ).result()
    assert [o.outcome for o in summary.outcomes] == ["delivered"]
    assert [r.event["type"] for r in receiver.at("/final-only") if r.event] == [
        "contract.countersigned"
    ]
