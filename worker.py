"""Composition root of the worker: settings -> database, HTTP client, Temporal client ->
activities (with their dependencies injected) -> Worker."""

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from activities.crm import CrmActivities
from activities.delivery import DeliveryActivities
from activities.polling import PollingActivities
from activities.read_model import ReadModelActivities
from core.db import SessionFactory, open_database
from core.logging import configure_logging
from core.settings import Settings, get_settings
from core.temporal import connect
from core.tracing import temporal_interceptors, tracer_provider_for
from core.transactions import Transactions
from workflows.contract import ContractLifecycle
from workflows.delivery import EventDelivery, Redelivery

log = logging.getLogger("contractsync.worker")

WORKFLOWS: Sequence[type] = (ContractLifecycle, EventDelivery, Redelivery)
HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)

# Workflows run outside Temporal's sandbox in the worker. The sandbox runs its guard code for
# every payload of every activation (SDK 1.35: `get_serialization_context` execs a snippet in
# the sandbox each time), which made a contract's workflow task take four times as long under
# load: 690 to 800 ms against 175 ms at 100 events/s (docs/benchmarks.md). What the sandbox
# would catch (clock, randomness, I/O, imports with side effects in workflow code) is caught
# before release instead: the workflow tests and the replay tests run under the strict
# default sandbox (`STRICT_SANDBOX`), and tests/workflows/test_determinism.py reads the code.
WORKFLOW_RUNNER = UnsandboxedWorkflowRunner()
STRICT_SANDBOX = SandboxedWorkflowRunner()
# Of the SDK's five workflow-task pollers, two on the shared task queue instead of its default
# one: every new contract's first task is there, and one poller let a burst of new contracts
# wait (docs/benchmarks.md: at 100 events/s, first-task wait p50 about 600 ms with one, 135 to
# 240 ms with two; p99 end to end 2.4 to 2.7 s against 1.1 to 1.5 s). Ten pollers cut the wait
# as well but cost the pipeline a fifth of its throughput; two cost it little.
NONSTICKY_POLL_RATIO = 0.4


@dataclass(frozen=True)
class Deps:
    """What activities may use; built once per process."""

    settings: Settings
    sessions: SessionFactory
    transactions: Transactions
    http: httpx.AsyncClient


def activities_for(deps: Deps) -> list[Any]:
    read_model = ReadModelActivities(deps.transactions)
    polling = PollingActivities(deps.settings, deps.http)
    crm = CrmActivities(deps.settings, deps.http)
    delivery = DeliveryActivities(deps.settings, deps.sessions, deps.transactions, deps.http)
    deliveries = [delivery.list_targets, delivery.has_targets, delivery.deliver]
    return [read_model.write, polling.poll, crm.reconcile, *deliveries]


@asynccontextmanager
async def outbound_http() -> AsyncIterator[httpx.AsyncClient]:
    """One client for vendors, subscribers and the CRM: explicit timeouts, no redirects."""
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, follow_redirects=False) as http:
        yield http


def build_worker(client: Client, deps: Deps, **options: Any) -> Worker:
    options.setdefault("workflow_runner", WORKFLOW_RUNNER)
    return Worker(
        client,
        task_queue=deps.settings.temporal_task_queue,
        workflows=list(WORKFLOWS),
        activities=activities_for(deps),
        max_cached_workflows=deps.settings.worker_max_cached_workflows,
        nonsticky_to_sticky_poll_ratio=NONSTICKY_POLL_RATIO,
        **options,
    )


def metrics_runtime(settings: Settings) -> Runtime | None:
    """A runtime serving the SDK's worker metrics (task slots, poll and task latencies, cache
    size) for Prometheus, when WORKER_METRICS_ADDRESS is set."""
    if not settings.worker_metrics_address:
        return None
    prometheus = PrometheusConfig(bind_address=settings.worker_metrics_address)
    return Runtime(telemetry=TelemetryConfig(metrics=prometheus))


async def run(settings: Settings) -> None:
    tracing = tracer_provider_for(settings, "contractsync-worker")
    client = await connect(
        settings, runtime=metrics_runtime(settings), interceptors=temporal_interceptors(tracing)
    )
    async with open_database(settings.database_url) as sessions, outbound_http() as http:
        transactions = Transactions.of(sessions)
        worker = build_worker(client, Deps(settings, sessions, transactions, http))
        log.info("worker polling %s on %s", settings.temporal_task_queue, settings.temporal_address)
        try:
            await worker.run()
        finally:
            await transactions.close()
            if tracing is not None:
                tracing.shutdown()


def main() -> None:
    settings = get_settings()
    configure_logging(settings)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
