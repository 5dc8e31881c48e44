"""Metrics as Prometheus scrapes them: the API's `/metrics` over HTTP after real webhooks, and
the worker's SDK metrics endpoint after a workflow ran on it."""

import asyncio
import contextlib
import socket
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.main import create_app
from core.db import SessionFactory
from core.events import ContractView
from core.settings import Settings
from core.temporal import connect
from core.transactions import Transactions
from tests.api.conftest import RunApi
from tests.api.webhooks import applied, post_vlens
from tests.support import make_event
from worker import Deps, build_worker, metrics_runtime
from workflows.client import lifecycle_config, signal_with_start

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def vlens(external_id: str, delivery: str, status: str = "Approved") -> dict[str, object]:
    return {
        "Id": delivery,
        "WebhookEvent": "App.BusinessRequestStatusChange",
        "Attempt": 1,
        "Data": {"Id": external_id, "NewStatus": status},
        "CreationTimeUtc": "2026-01-01T00:00:00Z",
    }


async def test_api_metrics_count_webhooks_and_read_the_database(
    api: httpx.AsyncClient, stack_worker: Worker
) -> None:
    external_id = f"m-{uuid.uuid4().hex[:8]}"
    body = vlens(external_id, f"d-{uuid.uuid4()}")
    view = await applied(api, await post_vlens(api, body))
    assert view["status"] == "APPROVED"
    assert (await post_vlens(api, body)).status_code == 200  # duplicate
    assert (await post_vlens(api, body, headers={"X-Webhook-Token": "wrong"})).status_code == 401
    assert (await post_vlens(api, b"not json")).status_code == 400

    response = await api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = parse(response.text)

    # One registry per app: these counts are this app's alone, exactly.
    assert value(samples, "contractsync_webhooks_received_total", vendor="vlens") == 4
    for outcome, count in (("accepted", 1), ("duplicate", 1), ("rejected", 2), ("unavailable", 0)):
        assert value(samples, "contractsync_webhooks_total", vendor="vlens", outcome=outcome) == (
            count
        )
    assert value(samples, "contractsync_webhooks_total", vendor="signly", outcome="accepted") == 0
    assert value(samples, "contractsync_webhook_ack_seconds_count", vendor="vlens") == 4
    assert value(samples, "contractsync_webhook_ack_seconds_sum", vendor="vlens") > 0
    assert value(samples, "contractsync_contracts", vendor="vlens", status="APPROVED") >= 1
    assert value(samples, "contractsync_events_unrelayed") >= 0
    assert value(samples, "contractsync_relay_backlog") >= 0
    assert value(samples, "contractsync_metrics_database_up") == 1
    assert "# TYPE contractsync_deliveries gauge" in response.text


async def test_metrics_need_the_api_key(api: httpx.AsyncClient) -> None:
    response = await api.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401


async def test_unknown_webhook_paths_add_no_series(
    run_api: RunApi, stack_settings: Settings
) -> None:
    async with run_api(stack_settings) as api:
        assert (await api.post("/webhooks/<script>", content=b"{}")).status_code == 404
        text = (await api.get("/metrics")).text
    assert "<script>" not in text


def test_apps_in_one_process_keep_their_own_registries(settings: Settings) -> None:
    first, second = create_app(settings), create_app(settings)
    assert first.state.metrics.registry is not second.state.metrics.registry


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.e2e
async def test_worker_serves_temporal_sdk_metrics(
    dev_env: WorkflowEnvironment,
    stack_settings: Settings,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
) -> None:
    address = f"127.0.0.1:{free_port()}"
    settings = stack_settings.model_copy(update={"worker_metrics_address": address})
    runtime = metrics_runtime(settings)
    assert runtime is not None
    assert metrics_runtime(stack_settings) is None  # unset: off

    client = await connect(settings, runtime=runtime)
    async with build_worker(client, Deps(settings, sessions, transactions, http)):
        handle = await signal_with_start(
            client,
            settings.temporal_task_queue,
            make_event(f"wm-{uuid.uuid4().hex[:8]}", "CREATED"),
            lifecycle_config(settings),
        )
        view = await handle.execute_update("sync", result_type=ContractView)
        assert view.status == "CREATED"
        # The update's answer can reach us before the SDK records the task that sent it.
        queue = ("task_queue", settings.temporal_task_queue)
        wanted = {
            "temporal_workflow_task_execution_latency_count",
            # the read model is written by a local activity in the same workflow task
            "temporal_local_activity_execution_latency_count",
        }
        names: set[str] = set()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                while True:
                    scraped = await http.get(f"http://{address}/metrics")
                    assert scraped.status_code == 200
                    names = {name for name, labels in parse(scraped.text) if queue in labels}
                    if wanted <= names:
                        break
                    await asyncio.sleep(0.05)

    assert wanted <= names, sorted(names)
