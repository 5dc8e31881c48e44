"""FintechOS envelopes: everything arrives in the query string of the URL we configured.

The vendor calls WebhookStatusUrl on every status change and WebhookUrl once the envelope is
finished, with `##Placeholders##` replaced; a POST body, if any, carries nothing we need.
"""

from collections.abc import Mapping
from typing import ClassVar

from core.events import PartyUpdate
from core.settings import Settings
from core.statuses import ContractStatus
from core.vendors.base import (
    InvalidWebhook,
    ParsedWebhook,
    RawWebhook,
    VendorAdapter,
    digest,
    secret_value,
)

AUTH_PARAM = "token"
FINISHED = "envelopeFinished"
FINISH_FLAG = "FTOSIsFinishCallback"
DEDUP_PARAMS = ("envelopeId", "action", "recipientEmail", "recipientOrder", FINISH_FLAG)

ACTIONS: dict[str, ContractStatus] = {
    "workstepOpened": ContractStatus.VIEWED,
    "workstepFinished": ContractStatus.SIGNED,
    "workstepRejected": ContractStatus.DECLINED,
    FINISHED: ContractStatus.COUNTERSIGNED,
    "envelopeExpired": ContractStatus.EXPIRED,
}
PARTY_STATES: dict[str, str] = {
    "workstepOpened": "VIEWED",
    "workstepFinished": "SIGNED",
    "workstepRejected": "DECLINED",
    "workstepDelegated": "DELEGATED",
}


class FintechosAdapter(VendorAdapter):
    name = "fintechos"
    methods: ClassVar[tuple[str, ...]] = ("GET", "POST")
    secret_params: ClassVar[frozenset[str]] = frozenset({AUTH_PARAM})

    def configured_secret(self, settings: Settings) -> str | None:
        return secret_value(settings.fintechos_webhook_token)

    def presented_secret(self, raw: RawWebhook, settings: Settings) -> str | None:
        return raw.query.get(AUTH_PARAM)

    def parse(self, raw: RawWebhook) -> ParsedWebhook:
        query = raw.query
        envelope_id = query.get("envelopeId", "").strip()
        # An unreplaced `##EnvelopeId##` would file every envelope under one contract.
        if not envelope_id or envelope_id.startswith("##"):
            raise InvalidWebhook("missing or invalid query parameter `envelopeId`")
        action = query.get("action", "").strip() or None
        if query.get(FINISH_FLAG, "").strip() == "1":
            status: ContractStatus | None = ContractStatus.COUNTERSIGNED
        else:
            status = ACTIONS.get(action or "")
        return ParsedWebhook(
            external_id=envelope_id,
            dedup_key=digest([query.get(name, "").strip() for name in DEDUP_PARAMS]),
            vendor_event=action,
            status=status,
            parties=_parties(query, action),
        )


def _parties(query: Mapping[str, str], action: str | None) -> list[PartyUpdate]:
    email = query.get("recipientEmail", "").strip()
    order = query.get("recipientOrder", "").strip()
    state = PARTY_STATES.get(action or "")
    # Envelope-level actions (finished, expired, unknown) say nothing about one recipient.
    if state is None or not (email or order):
        return []
    return [PartyUpdate(party_id=email or f"order-{order}", state=state, email=email or None)]
