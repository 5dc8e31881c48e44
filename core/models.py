"""Database tables. Nothing here crosses a boundary: routes and activities map to core.events."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Table, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime


def _utc(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


class InboundRequest(SQLModel, table=True):
    """Every request a vendor sent, logged before it is judged (secrets masked)."""

    __tablename__ = "inbound_requests"
    __table_args__ = (Index("ix_inbound_vendor_received", "vendor", "received_at"),)

    id: int | None = Field(default=None, primary_key=True)
    vendor: str = Field(max_length=64)
    method: str = Field(max_length=8)
    path: str = Field(max_length=512)
    query: str = Field(default="")
    source_ip: str | None = Field(default=None, max_length=64)
    headers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    body: bytes = Field(default=b"", sa_column=Column(LargeBinary, nullable=False))
    received_at: datetime = _utc(index=True)
    outcome: str = Field(max_length=16, index=True)
    status_code: int
    problem: str | None = None
    contract_id: str | None = Field(default=None, max_length=300, index=True)
    event_id: str | None = Field(default=None, max_length=64)


class StoredEvent(SQLModel, table=True):
    """A canonical vendor event, stored before the ack and relayed to its workflow."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("vendor", "dedup_key", name="uq_events_vendor_dedup"),
        Index("ix_events_unrelayed", "relayed_at", "lease_until"),
    )

    event_id: str = Field(primary_key=True, max_length=64)
    vendor: str = Field(max_length=64)
    dedup_key: str = Field(max_length=256)
    contract_id: str = Field(max_length=300, index=True)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = _utc()
    relayed_at: datetime | None = _utc(default=None)
    lease_until: datetime | None = _utc(default=None)
    relay_outcome: str | None = Field(default=None, max_length=16)


class Contract(SQLModel, table=True):
    """The read model: one row per contract, written by the workflow through an activity."""

    __tablename__ = "contracts"
    __table_args__ = (Index("ix_contracts_updated", "updated_at", "contract_id"),)

    contract_id: str = Field(primary_key=True, max_length=300)
    vendor: str = Field(max_length=64, index=True)
    external_id: str = Field(max_length=256)
    status: str | None = Field(default=None, max_length=32, index=True)
    vendor_status: str | None = Field(default=None, max_length=128)
    parties: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    created_at: datetime | None = _utc(default=None)
    updated_at: datetime | None = _utc(default=None)
    completed_at: datetime | None = _utc(default=None)
    last_event_at: datetime | None = _utc(default=None)
    next_poll_at: datetime | None = _utc(default=None)
    workflow_id: str = Field(max_length=320)
    revision: int = 0
    finished: bool = False


class TimelineRow(SQLModel, table=True):
    """Every timeline entry of every contract, kept in full (the workflow keeps the recent)."""

    __tablename__ = "timeline"
    __table_args__ = (Index("ix_timeline_contract_seq", "contract_id", "seq"),)

    contract_id: str = Field(primary_key=True, max_length=300)
    event_id: str = Field(primary_key=True, max_length=80)
    seq: int
    source: str = Field(max_length=16)
    vendor_event: str | None = Field(default=None, max_length=128)
    status: str | None = Field(default=None, max_length=64)
    applied: bool
    occurred_at: datetime | None = _utc(default=None)
    received_at: datetime = _utc()
    note: str | None = Field(default=None, max_length=500)


class Subscription(SQLModel, table=True):
    """An outbound webhook endpoint. Deleting keeps the row (and its delivery log)."""

    __tablename__ = "subscriptions"

    webhook_id: str = Field(primary_key=True, max_length=64)
    url: str = Field(max_length=2048)
    events: list[str] = Field(sa_column=Column(JSON, nullable=False))
    description: str | None = Field(default=None, max_length=500)
    custom_headers: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    max_attempts: int
    timeout_ms: int
    secret: str = Field(max_length=512)  # sealed when SECRETS_KEYS is set (core.sealing)
    status: str = Field(max_length=16, index=True)
    disabled_reason: str | None = Field(default=None, max_length=500)
    # Start of the current run of failed attempts; cleared by any success.
    failing_since: datetime | None = _utc(default=None)
    version: int = 1
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    deleted_at: datetime | None = _utc(default=None)


class OutboundMessage(SQLModel, table=True):
    """The exact body sent under one `webhook-id`, so a redelivery sends the same bytes."""

    __tablename__ = "outbound_messages"

    message_id: str = Field(primary_key=True, max_length=64)
    webhook_id: str = Field(max_length=64, index=True)
    event_id: str = Field(max_length=80)
    event_type: str = Field(max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _utc()


class DeliveryAttempt(SQLModel, table=True):
    """Every attempt to deliver a message, with what the subscriber answered."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (Index("ix_delivery_attempts_webhook", "webhook_id", "delivery_id"),)

    delivery_id: str = Field(primary_key=True, max_length=64)
    message_id: str = Field(max_length=64, index=True)
    webhook_id: str = Field(max_length=64)
    event_id: str = Field(max_length=80)
    attempt: int
    trigger: str = Field(max_length=16)
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=1000)
    duration_ms: int
    response: str | None = Field(default=None, sa_column=Column(Text))
    at: datetime = _utc()


def table_of(model: type[SQLModel]) -> Table:
    """A model's table, for the hot paths that use SQLAlchemy Core instead of the ORM."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


EVENTS = table_of(StoredEvent)
INBOUND = table_of(InboundRequest)
CONTRACTS = table_of(Contract)
TIMELINE = table_of(TimelineRow)
SUBSCRIPTIONS = table_of(Subscription)
