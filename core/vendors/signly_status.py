"""Signly documents by id.

Signly documents only webhook management; it recommends "targeted document lookups for
reconciliation" without naming one. This is our smallest plausible definition, behind a
configurable base URL: `GET {SIGNLY_API_URL}/v1/documents/{documentId}` with the same tenant
headers as its documented endpoints, answering in its usual envelope with
`data: {documentId, status, participants: [{participantId, status}], updatedAt}`.
"""

from typing import Any

from core.events import PartyUpdate
from core.settings import Settings
from core.statuses import ContractStatus
from core.vendors.base import (
    InvalidWebhook,
    optional_str,
    parse_time,
    require_object,
    require_str,
    secret_value,
)
from core.vendors.signly import EVENTS
from core.vendors.status import (
    ApiRequest,
    StatusClient,
    VendorNotConfigured,
    VendorSnapshot,
    join_url,
    path_segment,
)

DOCUMENT_PATH = "v1/documents/{id}"
TENANT_HEADER = "X-Tenant-Signly"
AUTH_HEADER = "X-Auth-Signly"
# A participant in one of these has signed, even while the process as a whole is STARTED.
SIGNED_PARTICIPANT = frozenset({"SIGNED", "COMPLETED"})


class SignlyStatusClient(StatusClient):
    vendor = "signly"

    def configured(self, settings: Settings) -> bool:
        return bool(
            settings.signly_api_url
            and settings.signly_tenant_id
            and secret_value(settings.signly_api_key)
        )

    def request(self, settings: Settings, external_id: str) -> ApiRequest:
        key = secret_value(settings.signly_api_key)
        if not (settings.signly_api_url and settings.signly_tenant_id and key):
            raise VendorNotConfigured(
                self.vendor, "SIGNLY_API_URL, SIGNLY_TENANT_ID or SIGNLY_API_KEY unset"
            )
        return ApiRequest(
            join_url(settings.signly_api_url, DOCUMENT_PATH.format(id=path_segment(external_id))),
            {TENANT_HEADER: settings.signly_tenant_id, AUTH_HEADER: key},
        )

    def parse(self, body: Any) -> VendorSnapshot:
        if not isinstance(body, dict):
            raise InvalidWebhook("the answer must be a JSON object")
        data = require_object(body, "data")
        vendor_status = optional_str(data, "status", "data.")
        parties = _participants(data)
        return VendorSnapshot(
            status=_status(vendor_status, parties),
            vendor_status=vendor_status,
            parties=parties,
            occurred_at=parse_time(data.get("updatedAt"), "data.updatedAt"),
        )


def _status(process: str | None, parties: list[PartyUpdate]) -> str | None:
    # A process status is what its PROCESS_* event left behind, so the webhook table maps it.
    known = EVENTS.get(f"PROCESS_{process}") if process else None
    if known is None:
        return None
    status = known[0]
    if status is ContractStatus.VIEWED and any(p.state in SIGNED_PARTICIPANT for p in parties):
        status = EVENTS["FIELD_SIGNED"][0]  # a lost FIELD_SIGNED is still found
    return status.value


def _participants(data: dict[str, Any]) -> list[PartyUpdate]:
    value = data.get("participants")
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidWebhook("`data.participants` must be a list of objects")
    parties = []
    for item in value:
        state = optional_str(item, "status", "data.participants[].")
        if state:
            parties.append(PartyUpdate(party_id=require_str(item, "participantId"), state=state))
    return parties
