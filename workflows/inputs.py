"""One input model per workflow, signal, update and activity: the Temporal payloads."""

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from core.events import Party, TimelineEntry
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
