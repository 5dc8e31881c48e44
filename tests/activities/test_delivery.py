"""The delivery activities, called one attempt at a time, against a real subscriber on loopback
and the real database: what is retried, what is final, what gets logged and disabled."""

import contextlib
import dataclasses
import socket
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.delivery import DeliveryActivities
from core.db import SessionFactory
from core.models import Subscription
from core.outbound import RESPONSE_EXCERPT_BYTES, message_id_for
from core.settings import Settings
from core.transactions import Transactions
from tests.outbound import Subscriptions
from tools.subscriber_sink import SubscriberSink
from workflows.inputs import Delivery, TargetQuery

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def activities(
    settings: Settings,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
    **overrides: object,
) -> DeliveryActivities:
    return DeliveryActivities(settings.model_copy(update=overrides), sessions, transactions, http)


def attempt_at(at: datetime) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, started_time=at, current_attempt_scheduled_time=at)
    return env


def delivery_to(subscription: Subscription, event_type: str = "contract.signed") -> Delivery:
    event_id = uuid.uuid4().hex
    body = f'{{"type":"{event_type}","timestamp":"2026-03-01T12:00:00Z","data":{{}}}}'
    return Delivery(
        message_id=message_id_for(event_id, subscription.webhook_id),
        webhook_id=subscription.webhook_id,
        event_id=event_id,
        event_type=event_type,
        body=body,
    )


async def endpoint(
    subs: Subscriptions, sink: tuple[SubscriberSink, str], path: str, **fields: Any
) -> Subscription:
    receiver, base_url = sink
    row = await subs.add(f"{base_url}{path}", **fields)
    receiver.endpoint(path, row.secret)
    return row


async def test_a_2xx_is_delivered_signed_once_and_logged(
    settings: Settings,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
    subs: Subscriptions,
    sink: tuple[SubscriberSink, str],
) -> None:
    receiver, _ = sink
    row = await endpoint(subs, sink, "/ok", custom_headers={"X-Tenant": "acme"})
    receiver.respond("/ok", 200, body="thanks")
    delivery = delivery_to(row)

    outcome = await attempt_at(T0).run(
        activities(settings, sessions, transactions, http).deliver, delivery
    )

    assert outcome.outcome == "delivered"
    [request] = receiver.at("/ok")
    assert request.verified
    assert request.webhook_id == delivery.message_id
    assert request.body == delivery.body.encode()
    assert request.headers["x-tenant"] == "acme"
    assert request.headers["content-type"] == "application/json"
    [attempt] = await subs.attempts(row.webhook_id)
    assert (attempt.attempt, attempt.status_code, attempt.error) == (1, 200, None)
    assert attempt.response == "thanks"
    assert attempt.at == T0
    assert attempt.duration_ms >= 0


@pytest.mark.parametrize(
    ("status", "retry_after", "expected_delay"),
    [
        (500, None, None),
        (503, "120", timedelta(seconds=120)),
        (429, "Sun, 01 Mar 2099 12:00:00 GMT", timedelta(hours=6)),  # capped
        (408, None, None),
    ],
)
async def test_408_429_and_5xx_are_retried_honouring_retry_after(
    settings: Settings,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
    subs: Subscriptions,
    sink: tuple[SubscriberSink, str],
    status: int,
    retry_after: str | None,
    expected_delay: timedelta | None,
) -> None:
    receiver, _ = sink
    row = await endpoint(subs, sink, "/busy")
    receiver.respond("/busy", status, retry_after=retry_after)

    with pytest.raises(ApplicationError) as raised:
        await attempt_at(T0).run(
            activities(settings, sessions, transactions, http).deliver, delivery_to(row)
        )

    assert not raised.value.non_retryable
    delay = raised.value.next_retry_delay
    if expected_delay is None:  # the first pause of the backoff: 5 s, ±20 %
        assert delay is not None
        assert timedelta(seconds=4) <= delay <= timedelta(seconds=6)
    else:
        assert delay == expected_delay
    assert (await subs.get(row.webhook_id)).status == "ENABLED"
    [attempt] = await subs.attempts(row.webhook_id)
    assert attempt.status_code == status


async def test_a_network_error_is_retried(
    settings: Settings,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
    subs: Subscriptions,
) -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    row = await subs.add(f"http://127.0.0.1:{port}/gone-away")

    with pytest.raises(ApplicationError) as raised:
        await attempt_at(T0).run(
            activities(settings, sessions, transactions, http).deliver, delivery_to(row)
        )

    assert not raised.value.non_retryable
    [attempt] = await subs.attempts(row.webhook_id)
    assert attempt.status_code is None
    assert "ConnectError" in (attempt.error or "")


async def test_a_stalled_subscriber_times_out_and_is_retried(
    settings: Settings,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
    subs: Subscriptions,
    sink: tuple[SubscriberSink, str],
) -> None:
    receiver, _ = sink
    row = await endpoint(subs, sink, "/slow", timeout_ms=500)
    receiver.stall("/slow")

    with pytest.raises(ApplicationError) as raised:
        await attempt_at(T0).run(
            activities(settings, sessions, transactions, http).deliver, delivery_to(row)
        )

    assert not raised.value.non_retryable
    [attempt] = await subs.attempts(row.webhook_id)
    assert "Timeout" in (attempt.error or "")
    assert 400 <= attempt.duration_ms < 5_000


