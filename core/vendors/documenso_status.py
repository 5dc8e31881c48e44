"""Documenso documents as its v2 API reports them: the same snapshot a webhook's `payload` is.

A snapshot has no event name, so it is read as the event that would have left the document in
this state, and then judged by the ingress adapter's own rules (a rejection or completion in
the snapshot outranks the event, exactly as for a webhook). Its helpers are private to it but
shared here on purpose: recipients and statuses must mean the same whichever way they came.
"""

from typing import Any

from core.settings import Settings
from core.vendors.base import InvalidWebhook, optional_str, parse_time, secret_value
from core.vendors.documenso import _party, _recipients, _status
from core.vendors.status import (
    ApiRequest,
    StatusClient,
    VendorNotConfigured,
    VendorSnapshot,
    join_url,
    path_segment,
)

ENVELOPE_PATH = "api/v2/envelope/{id}"
# document status -> the event that leaves a document in it (PENDING depends on recipients)
IMPLIED_EVENTS = {
    "DRAFT": "DOCUMENT_CREATED",
    "COMPLETED": "DOCUMENT_COMPLETED",
    "REJECTED": "DOCUMENT_REJECTED",
}


class DocumensoStatusClient(StatusClient):
    vendor = "documenso"

    def configured(self, settings: Settings) -> bool:
        # Documenso answers nothing without its API key, so a URL alone is not enough.
        return bool(settings.documenso_api_url and secret_value(settings.documenso_api_key))

    def request(self, settings: Settings, external_id: str) -> ApiRequest:
        key = secret_value(settings.documenso_api_key)
        if not settings.documenso_api_url or not key:
            raise VendorNotConfigured(self.vendor, "DOCUMENSO_API_URL or DOCUMENSO_API_KEY unset")
        path = ENVELOPE_PATH.format(id=path_segment(external_id))
        # Documenso takes the bare API key, not a bearer token.
        return ApiRequest(join_url(settings.documenso_api_url, path), {"Authorization": key})

    def parse(self, body: Any) -> VendorSnapshot:
        if not isinstance(body, dict):
            raise InvalidWebhook("the document must be a JSON object")
        vendor_status = optional_str(body, "status")
        recipients = _recipients(body)
        status = _status(implied_event(body, vendor_status, recipients), vendor_status, recipients)
        return VendorSnapshot(
            status=status.value if status else None,
            vendor_status=vendor_status,
            parties=[_party(recipient) for recipient in recipients],
            occurred_at=parse_time(body.get("updatedAt"), "updatedAt")
            or parse_time(body.get("createdAt"), "createdAt"),
        )


def implied_event(
    document: dict[str, Any], status: str | None, recipients: list[dict[str, Any]]
) -> str | None:
    """The webhook event that would have left the document as it is now."""
    if document.get("deletedAt"):
        # A cancelled document keeps its status and gets `deletedAt`; without this a lost
        # DOCUMENT_CANCELLED could never be found by polling.
        return "DOCUMENT_CANCELLED"
    if status == "PENDING":
        if any(item.get("signingStatus") == "SIGNED" for item in recipients):
            return "DOCUMENT_SIGNED"
        if any(item.get("readStatus") == "OPENED" for item in recipients):
            return "DOCUMENT_OPENED"
        return "DOCUMENT_SENT"
    return IMPLIED_EVENTS.get(status or "")
