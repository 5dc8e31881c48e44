"""Documenso: a JSON POST whose `payload` is a full snapshot of the document."""

from typing import Any, ClassVar

from core.events import PartyUpdate
from core.settings import Settings
from core.statuses import ContractStatus
from core.vendors.base import (
    InvalidWebhook,
    ParsedWebhook,
    RawWebhook,
    VendorAdapter,
    digest,
    header,
    load_json_object,
    optional_str,
    parse_time,
    require_id,
    require_object,
    secret_value,
)

AUTH_HEADER = "x-documenso-secret"

EVENTS: dict[str, ContractStatus] = {
    "DOCUMENT_CREATED": ContractStatus.CREATED,
    "DOCUMENT_SENT": ContractStatus.SENT,
    "DOCUMENT_OPENED": ContractStatus.VIEWED,
    "DOCUMENT_SIGNED": ContractStatus.SIGNED,
    "DOCUMENT_COMPLETED": ContractStatus.COUNTERSIGNED,
    "DOCUMENT_REJECTED": ContractStatus.DECLINED,
    "DOCUMENT_CANCELLED": ContractStatus.CANCELLED,
}


class DocumensoAdapter(VendorAdapter):
    name = "documenso"
    secret_headers: ClassVar[frozenset[str]] = frozenset({AUTH_HEADER})

    def configured_secret(self, settings: Settings) -> str | None:
        return secret_value(settings.documenso_webhook_secret)

    def presented_secret(self, raw: RawWebhook, settings: Settings) -> str | None:
        return header(raw, AUTH_HEADER)

    def parse(self, raw: RawWebhook) -> ParsedWebhook:
        body = load_json_object(raw.body)
        event = normalize_event(optional_str(body, "event"))
        document = require_object(body, "payload")
        external_id = require_id(document, "id", "payload.")
        status = optional_str(document, "status", "payload.")
        updated_at = optional_str(document, "updatedAt", "payload.")
        recipients = _recipients(document)
        occurred_at = parse_time(updated_at, "payload.updatedAt") or parse_time(
            document.get("createdAt"), "payload.createdAt"
        )
        return ParsedWebhook(
            external_id=external_id,
            dedup_key=_dedup_key(event, external_id, status, updated_at, recipients),
            vendor_event=event,
            status=_status(event, status, recipients),
            vendor_status=status,
            parties=[_party(recipient) for recipient in recipients],
            occurred_at=occurred_at,
        )


def normalize_event(event: str | None) -> str | None:
    """The docs name events `document.signed`; the payloads say `DOCUMENT_SIGNED`."""
    if event is None or not event.strip():
        return None
    return event.strip().replace(".", "_").upper()


def _recipients(document: dict[str, Any]) -> list[dict[str, Any]]:
    value = document.get("Recipient")
    if value is None:
        return []  # DOCUMENT_CREATED carries no recipients yet
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidWebhook("`payload.Recipient` must be a list of objects")
    for item in value:
        require_id(item, "id", "payload.Recipient[].")
        for key in ("email", "name", "role", "readStatus", "signingStatus", "sendStatus"):
            optional_str(item, key, "payload.Recipient[].")
    return value


def _status(
    event: str | None, status: str | None, recipients: list[dict[str, Any]]
) -> ContractStatus | None:
    # The payload is a snapshot, so it outranks the event name: the vendor's own
    # DOCUMENT_SIGNED example already says COMPLETED.
    if any(item.get("signingStatus") == "REJECTED" for item in recipients):
        return ContractStatus.DECLINED
    if status == "COMPLETED":
        return ContractStatus.COUNTERSIGNED
    if status == "REJECTED":
        return ContractStatus.DECLINED
    return EVENTS.get(event or "")


def _party(recipient: dict[str, Any]) -> PartyUpdate:
    if recipient.get("signingStatus") == "REJECTED":
        state = "DECLINED"
    elif recipient.get("signingStatus") == "SIGNED":
        state = "SIGNED"
    elif recipient.get("readStatus") == "OPENED":
        state = "VIEWED"
    elif recipient.get("sendStatus") == "SENT":
        state = "SENT"
    else:
        state = "PENDING"
    return PartyUpdate(
        party_id=require_id(recipient, "id"),
        state=state,
        email=recipient.get("email"),
        name=recipient.get("name"),
        role=recipient.get("role"),
    )


def _dedup_key(
    event: str | None,
    external_id: str,
    status: str | None,
    updated_at: str | None,
    recipients: list[dict[str, Any]],
) -> str:
    # The top-level `createdAt` is stamped per delivery attempt, so it must stay out.
    signers = sorted(
        (
            {
                "id": require_id(item, "id"),
                "signingStatus": item.get("signingStatus"),
                "readStatus": item.get("readStatus"),
            }
            for item in recipients
        ),
        key=lambda item: str(item["id"]),
    )
    return digest(
        {
            "event": event,
            "id": external_id,
            "status": status,
            "updatedAt": updated_at,
            "recipients": signers,
        }
    )
