"""The canonical event and contract views: what crosses every boundary (HTTP, Temporal, SQL).

Vendor adapters turn a vendor's webhook into a `ContractEvent`; the lifecycle folds events into
a contract; `ContractView` is what `GET /contracts/{id}` and the workflow query `state` return.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Source = Literal["webhook", "poll", "timer", "manual"]


def contract_id_for(vendor: str, external_id: str) -> str:
    return f"{vendor}:{external_id}"


def workflow_id_for(vendor: str, external_id: str) -> str:
    return f"contract-{vendor}-{external_id}"


def workflow_id_of(contract_id: str) -> str:
    vendor, _, external_id = contract_id.partition(":")
    return workflow_id_for(vendor, external_id)


class PartyUpdate(BaseModel):
    """What one event says about one signing party."""

    party_id: str
    state: str
    email: str | None = None
    name: str | None = None
    role: str | None = None


class Party(PartyUpdate):
    updated_at: datetime | None = None


class ContractEvent(BaseModel):
    """One vendor event (or poll result, or timer) in canonical form.

    `status` is a canonical status name, or None / an unknown name when the mapping does not
    know the vendor's event: such events are recorded but never applied.
    """

    event_id: str
    contract_id: str
    vendor: str
    external_id: str
    dedup_key: str
    source: Source = "webhook"
    vendor_event: str | None = None
    status: str | None = None
    vendor_status: str | None = None
    parties: list[PartyUpdate] = Field(default_factory=list)
    # Signly: PROCESS_COMPLETED only completes the contract once every known party completed.
    requires_all_parties: bool = False
    occurred_at: datetime | None = None
    received_at: datetime


class TimelineEntry(BaseModel):
    event_id: str
    source: Source
    vendor_event: str | None = None
    status: str | None = None
    applied: bool
    occurred_at: datetime | None = None
    received_at: datetime
    note: str | None = None


class ContractView(BaseModel):
    """The public shape of one contract (API section 3)."""

    contract_id: str
    vendor: str
    external_id: str
    status: str | None = None
    vendor_status: str | None = None
    parties: list[Party] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None
    last_event_at: datetime | None = None
    next_poll_at: datetime | None = None
    timeline: list[TimelineEntry] = Field(default_factory=list)
    workflow_id: str
    temporal_ui_url: str | None = None
