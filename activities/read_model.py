"""Writes the `contracts` read model and the full timeline, from the workflow, and says which
of the status changes written a subscription wants.

One transaction in one hop (`core.transactions`): through aiosqlite every statement went to
its thread and back through the worker's busy event loop while the transaction held SQLite's
write lock, and the API's webhook commits waited for it (measured: ack p99 125 to 667 ms at
35 events/s end to end, 44 to 51 ms in one hop)."""

import asyncio
import functools
from typing import Any

from sqlalchemy import Connection
from sqlmodel import SQLModel
from temporalio import activity

from activities.subscribers import wanted_event_types
from core.models import Contract, TimelineRow, table_of
from core.transactions import Transactions
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
    def __init__(self, transactions: Transactions) -> None:
        self._transactions = transactions

    @activity.defn(name="write_read_model")
    async def write(self, update: ReadModelUpdate) -> list[str]:
        """Idempotent: an older revision never overwrites a newer one; entries are keyed.
        Returns those of `update.event_types` that an enabled subscription wants.

        Shielded: when the activity is cancelled (a worker shutting down) its transaction
        still ends, committed or rolled back. Cut off mid-way it would stay open, and on SQLite
        an open write transaction keeps every other writer of the file waiting."""
        return await asyncio.shield(self._transactions.run(functools.partial(_write_rows, update)))


def _write_rows(update: ReadModelUpdate, connection: Connection) -> list[str]:
    values = _fit(Contract, {name: getattr(update, name) for name in _SUMMARY})
    values["parties"] = [party.model_dump(mode="json") for party in update.parties]
    insert = insert_for(connection, Contract).values(contract_id=update.contract_id, **values)
    connection.execute(
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
        connection.execute(
            insert_for(connection, TimelineRow).values(rows).on_conflict_do_nothing()
        )
    return wanted_event_types(update.event_types, connection)


def _fit(table: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
    """Text cut to its column's width, NUL dropped. PostgreSQL refuses both, and a refused write
    is retried for ever, holding up every later event of the contract. The workflow keeps the
    whole value (a vendor's long status, a long error in a note); this is only a projection.
    Keys are left alone: they are bounded where they are made."""
    columns = table_of(table).columns
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
