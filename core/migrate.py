"""Alembic, driven from code: `upgrade(url)` runs on every start, safe with several processes."""

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from core.db import async_url, is_sqlite

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = async_url(url)
    return config


def upgrade(url: str, revision: str = "head") -> None:
    with _sqlite_lock(url):
        command.upgrade(alembic_config(url), revision)


@contextmanager
def _sqlite_lock(url: str) -> Iterator[None]:
    """PostgreSQL takes an advisory lock in env.py; SQLite files get a lock file beside them."""
    database = make_url(async_url(url)).database if is_sqlite(url) else None
    if not database or database == ":memory:":
        yield
        return
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.migrate.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
