"""Helpers the tests share: binaries from the installed packages, databases, events."""

import shutil
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client

from core.events import ContractEvent, PartyUpdate, contract_id_for
from core.models import StoredEvent
from core.temporal import SEARCH_ATTRIBUTES
from core.vendors import ADAPTERS
from core.vendors.base import RawWebhook
from tools.simulators import Delivery


def binary(name: str) -> str:
    """A binary shipped by a PyPI package, found beside this interpreter first."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} is not installed; run `make install`")
    return found


async def register_search_attributes(client: Client) -> None:
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={
                key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for key in SEARCH_ATTRIBUTES
            },
        )
    )


def make_event(
    external_id: str,
    status: str | None,
    *,
    vendor: str = "vlens",
    key: str | None = None,
    at: datetime | None = None,
    vendor_event: str | None = None,
    parties: list[PartyUpdate] | None = None,
    requires_all_parties: bool = False,
) -> ContractEvent:
    event_id = uuid.uuid4().hex
    return ContractEvent(
        event_id=event_id,
        contract_id=contract_id_for(vendor, external_id),
        vendor=vendor,
        external_id=external_id,
        dedup_key=key or event_id,
        vendor_event=vendor_event or status,
        status=status,
        parties=parties or [],
        requires_all_parties=requires_all_parties,
        occurred_at=at,
        received_at=at or datetime.now(UTC),
    )


def stored_row(event: ContractEvent, lease_until: datetime | None) -> StoredEvent:
    """The `events` row the ingress keeps for `event`; the sweep claims it once the lease is
    past (None: at once)."""
    return StoredEvent(
        event_id=event.event_id,
        vendor=event.vendor,
        dedup_key=event.dedup_key,
        contract_id=event.contract_id,
        payload=event.model_dump(mode="json"),
        received_at=event.received_at,
        lease_until=lease_until,
    )


def event_from(delivery: Delivery, received_at: datetime | None = None) -> ContractEvent:
    """What the ingress stores for a simulated webhook (parsed by the real adapter)."""
    parsed = ADAPTERS[delivery.vendor].parse(
        RawWebhook(
            method=delivery.method,
            headers={name.lower(): value for name, value in delivery.headers.items()},
            query=dict(delivery.query),
            body=delivery.body,
        )
    )
    return ContractEvent(
        event_id=f"evt-{delivery.delivery_key[:40]}",
        contract_id=contract_id_for(delivery.vendor, parsed.external_id),
        vendor=delivery.vendor,
        external_id=parsed.external_id,
        dedup_key=parsed.dedup_key,
        vendor_event=parsed.vendor_event,
        status=parsed.status.value if parsed.status else None,
        vendor_status=parsed.vendor_status,
        parties=parsed.parties,
        requires_all_parties=parsed.requires_all_parties,
        occurred_at=parsed.occurred_at,
        received_at=received_at or delivery.at,
    )
