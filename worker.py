"""Composition root of the worker: settings -> database -> client -> activities -> Worker."""

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from activities.read_model import ReadModelActivities
from core.db import SessionFactory, open_database
from core.settings import Settings, get_settings
from core.temporal import connect
from workflows.contract import ContractLifecycle

log = logging.getLogger("contractsync.worker")

WORKFLOWS: Sequence[type] = (ContractLifecycle,)


def activities_for(sessions: SessionFactory) -> list[Any]:
    read_model = ReadModelActivities(sessions)
    return [read_model.write]


def build_worker(
    client: Client, settings: Settings, sessions: SessionFactory, **options: Any
) -> Worker:
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=list(WORKFLOWS),
        activities=activities_for(sessions),
        max_cached_workflows=settings.worker_max_cached_workflows,
        **options,
    )


async def run(settings: Settings) -> None:
    client = await connect(settings)
    async with open_database(settings.database_url) as sessions:
        worker = build_worker(client, settings, sessions)
        log.info("worker polling %s on %s", settings.temporal_task_queue, settings.temporal_address)
        await worker.run()


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
