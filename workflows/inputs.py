"""One input model per workflow, signal, update and activity: the Temporal payloads."""

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from core.events import Party, TimelineEntry
from core.outbound import render_body
from core.vendors.status import VendorSnapshot
from workflows.lifecycle import ContractState


class LifecycleConfig(BaseModel):
    """Settings the workflow needs, fixed at start so that replay is deterministic."""

    poll_after: timedelta = timedelta(minutes=15)
    poll_max: timedelta = timedelta(hours=6)
    contract_ttl: timedelta = timedelta(days=30)
    terminal_grace: timedelta = timedelta(days=7)
    temporal_ui_url: str | None = None
    crm_enabled: bool = False


class ContractInput(BaseModel):
    contract_id: str
    vendor: str
    external_id: str
    config: LifecycleConfig = Field(default_factory=LifecycleConfig)
    carried: ContractState | None = None
    written_seq: int = 0
    poll_wait: timedelta | None = None  # current polling backoff, carried across runs


class NumberedEntry(BaseModel):
    seq: int
    entry: TimelineEntry


class ReadModelUpdate(BaseModel):
    """A contract's summary and the timeline entries not yet written."""

    contract_id: str
    vendor: str
    external_id: str
    workflow_id: str
    revision: int
    finished: bool = False
    status: str | None = None
    vendor_status: str | None = None
    parties: list[Party] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None
    last_event_at: datetime | None = None
    next_poll_at: datetime | None = None
    entries: list[NumberedEntry] = Field(default_factory=list)
    # The status changes this update applied (`contract.signed`, ...): the write answers
    # which of them a subscription wants, in the same hop.
    event_types: list[str] = Field(default_factory=list)


class PollRequest(BaseModel):
    """Ask the vendor's API for one contract's current status (activity `poll_vendor`)."""

    vendor: str
    external_id: str


class PollResult(BaseModel):
    """`configured` is false when this deployment has no API for the vendor (nothing asked);
    `found` is false when the vendor does not know the contract."""

    configured: bool
    found: bool = False
    snapshot: VendorSnapshot | None = None


class CrmRecord(BaseModel):
    """A terminal contract's summary, upserted into the CRM (activity `reconcile_crm`)."""

    contract_id: str
    vendor: str
    external_id: str
    status: str | None = None
    vendor_status: str | None = None
    completed_at: datetime | None = None
    parties: list[Party] = Field(default_factory=list)
    updated_at: datetime | None = None


class CrmOutcome(BaseModel):
    """What the reconcile did, for the timeline: skipped (no CRM configured) or matched, and on
    which attempt (earlier attempts failed and were retried by Temporal)."""

    skipped: bool = False
    matched: bool = False
    attempt: int = 1


class ContractChange(BaseModel):
    """A status change, as ContractLifecycle hands it to EventDelivery."""

    event_id: str
    event_type: str
    contract_id: str
    vendor: str
    external_id: str
    status: str
    previous_status: str | None = None
    parties: list[Party] = Field(default_factory=list)
    occurred_at: datetime | None = None
    # When ContractSync applied the change: the body's `timestamp`.
    timestamp: datetime

    def body(self) -> str:
        """The exact body every subscription gets (API section 4)."""
        data = self.model_dump(
            mode="json",
            include={
                "contract_id",
                "vendor",
                "external_id",
                "status",
                "previous_status",
                "parties",
                "occurred_at",
            },
        )
        return render_body(self.event_type, self.timestamp, data)


class TargetQuery(BaseModel):
    event_type: str


class DeliveryTarget(BaseModel):
    webhook_id: str
    max_attempts: int
    timeout_ms: int


class DeliveryTargets(BaseModel):
    targets: list[DeliveryTarget] = Field(default_factory=list)


class Delivery(BaseModel):
    """One message to one subscription: what the `deliver` activity sends on every attempt."""

    message_id: str
    webhook_id: str
    event_id: str
    event_type: str
    body: str
    trigger: Literal["scheduled", "redeliver"] = "scheduled"


class DeliveryOutcome(BaseModel):
    webhook_id: str
    message_id: str
    outcome: Literal["delivered", "skipped", "failed"]
    detail: str | None = None


class DeliverySummary(BaseModel):
    event_id: str
    outcomes: list[DeliveryOutcome] = Field(default_factory=list)


class RedeliveryInput(BaseModel):
    delivery: Delivery
    target: DeliveryTarget
