"""FintechOS envelopes by id.

FintechOS documents only its callbacks, not an envelope lookup. This is our smallest plausible
definition, behind a configurable base URL:
`GET {FINTECHOS_API_URL}/api/envelopes/{envelopeId}/status` (bearer `FINTECHOS_API_KEY` when
set) answering `{envelopeId, status: Created|InProgress|Finished|Rejected|Expired,
recipients: [{email, order, status: Pending|Opened|Finished|Rejected}], updatedAt}`.

Statuses are read as the callback `action` that leaves an envelope or a recipient in them, so
the adapter's own tables and party rule (email, else `order-N`) decide what they mean.
"""

from typing import Any

from core.settings import Settings
from core.statuses import ContractStatus
from core.vendors.base import InvalidWebhook, optional_str, parse_time, secret_value
from core.vendors.fintechos import ACTIONS, FINISHED
from core.vendors.fintechos import _parties as _callback_parties
from core.vendors.status import (
    ApiRequest,
    StatusClient,
    VendorNotConfigured,
    VendorSnapshot,
    bearer,
    join_url,
    path_segment,
)

STATUS_PATH = "api/envelopes/{id}/status"
OPENED = "workstepOpened"
SIGNED = "workstepFinished"
REJECTED = "workstepRejected"
# envelope status -> the callback action that ends in it (InProgress depends on recipients)
ENVELOPE_ACTIONS = {"Finished": FINISHED, "Rejected": REJECTED, "Expired": "envelopeExpired"}
RECIPIENT_ACTIONS = {"Opened": OPENED, "Finished": SIGNED, "Rejected": REJECTED}


class FintechosStatusClient(StatusClient):
    vendor = "fintechos"

    def configured(self, settings: Settings) -> bool:
        return bool(settings.fintechos_api_url)

    def request(self, settings: Settings, external_id: str) -> ApiRequest:
        if not settings.fintechos_api_url:
            raise VendorNotConfigured(self.vendor, "FINTECHOS_API_URL is not set")
        return ApiRequest(
            join_url(settings.fintechos_api_url, STATUS_PATH.format(id=path_segment(external_id))),
            bearer(secret_value(settings.fintechos_api_key)),
        )

    def parse(self, body: Any) -> VendorSnapshot:
        if not isinstance(body, dict):
            raise InvalidWebhook("the envelope must be a JSON object")
        vendor_status = optional_str(body, "status")
        recipients = _recipients(body)
        actions = [RECIPIENT_ACTIONS.get(optional_str(item, "status") or "") for item in recipients]
        status = _status(vendor_status, actions)
        return VendorSnapshot(
            status=status.value if status else None,
            vendor_status=vendor_status,
            parties=[
                party
                for item, action in zip(recipients, actions, strict=True)
                for party in _callback_parties(_as_query(item), action)
            ],
            occurred_at=parse_time(body.get("updatedAt"), "updatedAt"),
        )


def _status(envelope: str | None, actions: list[str | None]) -> ContractStatus | None:
    if envelope == "Created":
        return ContractStatus.CREATED  # no callback announces a new envelope
    if envelope == "InProgress":
        if SIGNED in actions:
            return ACTIONS[SIGNED]
        if OPENED in actions or REJECTED in actions or not actions:
            return ACTIONS[OPENED]
        return ContractStatus.SENT  # out for signing, nobody has opened it yet
    return ACTIONS.get(ENVELOPE_ACTIONS.get(envelope or "", ""))


def _recipients(body: dict[str, Any]) -> list[dict[str, Any]]:
    value = body.get("recipients")
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidWebhook("`recipients` must be a list of objects")
    return value


def _as_query(recipient: dict[str, Any]) -> dict[str, str]:
    """A recipient as the callback's query string names it."""
    email = recipient.get("email")
    order = recipient.get("order")
    if email is not None and not isinstance(email, str):
        raise InvalidWebhook("`recipients[].email` must be a string")
    if order is not None and (isinstance(order, bool) or not isinstance(order, int | str)):
        raise InvalidWebhook("`recipients[].order` must be a number")
    return {"recipientEmail": email or "", "recipientOrder": "" if order is None else str(order)}
