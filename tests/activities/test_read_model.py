"""The read model takes whatever the workflow holds: a write the database refused would be
retried for ever and hold up every later event of the contract (PostgreSQL refuses text over a
column's width, and NUL in text)."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlmodel import select

from activities.read_model import ReadModelActivities
from core.db import SessionFactory
from core.events import TimelineEntry
from core.models import Contract, TimelineRow
from core.transactions import Transactions
from tests.outbound import Subscriptions
from workflows.inputs import NumberedEntry, ReadModelUpdate

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def summary(**fields: Any) -> ReadModelUpdate:
    """A new contract's update: revision 2, SIGNED, at NOW, unless `fields` say otherwise."""
    contract_id = f"vlens:{uuid.uuid4()}"
    return ReadModelUpdate(
        contract_id=contract_id,
        vendor="vlens",
        external_id=contract_id.partition(":")[2],
        workflow_id=f"contract-{contract_id.replace(':', '-')}",
        **({"revision": 2, "status": "SIGNED", "updated_at": NOW} | fields),
    )


async def test_long_or_nul_text_is_fitted_to_its_column(
    sessions: SessionFactory, transactions: Transactions
) -> None:
    """Found by the fault suite: a vendor event name longer than 128 characters stopped the
    contract's workflow on PostgreSQL."""
    event_id = f"evt_{uuid.uuid4().hex}"
    update = summary(
        status="APPROVED",
        vendor_status="S" * 200 + "\x00",
        entries=[
            NumberedEntry(
                seq=1,
                entry=TimelineEntry(
                    event_id=event_id,
                    source="webhook",
                    vendor_event="E\x00" + "e" * 300,
                    status="APPROVED",
                    applied=True,
                    received_at=NOW,
                    note="n" * 600,
                ),
            )
        ],
    )
    contract_id = update.contract_id

    await ReadModelActivities(transactions).write(update)

    async with sessions() as session:
        contract = await session.get(Contract, contract_id)
        row = (
            await session.exec(select(TimelineRow).where(TimelineRow.contract_id == contract_id))
        ).one()
    assert contract is not None
    assert contract.vendor_status == "S" * 128
    assert (row.event_id, row.vendor_event, row.note) == (event_id, "E" + "e" * 127, "n" * 500)


async def test_the_write_answers_which_status_changes_a_subscription_wants(
    transactions: Transactions, subs: Subscriptions
) -> None:
    """The contract's workflow asks with its read-model write (one hop), not on its own."""
    url = "https://hooks.example.com/in"
    await subs.add(url, ["contract.signed", "contract.declined"])
    await subs.add(url, ["*"], status="DISABLED")
    await subs.add(url, ["*"], deleted_at=NOW)
    write = ReadModelActivities(transactions).write
    asked = ["contract.viewed", "contract.declined", "contract.signed", "contract.declined"]

    assert await write(summary(event_types=asked)) == ["contract.declined", "contract.signed"]
    assert await write(summary()) == []

    await subs.add(url, ["*"])
    assert await write(summary(event_types=asked)) == [
        "contract.viewed",
        "contract.declined",
        "contract.signed",
    ]
