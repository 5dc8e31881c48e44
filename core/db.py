"""Engine and session factory: SQLite (WAL) by default, PostgreSQL through the same code."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pydantic_core
from sqlalchemy import event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.types import DateTime, TypeDecorator
from sqlmodel.ext.asyncio.session import AsyncSession

SessionFactory = async_sessionmaker[AsyncSession]

# Seconds a SQLite connection waits for the file's write lock before it gives up.
SQLITE_CONNECT_ARGS = {"timeout": 30}


class JsonText(str):
    """A value already serialized as JSON, written to a JSON column as it is (the ingress has
    its event's JSON anyway: it scans it for NUL characters)."""


def dump_json(value: Any) -> str:
    """The serializer of every JSON column: pydantic's, in Rust, which takes about a third of
    the time of the standard library's on the ingress's rows; `JsonText` passes through."""
    if isinstance(value, JsonText):
        return value
    return pydantic_core.to_json(value).decode()


# For every engine, async or not: JSON columns written the same way everywhere.
ENGINE_ARGS: dict[str, Any] = {"json_serializer": dump_json}


def async_url(url: str) -> str:
    """Map a plain DATABASE_URL onto the async driver for its database."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
    backend = "postgresql" if parsed.get_backend_name() in ("postgres", "postgresql") else None
    backend = backend or parsed.get_backend_name()
    if backend in driver and "+" not in parsed.drivername:
        parsed = parsed.set(drivername=driver[backend])
    elif parsed.drivername == "postgres":
        parsed = parsed.set(drivername=driver["postgresql"])
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str) -> AsyncEngine:
    url = async_url(url)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args=SQLITE_CONNECT_ARGS, **ENGINE_ARGS)
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        return engine
    return create_async_engine(
        url, pool_size=10, max_overflow=20, pool_pre_ping=True, **ENGINE_ARGS
    )


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def open_database(url: str, migrate: bool = True) -> AsyncIterator[SessionFactory]:
    """Open the engine (migrating first), yield a session factory, dispose on exit."""
    if migrate:
        from core.migrate import upgrade

        await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
