"""The database a scenario runs on, and how to take it away for a while.

SQLite: a file in the scenario's directory; an outage is a second connection holding an
exclusive lock, so no other writer gets in. PostgreSQL (when DATABASE_URL points at one): a
database of its own, created for the scenario and dropped after, so a shared server is never
wiped; an outage stops the whole cluster and starts it again, as a failover or a restart does.
"""

import asyncio
import sqlite3
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import col, select

from core.db import async_url, open_database
from core.models import StoredEvent

LOCK_WAIT = 30.0  # seconds the lock may wait for a writer already in a transaction


class Database(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def url(self) -> str: ...

    async def outage(self, seconds: float) -> None:
        """Make the database unusable for `seconds`, then give it back."""


@dataclass(frozen=True)
class SqliteFile:
    path: Path
    kind: str = "SQLite"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    async def outage(self, seconds: float) -> None:
        connection = await asyncio.to_thread(_lock, self.path)
        try:
            await asyncio.sleep(seconds)
        finally:
            await asyncio.to_thread(_unlock, connection)


def _lock(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(
        path, timeout=LOCK_WAIT, isolation_level=None, check_same_thread=False
    )
    connection.execute("BEGIN EXCLUSIVE")
    return connection


def _unlock(connection: sqlite3.Connection) -> None:
    connection.execute("ROLLBACK")
    connection.close()


@dataclass(frozen=True)
class PostgresDatabase:
    server_url: str  # DATABASE_URL as given: where to create the scenario's own database
    name: str
    kind: str = "PostgreSQL"

    @property
    def url(self) -> str:
        return make_url(self.server_url).set(database=self.name).render_as_string(False)

    async def outage(self, seconds: float) -> None:
        version, cluster = await asyncio.to_thread(_cluster_of, self.server_url)
        await asyncio.to_thread(_pg_ctlcluster, version, cluster, "stop")
        try:
            await asyncio.sleep(seconds)
        finally:
            await asyncio.to_thread(_pg_ctlcluster, version, cluster, "start")


def is_postgres(url: str | None) -> bool:
    return bool(url) and make_url(url or "").get_backend_name() in ("postgres", "postgresql")


@asynccontextmanager
async def scenario_database(server_url: str | None, data_dir: Path) -> AsyncIterator[Database]:
    if not is_postgres(server_url):
        yield SqliteFile(data_dir / "contractsync.db")
        return
    assert server_url is not None
    database = PostgresDatabase(server_url, f"contractsync_chaos_{uuid.uuid4().hex[:10]}")
    await _admin(server_url, f'CREATE DATABASE "{database.name}"')
    try:
        yield database
    finally:
        await _admin(server_url, f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')


async def _admin(server_url: str, statement: str) -> None:
    engine = create_async_engine(async_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def _cluster_of(server_url: str) -> tuple[str, str]:
    """The Debian cluster (version, name) listening on the URL's port."""
    port = str(make_url(server_url).port or 5432)
    listed = subprocess.run(
        ["pg_lsclusters", "--no-header"],  # noqa: S607  (Debian's tool, from PATH)
        capture_output=True,
        text=True,
        check=True,
    )
    for line in listed.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2] == port:
            return fields[0], fields[1]
    raise RuntimeError(f"no PostgreSQL cluster on port {port} in pg_lsclusters")


def _pg_ctlcluster(version: str, cluster: str, action: str) -> None:
    subprocess.run(  # noqa: S603  (Debian's tool; the cluster comes from pg_lsclusters)
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, action],  # noqa: S607
        capture_output=True,
        check=True,
    )


async def unrelayed_events(url: str) -> int:
    """Stored events not yet marked as handed over to their workflow."""
    async with open_database(url, migrate=False) as sessions, sessions() as session:
        unmarked = select(func.count()).where(col(StoredEvent.relayed_at).is_(None))
        return (await session.exec(unmarked)).one()
