"""What the vendors themselves know: each contract's true current state, for polling clients."""

from collections.abc import Mapping
from typing import Any

from tools.simulators.delivery import Contract
from tools.simulators.scenario import SIGNLY_TENANT_ID, VENDORS


class VendorState:
    """In-memory truth behind the simulated status APIs, plus a switch to throttle them."""

    def __init__(
        self,
        *,
        documenso_api_key: str = "documenso-api-key",
        signly_tenant_id: str = SIGNLY_TENANT_ID,
        signly_api_key: str = "signly-api-key",
    ) -> None:
        self.documenso_api_key = documenso_api_key
        self.signly_tenant_id = signly_tenant_id
        self.signly_api_key = signly_api_key
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request served
        self._views: dict[str, dict[str, Mapping[str, Any]]] = {vendor: {} for vendor in VENDORS}
        self._limited = 0
        self._retry_after = 1

    def record(self, contract: Contract) -> None:
        """The contract as it stands at the vendor once all its events have happened."""
        self.set_view(contract.vendor, contract.external_id, contract.final_view)

    def set_view(self, vendor: str, external_id: str, view: Mapping[str, Any]) -> None:
        """Replace what the vendor's API says about one contract (tests move the truth)."""
        self._views[vendor][external_id] = view

    def view(self, vendor: str, external_id: str) -> Mapping[str, Any] | None:
        return self._views[vendor].get(external_id)

    def views(self, vendor: str) -> list[Mapping[str, Any]]:
        return list(self._views[vendor].values())

    def rate_limit_next(self, requests: int, retry_after_seconds: int = 1) -> None:
        """Answer the next `requests` requests with 429 and `Retry-After`."""
        if requests < 0 or retry_after_seconds < 0:
            raise ValueError("requests and retry_after_seconds must not be negative")
        self._limited = requests
        self._retry_after = retry_after_seconds

    def take_rate_limit(self) -> int | None:
        """Spend one throttled answer: its Retry-After in seconds, or None when not throttled."""
        if self._limited <= 0:
            return None
        self._limited -= 1
        return self._retry_after
