"""INSERT ... ON CONFLICT for both backends (SQLite and PostgreSQL share the syntax)."""

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(bind: AsyncSession | Connection, table: Any) -> Any:
    """The dialect's own `insert`, which has `on_conflict_do_update/nothing`."""
    dialect = bind.get_bind().dialect.name if isinstance(bind, AsyncSession) else bind.dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
