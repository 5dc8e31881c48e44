"""ContractLifecycle on the time-skipping test server, with the real read-model activity."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.db import SessionFactory
from core.events import ContractView
from core.models import Contract, TimelineRow
from core.settings import Settings
from tests.support import make_event
from tests.workflows.conftest import send


def external() -> str:
    return f"c-{uuid.uuid4().hex[:12]}"


async def test_events_out_of_order_and_duplicated_end_in_the_ordered_state(
    time_env: WorkflowEnvironment, worker: Worker, settings: Settings
) -> None:
    contract = external()
    base = datetime(2026, 1, 1, tzinfo=UTC)
    events = [
        make_event(contract, status, key=f"k{i}", at=base + timedelta(minutes=i))
        for i, status in enumerate(["CREATED", "SENT", "VIEWED", "SIGNED", "COUNTERSIGNED"])
    ]
    handle = None
    for event in [events[3], events[0], events[3], events[4], events[1], events[2], events[4]]:
        handle = await send(time_env.client, settings, event)
    assert handle is not None
    view = await handle.execute_update("sync", result_type=ContractView)
    assert view.status == "COUNTERSIGNED"
    applied = {e.vendor_event: e.applied for e in view.timeline if e.source == "webhook"}
    assert [e.note for e in view.timeline if e.source == "timer"] == [
        "crm: skipped, CRM_BASE_URL is not set"
    ]
    assert applied == {
        "SIGNED": True,
        "CREATED": False,
        "COUNTERSIGNED": True,
        "SENT": False,
        "VIEWED": False,
    }
    assert view.workflow_id == f"contract-vlens-{contract}"


async def test_malformed_and_unknown_events_are_recorded_not_applied(
    time_env: WorkflowEnvironment, worker: Worker, settings: Settings
) -> None:
    contract = external()
    handle = await send(time_env.client, settings, make_event(contract, "SENT"))
    await handle.signal("event", {"contract_id": "vlens:x", "status": 7})
    await handle.signal("event", "not even an object")
    await handle.signal("event", make_event(contract, "SIGNED_ON_MARS"))
    await handle.signal("event", make_event(contract, "VIEWED"))
    view = await handle.execute_update("sync", result_type=ContractView)
    assert view.status == "VIEWED"
    notes = [entry.note or "" for entry in view.timeline]
    assert sum(note.startswith("malformed") for note in notes) == 2
    assert "unknown" in notes
    assert [e.applied for e in view.timeline if e.vendor_event == "SIGNED_ON_MARS"] == [False]


async def test_read_model_and_search_attribute_follow_the_state(
    time_env: WorkflowEnvironment, worker: Worker, settings: Settings, sessions: SessionFactory
) -> None:
    contract = external()
    handle = await send(time_env.client, settings, make_event(contract, "CREATED"))
    await handle.signal("event", make_event(contract, "DECLINED"))
    await handle.execute_update("sync", result_type=ContractView)
    description = await handle.describe()
    assert description.typed_search_attributes.get(
        __import__("core.temporal", fromlist=["x"]).CONTRACT_STATUS
    ) in ("DECLINED", "CREATED")
    # the grace period runs out (time skipped), the workflow completes and writes its final row
    result = await handle.result()
    assert result.status == "DECLINED"
    async with sessions() as session:
        row = (
            await session.exec(select(Contract).where(Contract.contract_id == f"vlens:{contract}"))
        ).one()
        timeline = (
            await session.exec(
                select(TimelineRow)
                .where(TimelineRow.contract_id == row.contract_id)
                .order_by(TimelineRow.seq)  # type: ignore[arg-type]
            )
        ).all()
    assert row.status == "DECLINED"
    assert row.finished
    assert row.completed_at is not None
    assert [entry.status for entry in timeline] == ["CREATED", "DECLINED", None]
    assert timeline[-1].note == "crm: skipped, CRM_BASE_URL is not set"


async def test_a_finished_contract_rejects_a_fresh_run(
    time_env: WorkflowEnvironment, worker: Worker, settings: Settings
) -> None:
    from temporalio.exceptions import WorkflowAlreadyStartedError

    contract = external()
    handle = await send(time_env.client, settings, make_event(contract, "CANCELLED"))
    await handle.result()
    with pytest.raises(WorkflowAlreadyStartedError):
        await send(time_env.client, settings, make_event(contract, "SIGNED"))


async def test_thousands_of_events_continue_as_new_and_keep_dedup_keys(
    time_env: WorkflowEnvironment, worker: Worker, settings: Settings, sessions: SessionFactory
) -> None:
    contract = external()
    first = make_event(contract, "CREATED", key="first")
    handle = await send(time_env.client, settings, first)
    for batch in range(6):
        for i in range(500):
            await handle.signal(
                "event",
                make_event(
                    contract,
                    "VIEWED" if batch == 5 and i == 499 else None,
                    key=f"n{batch}-{i}",
                    vendor_event="note",
                ),
            )
    # the very first key again, after several continue-as-new: still a duplicate
    await handle.signal("event", make_event(contract, "SIGNED", key="first"))
    await handle.signal("event", make_event(contract, "APPROVED", key="last"))
    view = await handle.execute_update("sync", result_type=ContractView)
    description = await handle.describe()
    assert description.run_id != handle.first_execution_run_id  # it continued as new
    assert "SIGNED" not in [e.status for e in view.timeline]
    async with sessions() as session:
        rows = (
            await session.exec(
                select(TimelineRow).where(TimelineRow.contract_id == f"vlens:{contract}")
            )
        ).all()
    # every entry is kept in the read model even though the workflow keeps only the recent ones
    assert len(rows) == 1 + 3000 + 1
