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
from temporalio.worker import Worker

from activities.read_model import ReadModelActivities
from core.db import SessionFactory, open_database
from core.settings import Settings, get_settings
from core.temporal import connect
from workflows.contract import ContractLifecycle

log = logging.getLogger("contractsync.worker")

WORKFLOWS: Sequence[type] = (ContractLifecycle,)
HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@dataclass(frozen=True)
class Deps:
    """What activities may use; built once per process."""

    settings: Settings
    sessions: SessionFactory
    http: httpx.AsyncClient


def activities_for(deps: Deps) -> list[Any]:
    read_model = ReadModelActivities(deps.sessions)
    return [read_model.write]


@asynccontextmanager
async def outbound_http() -> AsyncIterator[httpx.AsyncClient]:
    """One client for vendors, subscribers and the CRM: explicit timeouts, no redirects."""
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, follow_redirects=False) as http:
        yield http


def build_worker(client: Client, deps: Deps, **options: Any) -> Worker:
    return Worker(
        client,
        task_queue=deps.settings.temporal_task_queue,
        workflows=list(WORKFLOWS),
        activities=activities_for(deps),
        max_cached_workflows=deps.settings.worker_max_cached_workflows,
        **options,
    )


async def run(settings: Settings) -> None:
    client = await connect(settings)
    async with open_database(settings.database_url) as sessions, outbound_http() as http:
        worker = build_worker(client, Deps(settings, sessions, http))
        log.info("worker polling %s on %s", settings.temporal_task_queue, settings.temporal_address)
        await worker.run()


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
