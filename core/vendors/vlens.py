"""Vlens (E-Contracting): one JSON POST per business request status change."""

from typing import ClassVar

from core.settings import Settings
from core.statuses import ContractStatus
from core.vendors.base import (
    ParsedWebhook,
    RawWebhook,
    VendorAdapter,
    header,
    load_json_object,
    optional_str,
    parse_time,
    require_object,
    require_str,
    secret_value,
)

STATUS_CHANGE = "App.BusinessRequestStatusChange"
AUTH_HEADER = "x-webhook-token"
AUTH_PARAM = "token"

STATUSES: dict[str, ContractStatus] = {
    "Created": ContractStatus.CREATED,
    "PendingApproval": ContractStatus.PENDING_APPROVAL,
    "Approved": ContractStatus.APPROVED,
    "CustomerSigned": ContractStatus.SIGNED,
    "ServiceProviderSigned": ContractStatus.COUNTERSIGNED,
    "Rejected": ContractStatus.DECLINED,
    "Cancelled": ContractStatus.CANCELLED,
    "Canceled": ContractStatus.CANCELLED,
    "Expired": ContractStatus.EXPIRED,
}


class VlensAdapter(VendorAdapter):
    name = "vlens"
    secret_headers: ClassVar[frozenset[str]] = frozenset({AUTH_HEADER})
    secret_params: ClassVar[frozenset[str]] = frozenset({AUTH_PARAM})

    def configured_secret(self, settings: Settings) -> str | None:
        return secret_value(settings.vlens_webhook_token)

    def presented_secret(self, raw: RawWebhook, settings: Settings) -> str | None:
        token = raw.query.get(AUTH_PARAM)
        return token if token is not None else header(raw, AUTH_HEADER)

    def parse(self, raw: RawWebhook) -> ParsedWebhook:
        body = load_json_object(raw.body)
        data = require_object(body, "Data")
        event = optional_str(body, "WebhookEvent")
        new_status = optional_str(data, "NewStatus", "Data.")
        # Only the status-change event carries a lifecycle status; another event is recorded.
        known_event = event is None or event == STATUS_CHANGE
        return ParsedWebhook(
            external_id=require_str(data, "Id", "Data."),
            # `Id` names the delivery and stays the same across `Attempt`s.
            dedup_key=require_str(body, "Id"),
            vendor_event=event,
            status=STATUSES.get(new_status or "") if known_event else None,
            vendor_status=new_status,
            occurred_at=parse_time(body.get("CreationTimeUtc"), "CreationTimeUtc"),
        )
