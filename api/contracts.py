"""Reading contracts: the read model, and the stored events before the workflow's first write;
read-your-write and manual polls through the workflow's updates."""

import base64
import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import Connection, Row, select
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from api.problems import Conflict, NotFound, ServiceUnavailable
from core.events import ContractEvent, ContractView, Party, TimelineEntry, workflow_id_of
from core.models import CONTRACTS, EVENTS, TIMELINE, Contract
from core.settings import Settings
from core.transactions import Transactions
from workflows.contract import ContractLifecycle

if TYPE_CHECKING:
    from api.relay import Relay

log = logging.getLogger("contractsync.contracts")

POLL_TIMEOUT = timedelta(seconds=60)


class ContractSummary(BaseModel):
    contract_id: str
    vendor: str
    external_id: str
    status: str | None
    vendor_status: str | None
    parties: list[Party]
    created_at: datetime | None
    updated_at: datetime | None
    completed_at: datetime | None
    last_event_at: datetime | None
    next_poll_at: datetime | None
    workflow_id: str


class ContractPage(BaseModel):
    items: list[ContractSummary]
    next_cursor: str | None


async def read_contract(
    contract_id: str, transactions: Transactions, settings: Settings
) -> ContractView | None:
    """What the database knows, in one hop to it and nothing asked of Temporal: a dashboard
    polling many contracts costs the workflows nothing.

    The read model is written by a local activity inside the very workflow task that applies a
    change, before that task completes, so no query of the workflow could show a change sooner.
    Before the first write, the stored events show as pending; with neither, None."""
    return await transactions.read(
        lambda connection: _stored_view(connection, contract_id, settings)
    )


def _stored_view(
    connection: Connection, contract_id: str, settings: Settings
) -> ContractView | None:
    row = connection.execute(
        select(CONTRACTS).where(CONTRACTS.c.contract_id == contract_id)
    ).first()
    if row is None:
        return _not_yet_applied(connection, contract_id, settings)
    entries = connection.execute(
        select(TIMELINE).where(TIMELINE.c.contract_id == contract_id).order_by(TIMELINE.c.seq)
    )
    return ContractView(
        **summary_of(row).model_dump(),
        timeline=[TimelineEntry.model_validate(entry, from_attributes=True) for entry in entries],
        temporal_ui_url=ui_url(settings, row.workflow_id),
    )


async def read_after_event(
    contract_id: str,
    event_id: str,
    transactions: Transactions,
    client: Client,
    settings: Settings,
    relay: "Relay",
    wait: timedelta,
) -> ContractView | None:
    """Read-your-write: the contract once the given stored event has been applied.

    The event is handed to the workflow again if the relay has not marked it yet (the workflow
    dedups), then the workflow's `sync` update answers once every event it has is applied.
    """
    stored = await transactions.read(
        lambda connection: connection.execute(
            select(
                EVENTS.c.contract_id, EVENTS.c.payload, EVENTS.c.relayed_at, EVENTS.c.relay_outcome
            ).where(EVENTS.c.event_id == event_id)
        ).first()
    )
    if stored is None or stored.contract_id != contract_id:
        return None
    outcome = stored.relay_outcome
    if stored.relayed_at is None:
        outcome = await relay.hand_off(ContractEvent.model_validate(stored.payload))
    if outcome == "signalled":
        handle = client.get_workflow_handle_for(ContractLifecycle.run, workflow_id_of(contract_id))
        try:
            view: ContractView = await handle.execute_update(
                "sync", result_type=ContractView, rpc_timeout=wait
            )
            return view
        except Exception as error:  # noqa: BLE001  (worker down: answer with what is known)
            log.info("sync update for %s failed: %s", contract_id, error)
    return await read_contract(contract_id, transactions, settings)


async def poll_now(client: Client, contract_id: str) -> ContractView:
    """The workflow's `poll` update: it asks the vendor and applies what changed."""
    handle = client.get_workflow_handle_for(ContractLifecycle.run, workflow_id_of(contract_id))
    try:
        view: ContractView = await handle.execute_update(
            "poll", result_type=ContractView, rpc_timeout=POLL_TIMEOUT
        )
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise NotFound(f"no running contract {contract_id}") from error
        if error.status == RPCStatusCode.FAILED_PRECONDITION:
            raise Conflict(f"{contract_id} is finished; nothing to poll") from error
        raise ServiceUnavailable(f"could not reach the contract's workflow: {error}") from error
    except WorkflowUpdateRPCTimeoutOrCancelledError as error:
        raise ServiceUnavailable("the contract's workflow did not answer in time") from error
    return view


def ui_url(settings: Settings, workflow_id: str) -> str:
    from urllib.parse import quote

    base = settings.temporal_ui_url.rstrip("/")
    namespace = quote(settings.temporal_namespace)
    return f"{base}/namespaces/{namespace}/workflows/{quote(workflow_id, safe='')}"


def _not_yet_applied(
    connection: Connection, contract_id: str, settings: Settings
) -> ContractView | None:
    """Acknowledged but not yet applied (worker or Temporal down): show what is stored."""
    rows = connection.execute(
        select(EVENTS.c.event_id, EVENTS.c.payload, EVENTS.c.received_at)
        .where(EVENTS.c.contract_id == contract_id)
        .order_by(EVENTS.c.received_at)
    ).all()
    if not rows:
        return None
    vendor, _, external_id = contract_id.partition(":")
    workflow_id = workflow_id_of(contract_id)
    return ContractView(
        contract_id=contract_id,
        vendor=vendor,
        external_id=external_id,
        workflow_id=workflow_id,
        temporal_ui_url=ui_url(settings, workflow_id),
        timeline=[
            TimelineEntry(
                event_id=row.event_id,
                source="webhook",
                vendor_event=row.payload.get("vendor_event"),
                status=row.payload.get("status"),
                applied=False,
                occurred_at=row.payload.get("occurred_at"),
                received_at=row.received_at,
                note="pending: stored, not yet applied",
            )
            for row in rows
        ],
    )


def summary_of(row: Contract | Row[Any]) -> ContractSummary:
    return ContractSummary(
        contract_id=row.contract_id,
        vendor=row.vendor,
        external_id=row.external_id,
        status=row.status,
        vendor_status=row.vendor_status,
        parties=[Party.model_validate(party) for party in row.parties or []],
        created_at=row.created_at,
        updated_at=row.updated_at,
        completed_at=row.completed_at,
        last_event_at=row.last_event_at,
        next_poll_at=row.next_poll_at,
        workflow_id=row.workflow_id,
    )


def encode_cursor(row: Contract) -> str:
    key = [row.updated_at.isoformat() if row.updated_at else "", row.contract_id]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime | None, str]:
    updated, contract_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    return (datetime.fromisoformat(updated) if updated else None), str(contract_id)
