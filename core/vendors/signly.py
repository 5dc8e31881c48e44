"""Signly: one JSON POST per process, identity or document event of one participant."""

from core.events import PartyUpdate
from core.settings import Settings
from core.statuses import ContractStatus
from core.vendors.base import (
    InvalidWebhook,
    ParsedWebhook,
    RawWebhook,
    VendorAdapter,
    header,
    load_json_object,
    optional_str,
    parse_time,
    require_str,
    secret_value,
)

COMPLETED = "PROCESS_COMPLETED"
IDENTITY_PREFIXES = ("OTP_", "BIOMETRIC_", "LIVENESS_")

# type -> (contract status, the participant's state)
EVENTS: dict[str, tuple[ContractStatus, str]] = {
    "PROCESS_CREATED": (ContractStatus.CREATED, "CREATED"),
    "PROCESS_STARTED": (ContractStatus.VIEWED, "STARTED"),
    "DOCUMENT_VIEWED": (ContractStatus.VIEWED, "VIEWED"),
    "FIELD_SIGNED": (ContractStatus.SIGNED, "SIGNED"),
    COMPLETED: (ContractStatus.COUNTERSIGNED, "COMPLETED"),
    "PROCESS_FAILED": (ContractStatus.FAILED, "FAILED"),
    "PROCESS_CANCELLED": (ContractStatus.CANCELLED, "CANCELLED"),
    "PROCESS_EXPIRED": (ContractStatus.EXPIRED, "EXPIRED"),
}


class SignlyAdapter(VendorAdapter):
    name = "signly"

    def configured_secret(self, settings: Settings) -> str | None:
        return secret_value(settings.signly_webhook_token)

    def presented_secret(self, raw: RawWebhook, settings: Settings) -> str | None:
        return header(raw, settings.signly_webhook_header.strip())

    def masked_headers(self, settings: Settings) -> frozenset[str]:
        # The header is whatever was set on the vendor's subscription, so it comes from settings.
        return frozenset({settings.signly_webhook_header.strip().lower()})

    def parse(self, raw: RawWebhook) -> ParsedWebhook:
        body = load_json_object(raw.body)
        kind = optional_str(body, "type")
        participant = optional_str(body, "participantId") or None
        data = body.get("data")
        if data is not None and not isinstance(data, dict):
            raise InvalidWebhook("`data` must be an object")
        status, party_state = _meaning(kind)
        parties = []
        if participant and party_state:
            parties.append(PartyUpdate(party_id=participant, state=party_state))
        return ParsedWebhook(
            external_id=require_str(body, "documentId"),
            dedup_key=require_str(body, "eventId"),
            vendor_event=kind,
            status=status,
            vendor_status=optional_str(data, "status", "data.") if data else None,
            parties=parties,
            occurred_at=parse_time(body.get("occurredAt"), "occurredAt"),
            # Each participant has its own process: the document is done when all of them are.
            # Without a participant the event speaks for the whole document.
            requires_all_parties=kind == COMPLETED and participant is not None,
        )


def _meaning(kind: str | None) -> tuple[ContractStatus | None, str | None]:
    """The contract status and the participant's state an event type stands for."""
    known = EVENTS.get(kind or "")
    if known is not None:
        return known
    if kind is not None and kind.startswith(IDENTITY_PREFIXES):
        return None, kind  # an identity milestone belongs to the party, not the lifecycle
    return None, None  # unknown: recorded, and it must not overwrite a known party state
