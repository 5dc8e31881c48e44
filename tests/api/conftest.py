"""The API as a real HTTP server on loopback, against a real Temporal dev server and worker."""

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.main import create_app
from core.db import SessionFactory
from core.settings import Settings
from core.temporal import SEARCH_ATTRIBUTES
from core.transactions import Transactions
from tests.support import binary
from tools.serve import serve
from worker import Deps, build_worker

SECRETS = {
    "VLENS_WEBHOOK_TOKEN": "vlens-token",
    "DOCUMENSO_WEBHOOK_SECRET": "documenso-secret",
    "FINTECHOS_WEBHOOK_TOKEN": "fintechos-token",
    "SIGNLY_WEBHOOK_TOKEN": "signly-token",
}
API_KEY = "test-key"


@pytest_asyncio.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server (the one `make run` uses), with our search attributes."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=list(SEARCH_ATTRIBUTES),
        dev_server_log_level="error",
    )
    try:
        yield env
    finally:
        await env.shutdown()


def api_settings(database_url: str, address: str, **overrides: str) -> Settings:
    values = {
        "CONTRACTSYNC_ENV": "test",
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": address,
        "TEMPORAL_TASK_QUEUE": f"api-{uuid.uuid4().hex[:8]}",
        "CONTRACTSYNC_API_KEYS": API_KEY,
        "RELAY_INTERVAL": "200ms",
        "RELAY_LEASE": "2s",
        "TERMINAL_GRACE": "1h",
        **SECRETS,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def stack_settings(database_url: str, dev_env: WorkflowEnvironment) -> Settings:
    return api_settings(database_url, dev_env.client.service_client.config.target_host)


RunApi = Callable[[Settings], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def run_api() -> RunApi:
    @asynccontextmanager
    async def running(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
        async with (
            serve(create_app(settings)) as base_url,
            httpx.AsyncClient(
                base_url=base_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30
            ) as http,
        ):
            yield http

    return running


@pytest_asyncio.fixture
async def api(run_api: RunApi, stack_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with run_api(stack_settings) as http:
        yield http


@pytest_asyncio.fixture
async def stack_worker(
    dev_env: WorkflowEnvironment,
    stack_settings: Settings,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
) -> AsyncIterator[Worker]:
    async with build_worker(
        dev_env.client, Deps(stack_settings, sessions, transactions, http)
    ) as running:
        yield running


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    from tests.core.vendors import shared_dir

    return shared_dir() / "fixtures"
