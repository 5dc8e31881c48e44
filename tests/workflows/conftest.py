"""A worker per test on its own time-skipping server, and a way to send it contract events.

The worker runs the workflows under Temporal's strict sandbox, which the production worker
leaves out for speed (worker.WORKFLOW_RUNNER): a clock read, a random draw or I/O in workflow
code fails these tests."""

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.db import SessionFactory
from core.events import ContractEvent, ContractView
from core.settings import Settings
from core.transactions import Transactions
from worker import STRICT_SANDBOX, Deps, build_worker
from workflows.client import lifecycle_config, signal_with_start
from workflows.contract import ContractLifecycle
from workflows.inputs import LifecycleConfig


@pytest_asyncio.fixture
async def worker(
    time_env: WorkflowEnvironment,
    settings: Settings,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
) -> AsyncIterator[Worker]:
    async with build_worker(
        time_env.client,
        Deps(settings, sessions, transactions, http),
        workflow_runner=STRICT_SANDBOX,
    ) as running:
        yield running


async def send(
    client: Client, settings: Settings, event: ContractEvent, config: LifecycleConfig | None = None
) -> WorkflowHandle[ContractLifecycle, ContractView]:
    """Signal-with-start, exactly as the ingress relay does."""
    return await signal_with_start(
        client, settings.temporal_task_queue, event, config or lifecycle_config(settings)
    )
