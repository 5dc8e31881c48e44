"""Whole transactions in one hop: a plain function of a `Connection`, run where it is cheapest.

aiosqlite hands every statement, fetch and commit to its own thread and back, and each hand-back
waits for the event loop. Under load the loop is busy serving requests, so a transaction of a few
statements took milliseconds and held the file's one write lock all that time (measured: a
9-row ingress batch p50 7 ms, p99 42 ms). Here a transaction is one function: on SQLite it runs
whole in a thread of its own with the standard driver (one hop there, one back); on PostgreSQL
asyncpg is asynchronous already and the same function runs through `run_sync`.

A hot writer (the ingress's group commit, the relay's marks) uses `run`; a hot reader (a
contract's page, which dashboards poll) uses `read`, on threads of its own beside the writer's
(in WAL mode readers do not wait for the write lock). Everything else keeps the ordinary async
sessions.
"""

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Self, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import ENGINE_ARGS, SQLITE_CONNECT_ARGS, SessionFactory, sqlite_pragmas

T = TypeVar("T")

READERS = 2  # reading threads on SQLite; their reads run while the writer holds the lock


class Transactions:
    """Runs `work(connection)` inside BEGIN ... COMMIT (ROLLBACK when it raises)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sync: Engine | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._readers: ThreadPoolExecutor | None = None
        if engine.dialect.name == "sqlite":
            # One thread: its transactions never queue for the file's lock behind each other.
            self._sync = create_engine(
                engine.url.set(drivername="sqlite"), connect_args=SQLITE_CONNECT_ARGS, **ENGINE_ARGS
            )
            event.listen(self._sync, "connect", sqlite_pragmas)
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-transactions")
            self._readers = ThreadPoolExecutor(READERS, thread_name_prefix="sqlite-reads")

    @classmethod
    def of(cls, sessions: SessionFactory) -> Self:
        bind = sessions.kw["bind"]
        if not isinstance(bind, AsyncEngine):
            raise TypeError("the session factory is not bound to an engine")
        return cls(bind)

    async def run(self, work: Callable[[Connection], T]) -> T:
        if self._sync is None:
            async with self._engine.begin() as connection:
                return await connection.run_sync(work)
        # Not cancelled with its caller: once started, a transaction runs to COMMIT or ROLLBACK
        # in its thread, so the write lock is never left held.
        return await asyncio.get_running_loop().run_in_executor(
            self._thread, functools.partial(_in_transaction, self._sync, work)
        )

    async def read(self, work: Callable[[Connection], T]) -> T:
        """`work(connection)` outside any write transaction, whole, in one hop."""
        if self._sync is None:
            async with self._engine.connect() as connection:
                return await connection.run_sync(work)
        return await asyncio.get_running_loop().run_in_executor(
            self._readers, functools.partial(_reading, self._sync, work)
        )

    async def close(self) -> None:
        for pool in (self._readers, self._thread):
            if pool is not None:
                await asyncio.to_thread(pool.shutdown, wait=True)
        if self._sync is not None:
            self._sync.dispose()


def _reading(engine: Engine, work: Callable[[Connection], T]) -> T:
    with engine.connect() as connection:
        return work(connection)


def _in_transaction(engine: Engine, work: Callable[[Connection], T]) -> T:
    with engine.begin() as connection:
        return work(connection)
