"""A fresh stack per measurement: its own Temporal state and its own database.

Each run starts clean so that one run's backlog (events still being relayed, workflows still
being applied) never slows the next. On PostgreSQL (`DATABASE_URL`), each stack gets a
database of its own, created here and dropped after, so a shared server is never wiped.
"""

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from core.db import async_url, is_sqlite
from tools.stack import Stack, running_stack


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(async_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@asynccontextmanager
async def own_database(data_dir: Path, shared_url: str | None) -> AsyncIterator[str]:
    """A SQLite file in `data_dir`, or a new database on the PostgreSQL server."""
    if not shared_url or is_sqlite(shared_url):
        yield f"sqlite:///{data_dir / 'contractsync.db'}"
        return
    name = f"contractsync_bench_{uuid.uuid4().hex[:10]}"
    await _admin(shared_url, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(shared_url).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(shared_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty(data_dir: Path) -> None:
    """No Temporal state file or database left from an earlier run in the same place."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)


@asynccontextmanager
async def fresh_stack(
    data_dir: Path,
    shared_url: str | None,
    extra_env: Mapping[str, str] | None = None,
    apis: int = 1,
) -> AsyncIterator[Stack]:
    """Temporal dev server, one worker and `apis` API processes, started and stopped in a
    thread: they are separate processes, and waiting for their ports must not block the loop
    that may be serving something they call (the vendor status simulator)."""
    _empty(data_dir)
    async with own_database(data_dir, shared_url) as database_url:
        # A port taken between choosing and binding it is chosen again by the stack itself.
        context = running_stack(
            data_dir, apis=apis, database_url=database_url, extra_env=dict(extra_env or {})
        )
        stack = await asyncio.to_thread(context.__enter__)
        try:
            yield stack
        finally:
            await asyncio.to_thread(context.__exit__, None, None, None)
