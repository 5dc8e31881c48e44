"""Real components for every test: Temporal's time-skipping server, a migrated database.

SQLite by default (a fresh file per session); PostgreSQL when DATABASE_URL points at one, in a
database of its own created for this session and dropped after, so a shared server is never
wiped.
"""

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from core.db import SessionFactory, async_url, open_database
from core.settings import Settings
from core.transactions import Transactions
from tests.outbound import Subscriptions, running_sink
from tests.support import binary, register_search_attributes
from tools.subscriber_sink import SubscriberSink
from worker import outbound_http


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    shared = os.environ.get("DATABASE_URL")
    if not shared or make_url(shared).get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'contractsync.db'}"
        return
    name = f"contractsync_test_{uuid.uuid4().hex[:10]}"
    admin = async_url(shared)
    _run_admin(admin, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(shared).set(database=name).render_as_string(hide_password=False)
    finally:
        _run_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run_admin(url: str, statement: str) -> None:
    import asyncio

    async def run() -> None:
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(run())


@pytest_asyncio.fixture(scope="session")
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    async with open_database(database_url) as factory:
        yield factory


@pytest_asyncio.fixture(scope="session")
async def transactions(sessions: SessionFactory) -> AsyncIterator[Transactions]:
    runner = Transactions.of(sessions)
    yield runner
    await runner.close()


@pytest_asyncio.fixture
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping server per test (it starts in a fraction of a second): time is global
    to a server, so anything a test leaves running must not hold back the next test's clock."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await register_search_attributes(env.client)
    try:
        yield env
    finally:
        await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with outbound_http() as client:
        yield client


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        CONTRACTSYNC_ENV="test",
        DATABASE_URL=database_url,
        TEMPORAL_TASK_QUEUE=f"tq-{uuid.uuid4().hex[:8]}",
        CONTRACTSYNC_API_KEYS="test-key",
        ALLOW_PRIVATE_TARGETS=True,
    )


@pytest_asyncio.fixture
async def subs(sessions: SessionFactory) -> AsyncIterator[Subscriptions]:
    made = Subscriptions(sessions)
    yield made
    await made.remove_all()


@pytest_asyncio.fixture
async def sink() -> AsyncIterator[tuple[SubscriberSink, str]]:
    async with running_sink() as running:
        yield running


_exit_status: dict[str, int] = {}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status["status"] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave with pytest's own status, skipping interpreter teardown: the Temporal test
    servers' native bridge can abort the process at exit (sdk-python issue 300), which would
    turn a green run red. Everything pytest reports has been printed by now."""
    import sys

    if "status" in _exit_status:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status["status"])
