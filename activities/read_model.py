"""Writes the `contracts` read model and the full timeline, from the workflow."""

import asyncio
from typing import Any

from sqlmodel import SQLModel
from temporalio import activity

from core.db import SessionFactory
from core.models import Contract, TimelineRow
from core.upsert import insert_for
from workflows.inputs import ReadModelUpdate

_SUMMARY = (
    "vendor",
    "external_id",
    "workflow_id",
    "revision",
    "finished",
    "status",
    "vendor_status",
    "created_at",
    "updated_at",
    "completed_at",
    "last_event_at",
    "next_poll_at",
)


class ReadModelActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn(name="write_read_model")
    async def write(self, update: ReadModelUpdate) -> None:
        """Idempotent: an older revision never overwrites a newer one; entries are keyed.

        Shielded: when the activity is cancelled (a worker shutting down) its transaction
        still ends, committed or rolled back. Cut off mid-way it would stay open, and on SQLite
        an open write transaction keeps every other writer of the file waiting."""
        await asyncio.shield(self._write(update))

    async def _write(self, update: ReadModelUpdate) -> None:
        values = _fit(Contract, {name: getattr(update, name) for name in _SUMMARY})
        values["parties"] = [party.model_dump(mode="json") for party in update.parties]
        async with self._sessions() as session:
            insert = insert_for(session, Contract).values(contract_id=update.contract_id, **values)
            await session.exec(
                insert.on_conflict_do_update(
                    index_elements=["contract_id"],
                    set_=values,
                    where=Contract.revision <= update.revision,
                )
            )
            if update.entries:
                rows = [
                    _fit(
                        TimelineRow,
                        {"contract_id": update.contract_id, "seq": numbered.seq}
                        | numbered.entry.model_dump(),
                    )
                    for numbered in update.entries
                ]
                await session.exec(
                    insert_for(session, TimelineRow).values(rows).on_conflict_do_nothing()
                )
            await session.commit()


def _fit(table: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
    """Text cut to its column's width, NUL dropped. PostgreSQL refuses both, and a refused write
    is retried for ever, holding up every later event of the contract. The workflow keeps the
    whole value (a vendor's long status, a long error in a note); this is only a projection.
    Keys are left alone: they are bounded where they are made."""
    columns = table.__table__.columns  # type: ignore[attr-defined]
    fitted = {}
    for name, value in values.items():
        column = columns.get(name)
        if isinstance(value, str) and column is not None and not column.primary_key:
            value = value.replace("\x00", "")
            width = getattr(column.type, "length", None)
            if isinstance(width, int):
                value = value[:width]
        fitted[name] = value
    return fitted
