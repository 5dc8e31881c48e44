"""Writes the `contracts` read model and the full timeline, from the workflow."""

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
        """Idempotent: an older revision never overwrites a newer one; entries are keyed."""
        values = {name: getattr(update, name) for name in _SUMMARY}
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
                    {"contract_id": update.contract_id, "seq": numbered.seq}
                    | numbered.entry.model_dump()
                    for numbered in update.entries
                ]
                await session.exec(
                    insert_for(session, TimelineRow).values(rows).on_conflict_do_nothing()
                )
            await session.commit()
