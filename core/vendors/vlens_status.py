"""Vlens business requests by id, and the `CurrentListIds` list its docs advise polling."""

from typing import Any

import httpx

from core.settings import Settings
from core.vendors.base import (
    InvalidWebhook,
    optional_str,
    parse_time,
    require_str,
    secret_value,
)
from core.vendors.status import (
    ApiRequest,
    StatusClient,
    VendorBadResponse,
    VendorNotConfigured,
    VendorSnapshot,
    bearer,
    get_json,
    join_url,
    path_segment,
)
from core.vendors.vlens import STATUSES

REQUEST_PATH = "api/BusinessRequest/{id}"
LIST_PATH = "api/BusinessRequest/CurrentListIds"


class VlensStatusClient(StatusClient):
    vendor = "vlens"

    def configured(self, settings: Settings) -> bool:
        return bool(settings.vlens_api_url)

    def request(self, settings: Settings, external_id: str) -> ApiRequest:
        return self._api(settings, REQUEST_PATH.format(id=path_segment(external_id)))

    def parse(self, body: Any) -> VendorSnapshot:
        data = _object(body)
        vendor_status = optional_str(data, "Status")
        status = STATUSES.get(vendor_status or "")
        return VendorSnapshot(
            status=status.value if status else None,
            vendor_status=vendor_status,
            occurred_at=parse_time(data.get("LastModificationTimeUtc"), "LastModificationTimeUtc"),
        )

    async def current_list(
        self, http: httpx.AsyncClient, settings: Settings
    ) -> dict[str, VendorSnapshot]:
        """Every business request the vendor lists now, by id (the list carries no times)."""
        body = await get_json(http, self.vendor, self._api(settings, LIST_PATH))
        if not isinstance(body, list):
            raise VendorBadResponse(self.vendor, "CurrentListIds is not a list")
        try:
            return {require_str(_object(item), "Id"): self.parse(item) for item in body}
        except InvalidWebhook as error:
            raise VendorBadResponse(self.vendor, f"unexpected CurrentListIds: {error}") from error

    def _api(self, settings: Settings, path: str) -> ApiRequest:
        if not settings.vlens_api_url:
            raise VendorNotConfigured(self.vendor, "VLENS_API_URL is not set")
        return ApiRequest(
            join_url(settings.vlens_api_url, path),
            bearer(secret_value(settings.vlens_api_key)),
        )


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidWebhook("the business request must be a JSON object")
    return body
