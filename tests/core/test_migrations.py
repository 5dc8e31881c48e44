"""The migrations build exactly the schema the models declare: a column widened in a model
without its migration (or the reverse) fails here, on SQLite and on PostgreSQL alike."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlmodel import SQLModel

import core.models  # noqa: F401  (registers every table on SQLModel.metadata)
from core.db import SessionFactory


async def test_the_migrated_schema_is_the_models_schema(sessions: SessionFactory) -> None:
    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    async with sessions() as session:
        connection = await session.connection()
        found = await connection.run_sync(differences)
    assert found == []
