"""Outbound subscriptions through HTTP: the API as a real server, a real worker on the Temporal
dev server, vendor webhooks in, signed events out to a real subscriber on loopback."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
import pytest_asyncio
from standardwebhooks.webhooks import Webhook
from temporalio.testing import WorkflowEnvironment

from core.db import SessionFactory
from core.models import Subscription
from core.sealing import PREFIX, Sealer, new_key
from core.settings import Settings
from core.transactions import Transactions
from tests.api.conftest import RunApi, api_settings
from tests.api.webhooks import applied, post_vlens, unique
from tests.outbound import Subscriptions, running_sink
from tools.subscriber_sink import SubscriberSink
from worker import Deps, build_worker
from workflows.delivery import delivery_workflow_id
from workflows.inputs import DeliverySummary

PROBLEM = "application/problem+json"


class Hooks:
    """Subscriptions made through the API. When the test ends they are deleted in the
    database itself, so that even a test that broke its API leaves none enabled."""

    def __init__(self, api: httpx.AsyncClient, sessions: SessionFactory) -> None:
        self.api = api
        self.made = Subscriptions(sessions)

    async def create(self, **body: Any) -> dict[str, Any]:
        response = await self.api.post("/v1/webhooks", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        self.made.created.append(created["webhook_id"])
        return created


Running = tuple[httpx.AsyncClient, Settings]
StackFactory = Callable[..., AbstractAsyncContextManager[Running]]


@pytest.fixture
def make_stack(
    run_api: RunApi,
    dev_env: WorkflowEnvironment,
    database_url: str,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
) -> StackFactory:
    """API and worker that may deliver to loopback, where the test's subscriber listens."""

    @asynccontextmanager
    async def make(**env: str) -> AsyncIterator[Running]:
        address = dev_env.client.service_client.config.target_host
        settings = api_settings(database_url, address, ALLOW_PRIVATE_TARGETS="true", **env)
        async with (
            build_worker(dev_env.client, Deps(settings, sessions, transactions, http)),
            run_api(settings) as api,
        ):
            yield api, settings

    return make


@pytest_asyncio.fixture
async def stack(make_stack: StackFactory) -> AsyncIterator[Running]:
    async with make_stack() as running:
        yield running


@pytest_asyncio.fixture
async def hooks(
    stack: tuple[httpx.AsyncClient, Settings], sessions: SessionFactory
) -> AsyncIterator[Hooks]:
    made = Hooks(stack[0], sessions)
    yield made
    await made.made.remove_all()


@pytest_asyncio.fixture
async def sink() -> AsyncIterator[tuple[SubscriberSink, str]]:
    async with running_sink() as running:
        yield running


async def subscribe(
    hooks: Hooks, sink: tuple[SubscriberSink, str], path: str, events: list[str], **body: Any
) -> dict[str, Any]:
    receiver, base_url = sink
    created = await hooks.create(url=f"{base_url}{path}", events=events, **body)
    receiver.endpoint(path, created["secret"])
    return created


async def delivered(env: WorkflowEnvironment, ack: httpx.Response) -> DeliverySummary:
    """Once the event's EventDelivery finished (call it once the workflow surely exists)."""
    workflow_id = delivery_workflow_id(ack.json()["event_id"])
    handle = env.client.get_workflow_handle(workflow_id, result_type=DeliverySummary)
    async with asyncio.timeout(30):
        summary: DeliverySummary = await handle.result()
    return summary


def vlens_event(external: str, status: str) -> dict[str, object]:
    return {
        "Id": unique(),
        "WebhookEvent": "App.BusinessRequestStatusChange",
        "Attempt": 1,
        "Data": {"Id": external, "NewStatus": status},
        "CreationTimeUtc": "2026-02-01T09:00:00Z",
    }


