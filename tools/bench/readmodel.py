"""What the benchmark reads back from the stack's database: how much has been applied."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from core.db import create_engine
from core.models import Contract, TimelineRow


@asynccontextmanager
async def reader(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def applied_webhooks(engine: AsyncEngine) -> int:
    """Webhook events the workflows have taken in and written to the read model's timeline
    (applied or not: an out-of-order event is processed all the same)."""
    async with engine.connect() as connection:
        query = select(func.count()).select_from(TimelineRow).where(TimelineRow.source == "webhook")
        return int((await connection.execute(query)).scalar_one())


async def contracts(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        query = select(func.count(col(Contract.contract_id)))
        return int((await connection.execute(query)).scalar_one())


async def wait_for_applied(
    engine: AsyncEngine, target: int, give_up_after: float, interval: float = 0.1
) -> float | None:
    """Wall-clock time when `target` webhook events were in the read model, or None."""
    deadline = time.monotonic() + give_up_after
    while time.monotonic() < deadline:
        if await applied_webhooks(engine) >= target:
            return time.time()
        await asyncio.sleep(interval)
    return None