@pytest.mark.parametrize("status", [400, 401, 404, 302])
async def test_other_4xx_and_redirects_are_final(
    settings: Settings,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
    subs: Subscriptions,
    sink: tuple[SubscriberSink, str],
    status: int,
) -> None:
    receiver, _ = sink
    row = await endpoint(subs, sink, "/picky")
    receiver.respond("/picky", status, body="x" * (3 * RESPONSE_EXCERPT_BYTES))

    with pytest.raises(ApplicationError) as raised:
        await attempt_at(T0).run(
            activities(settings, sessions, transactions, http).deliver, delivery_to(row)
        )

    assert raised.value.non_retryable
    assert (await subs.get(row.webhook_id)).status == "ENABLED"
    [attempt] = await subs.attempts(row.webhook_id)
    assert attempt.status_code == status
    assert attempt.response == "x" * RESPONSE_EXCERPT_BYTES


async def test_410_disables_the_subscription_and_later_deliveries_are_skipped(
    settings: Settings,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
    subs: Subscriptions,
    sink: tuple[SubscriberSink, str],
) -> None:
    receiver, _ = sink
    row = await endpoint(subs, sink, "/gone")
    receiver.respond("/gone", 410)
    deliver = activities(settings, sessions, transactions, http).deliver

    with pytest.raises(ApplicationError) as raised:
        await attempt_at(T0).run(deliver, delivery_to(row))
    assert raised.value.non_retryable
    disabled = await subs.get(row.webhook_id)
    assert disabled.status == "DISABLED"
    assert "410" in (disabled.disabled_reason or "")
    assert disabled.version == row.version + 1

    outcome = await attempt_at(T0).run(deliver, delivery_to(row))
    assert outcome.outcome == "skipped"
    assert len(receiver.at("/gone")) == 1


async def test_failing_for_the_whole_disable_period_disables_and_a_success_resets_it(
    settings: Settings,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
    subs: Subscriptions,
    sink: tuple[SubscriberSink, str],
) -> None:
    receiver, _ = sink
    row = await endpoint(subs, sink, "/flaky")
    deliver = activities(
        settings, sessions, transactions, http, subscription_disable_after=timedelta(hours=1)
    ).deliver

    async def attempt(at: datetime, status: int) -> None:
        receiver.respond("/flaky", status)
        with contextlib.suppress(ApplicationError):
            await attempt_at(at).run(deliver, delivery_to(row))

    await attempt(T0, 500)
    await attempt(T0 + timedelta(minutes=50), 500)
    await attempt(T0 + timedelta(minutes=55), 200)  # the run of failures ends here
    await attempt(T0 + timedelta(minutes=70), 500)
    assert (await subs.get(row.webhook_id)).status == "ENABLED"

    receiver.respond("/flaky", 500)
    with pytest.raises(ApplicationError) as raised:
        await attempt_at(T0 + timedelta(minutes=130)).run(deliver, delivery_to(row))
    assert raised.value.non_retryable
    disabled = await subs.get(row.webhook_id)
    assert disabled.status == "DISABLED"
    assert "failed since 2026-03-01T13:10" in (disabled.disabled_reason or "")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_a_private_target_is_refused_at_delivery_time(
    settings: Settings,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
    subs: Subscriptions,
    sink: tuple[SubscriberSink, str],
    host: str,
) -> None:
    """Saved while private targets were allowed (or the name moved since): refused, final."""
    receiver, base_url = sink
    row = await endpoint(subs, sink, "/internal")
    await subs.get(row.webhook_id)
    async with sessions() as session:
        stored = await session.get(Subscription, row.webhook_id)
        assert stored is not None
        stored.url = base_url.replace("127.0.0.1", host) + "/internal"
        await session.commit()
    strict = activities(settings, sessions, transactions, http, allow_private_targets=False)

    with pytest.raises(ApplicationError) as raised:
        await attempt_at(T0).run(strict.deliver, delivery_to(row))

    assert raised.value.non_retryable
    assert receiver.at("/internal") == []
    [attempt] = await subs.attempts(row.webhook_id)
    assert (attempt.error or "").startswith("refused target")


async def test_targets_are_the_enabled_subscriptions_that_want_the_event(
    settings: Settings,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
    subs: Subscriptions,
) -> None:
    url = "https://hooks.example.com/in"
    everything = await subs.add(url, ["*"])
    signed = await subs.add(url, ["contract.signed", "contract.declined"], max_attempts=7)
    other = await subs.add(url, ["contract.countersigned"])
    disabled = await subs.add(url, ["*"], status="DISABLED")
    deleted = await subs.add(url, ["*"], deleted_at=T0)
    lister = activities(settings, sessions, transactions, http).list_targets

    found = await ActivityEnvironment().run(lister, TargetQuery(event_type="contract.signed"))

    ids = {target.webhook_id: target for target in found.targets}
    assert everything.webhook_id in ids
    assert ids[signed.webhook_id].max_attempts == 7
    assert {other.webhook_id, disabled.webhook_id, deleted.webhook_id}.isdisjoint(ids)