async def test_a_subscription_is_created_read_listed_updated_and_deleted(
    hooks: Hooks, stack: tuple[httpx.AsyncClient, Settings]
) -> None:
    api, _ = stack
    created = await hooks.create(
        url="https://hooks.example.com/contracts",
        events=["contract.countersigned", "contract.declined"],
        description="crm sync",
        custom_headers={"X-Tenant": "acme"},
    )
    webhook_id = created["webhook_id"]
    assert created["status"] == "ENABLED"
    assert created["version"] == 1
    assert created["secret"].startswith("whsec_")
    Webhook(created["secret"])  # a secret the Standard Webhooks library accepts

    read = await api.get(f"/v1/webhooks/{webhook_id}")
    assert read.status_code == 200
    assert read.headers["etag"] == '"1"'
    assert "secret" not in read.json()
    assert read.json()["custom_headers"] == {"X-Tenant": "acme"}

    listed = await api.get("/v1/webhooks", params={"limit": 500})
    assert listed.status_code == 422  # limit is bounded
    listed = await api.get("/v1/webhooks", params={"limit": 200})
    assert webhook_id in [item["webhook_id"] for item in listed.json()["items"]]

    stale = await api.put(
        f"/v1/webhooks/{webhook_id}", json={"events": ["*"]}, headers={"If-Match": '"7"'}
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"] == PROBLEM

    updated = await api.put(
        f"/v1/webhooks/{webhook_id}", json={"events": ["*"]}, headers={"If-Match": '"1"'}
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["events"], updated.json()["version"]) == (["*"], 2)
    assert updated.json()["description"] == "crm sync"  # fields not given are kept

    replayed = await api.put(
        f"/v1/webhooks/{webhook_id}", json={"description": "late"}, headers={"If-Match": "1"}
    )
    assert replayed.status_code == 412  # a writer holding version 1 lost to the one above

    disabled = await api.put(
        f"/v1/webhooks/{webhook_id}/status", json={"status": "DISABLED"}, headers={"If-Match": "2"}
    )
    assert disabled.status_code == 200
    assert (disabled.json()["status"], disabled.json()["version"]) == ("DISABLED", 3)
    stale_status = await api.put(
        f"/v1/webhooks/{webhook_id}/status", json={"status": "ENABLED"}, headers={"If-Match": "2"}
    )
    assert stale_status.status_code == 412

    only_disabled = await api.get("/v1/webhooks", params={"status": "DISABLED", "limit": 200})
    assert {item["status"] for item in only_disabled.json()["items"]} == {"DISABLED"}

    assert (await api.delete(f"/v1/webhooks/{webhook_id}")).status_code == 204
    assert (await api.get(f"/v1/webhooks/{webhook_id}")).status_code == 404
    assert (await api.delete(f"/v1/webhooks/{webhook_id}")).status_code == 404
    assert (await api.get("/v1/webhooks/wh%00x")).status_code == 422  # not an id of ours
    assert (await api.get("/v1/webhooks", params={"cursor": "x\x00"})).status_code == 422


async def test_credentials_in_custom_headers_are_masked_and_kept_when_written_back(
    hooks: Hooks, stack: tuple[httpx.AsyncClient, Settings], sessions: SessionFactory
) -> None:
    api, _ = stack
    secrets = {"Authorization": "Bearer s3cret-value", "X-Api-Key": "k3y-value"}
    created = await hooks.create(
        url="https://hooks.example.com/masked",
        events=["*"],
        custom_headers=secrets | {"X-Tenant": "acme"},
    )
    webhook_id = created["webhook_id"]
    shown = {"Authorization": "***", "X-Api-Key": "***", "X-Tenant": "acme"}
    assert created["custom_headers"] == shown
    read = await api.get(f"/v1/webhooks/{webhook_id}")
    assert read.json()["custom_headers"] == shown
    listed = await api.get("/v1/webhooks", params={"limit": 200})
    assert "s3cret" not in listed.text
    assert "k3y" not in listed.text

    async def stored() -> dict[str, str]:
        async with sessions() as session:
            row = await session.get(Subscription, webhook_id)
            assert row is not None
            return row.custom_headers

    # Read, edited and written back: the masked credentials keep their stored values.
    edited = read.json()["custom_headers"] | {"X-Tenant": "beta"}
    updated = await api.put(f"/v1/webhooks/{webhook_id}", json={"custom_headers": edited})
    assert updated.status_code == 200, updated.text
    assert updated.json()["custom_headers"] == shown | {"X-Tenant": "beta"}
    assert await stored() == secrets | {"X-Tenant": "beta"}

    unknown = await api.put(
        f"/v1/webhooks/{webhook_id}", json={"custom_headers": {"X-Token": "***"}}
    )
    assert unknown.status_code == 422
    assert unknown.headers["content-type"] == PROBLEM
    assert await stored() == secrets | {"X-Tenant": "beta"}

    replaced = await api.put(
        f"/v1/webhooks/{webhook_id}", json={"custom_headers": {"Authorization": "Bearer new"}}
    )
    assert replaced.json()["custom_headers"] == {"Authorization": "***"}
    assert await stored() == {"Authorization": "Bearer new"}


async def test_the_list_is_paged_with_a_cursor(
    hooks: Hooks, stack: tuple[httpx.AsyncClient, Settings]
) -> None:
    api, _ = stack
    mine = [
        (await hooks.create(url=f"https://hooks.example.com/{n}", events=["*"]))["webhook_id"]
        for n in range(5)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await api.get("/v1/webhooks", params=params)).json()
        assert len(page["items"]) <= 2
        seen += [item["webhook_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [webhook_id for webhook_id in seen if webhook_id in mine] == mine
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize(
    "body",
    [
        {"url": "not a url"},
        {"url": "/relative/path"},
        {"url": "ftp://hooks.example.com/x"},
        {"url": "http://"},
        {"url": "https://exa mple.com/"},
        {"url": "https://hooks.example.com/" + "x" * 2100},
        {"events": []},
        {"events": ["contract.signed", "contract.teleported"]},
        {"events": ["CONTRACT.SIGNED"]},
        {"custom_headers": {"webhook-signature": "v1,forged"}},
        {"custom_headers": {"Content-Type": "text/plain"}},
        {"custom_headers": {"Host": "internal"}},
        {"custom_headers": {"X-Split": "a\r\nInjected: yes"}},
        {"custom_headers": {"bad name": "x"}},
        {"custom_headers": {f"X-H{n}": "v" for n in range(21)}},
        {"custom_headers": {"X-Big": "v" * 1500}},
        {"max_attempts": 0},
        {"max_attempts": 10_000},
        {"timeout_ms": 10},
        {"timeout_ms": 600_000},
        {"description": "d" * 501},
        {"description": "nul \x00 inside"},
        {"url": "https://hooks.example.com/\x00"},
    ],
)
async def test_invalid_subscriptions_are_422_problems(
    stack: tuple[httpx.AsyncClient, Settings], body: dict[str, Any]
) -> None:
    api, _ = stack
    response = await api.post(
        "/v1/webhooks", json={"url": "https://hooks.example.com/in", "events": ["*"]} | body
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
        "http://localhost:8000/hook",
        "https://no-such-host.invalid/hook",
    ],
)
async def test_private_and_unresolvable_targets_are_refused(
    api: httpx.AsyncClient, stack_settings: Settings, url: str
) -> None:
    assert not stack_settings.allow_private_targets
    response = await api.post("/v1/webhooks", json={"url": url, "events": ["*"]})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert "url" in response.json()["errors"][0]["loc"]


async def test_an_update_to_a_private_target_is_refused(
    api: httpx.AsyncClient, stack_settings: Settings, sessions: SessionFactory
) -> None:
    hooks = Hooks(api, sessions)
    try:
        created = await hooks.create(url="https://93.184.215.14/in", events=["*"])
        webhook_id = created["webhook_id"]
        moved = await api.put(f"/v1/webhooks/{webhook_id}", json={"url": "http://10.0.0.1/in"})
        assert moved.status_code == 422
        assert (await api.get(f"/v1/webhooks/{webhook_id}")).json()["version"] == 1
    finally:
        await hooks.made.remove_all()


async def test_a_subscriber_receives_exactly_the_events_it_asked_for(
    stack: tuple[httpx.AsyncClient, Settings],
    dev_env: WorkflowEnvironment,
    hooks: Hooks,
    sink: tuple[SubscriberSink, str],
) -> None:
    api, _ = stack
    receiver, _ = sink
    wanted = {
        "/final": ["contract.countersigned"],
        "/milestones": ["contract.created", "contract.signed"],
        "/all": ["*"],
    }
    secrets = {
        path: (await subscribe(hooks, sink, path, events))["secret"]
        for path, events in wanted.items()
    }
    external = unique("e2e-")
    acks = []
    for status in ["Created", "PendingApproval", "Approved", "CustomerSigned"]:
        ack = await post_vlens(api, vlens_event(external, status))
        await applied(api, ack)
        acks.append(ack)
    acks.append(await post_vlens(api, vlens_event(external, "ServiceProviderSigned")))
    await applied(api, acks[-1])
    async with asyncio.timeout(60):
        await receiver.wait_for(lambda s: len(s.delivered("/all")) == 5)
    # Every delivery workflow finished: nothing else can still arrive.
    for ack in acks:
        assert (await delivered(dev_env, ack)).outcomes

    def types(path: str) -> list[str]:
        return [request.event["type"] for request in receiver.at(path) if request.event]

    assert types("/final") == ["contract.countersigned"]
    assert sorted(types("/milestones")) == ["contract.created", "contract.signed"]
    assert sorted(types("/all")) == sorted(
        f"contract.{s}"
        for s in ["created", "pending_approval", "approved", "signed", "countersigned"]
    )
    for path, secret in secrets.items():
        for request in receiver.at(path):
            assert request.ok
            payload = Webhook(secret).verify(request.body, request.headers)
            assert payload["data"]["contract_id"] == f"vlens:{external}"
            assert set(payload) == {"type", "timestamp", "data"}
            assert set(payload["data"]) == {
                "contract_id",
                "vendor",
                "external_id",
                "status",
                "previous_status",
                "parties",
                "occurred_at",
            }
    countersigned = next(r.event for r in receiver.at("/final") if r.event)
    assert countersigned["data"]["previous_status"] == "SIGNED"


async def test_the_test_send_is_signed_logged_and_reports_the_answer(
    stack: tuple[httpx.AsyncClient, Settings], hooks: Hooks, sink: tuple[SubscriberSink, str]
) -> None:
    api, _ = stack
    receiver, _ = sink
    created = await subscribe(hooks, sink, "/tested", ["contract.signed"])
    webhook_id = created["webhook_id"]

    sent = await api.post(f"/v1/webhooks/{webhook_id}/test")
    assert sent.status_code == 200, sent.text
    assert sent.json()["status_code"] == 200
    [request] = receiver.at("/tested")
    assert request.verified
    assert (request.event or {}).get("type") == "contract.test"

    receiver.respond("/tested", 500, body="boom")
    failed = (await api.post(f"/v1/webhooks/{webhook_id}/test")).json()
    assert (failed["status_code"], failed["response"]) == (500, "boom")
    assert (await api.get(f"/v1/webhooks/{webhook_id}")).json()["status"] == "ENABLED"

    log = (await api.get(f"/v1/webhooks/{webhook_id}/deliveries")).json()["items"]
    assert [(item["status_code"], item["trigger"]) for item in log] == [
        (500, "test"),
        (200, "test"),
    ]
    assert log[1]["message_id"] == request.webhook_id
    assert {"delivery_id", "event_id", "attempt", "error", "duration_ms", "at"} <= set(log[0])
    assert (await api.post("/v1/webhooks/wh_nope/test")).status_code == 404


async def test_redelivery_sends_the_same_body_under_the_original_webhook_id(
    stack: tuple[httpx.AsyncClient, Settings],
    dev_env: WorkflowEnvironment,
    hooks: Hooks,
    sink: tuple[SubscriberSink, str],
) -> None:
    api, _ = stack
    receiver, _ = sink
    created = await subscribe(hooks, sink, "/again", ["*"])
    webhook_id = created["webhook_id"]
    ack = await post_vlens(api, vlens_event(unique("redeliver-"), "Approved"))
    await applied(api, ack)
    async with asyncio.timeout(60):
        await receiver.wait_for(lambda s: len(s.delivered("/again")) == 1)
    await delivered(dev_env, ack)  # and so its attempt is logged
    [first] = (await api.get(f"/v1/webhooks/{webhook_id}/deliveries")).json()["items"]

    again = await api.post(f"/v1/deliveries/{first['delivery_id']}/redeliver")
    assert again.status_code == 202, again.text
    assert again.json()["message_id"] == first["message_id"]
    async with asyncio.timeout(60):
        await receiver.wait_for(lambda s: len(s.delivered("/again")) == 2)
    original, resent = receiver.at("/again")
    assert resent.webhook_id == original.webhook_id == first["message_id"]
    assert resent.body == original.body
    assert resent.verified

    assert (await api.post("/v1/deliveries/dlv_nope/redeliver")).status_code == 404
    await api.put(f"/v1/webhooks/{webhook_id}/status", json={"status": "DISABLED"})
    refused = await api.post(f"/v1/deliveries/{first['delivery_id']}/redeliver")
    assert refused.status_code == 422


async def test_credentials_are_sealed_at_rest_and_open_only_to_send(
    make_stack: StackFactory,
    dev_env: WorkflowEnvironment,
    sessions: SessionFactory,
    sink: tuple[SubscriberSink, str],
) -> None:
    key = new_key()
    receiver, _ = sink
    async with make_stack(SECRETS_KEYS=key) as (api, _):
        hooks = Hooks(api, sessions)
        try:
            created = await subscribe(
                hooks,
                sink,
                "/sealed",
                ["contract.created"],
                custom_headers={"Authorization": "Bearer s3cret-value", "X-Tenant": "acme"},
            )
            async with sessions() as session:
                row = await session.get(Subscription, created["webhook_id"])
                assert row is not None
            assert row.secret.startswith(PREFIX)
            assert row.custom_headers["Authorization"].startswith(PREFIX)
            assert row.custom_headers["X-Tenant"] == "acme"
            assert created["secret"] not in row.secret
            assert Sealer([key]).open(row.secret) == created["secret"]

            # The worker opens them to sign and send: the subscriber verifies the signature
            # with the secret it was given, and gets the header as it was written.
            ack = await post_vlens(api, vlens_event(unique("sealed-"), "Created"))
            await applied(api, ack)
            assert (await delivered(dev_env, ack)).outcomes
            tested = await api.post(f"/v1/webhooks/{created['webhook_id']}/test")
            assert tested.json()["status_code"] == 200
            requests = receiver.at("/sealed")
            assert [request.verified for request in requests] == [True, True]
            assert {request.headers["authorization"] for request in requests} == {
                "Bearer s3cret-value"
            }
        finally:
            await hooks.made.remove_all()
