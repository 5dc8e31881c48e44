"""Makes the CRM's record of a finished contract match it: upsert, read back, compare.

The upsert is a PUT keyed by contract id, so a retry after a lost answer never creates a second
record. The read-back catches a CRM that accepted the write but holds something else (its own
automation edited it, a replica lagged): that raises a retryable error and Temporal repeats the
whole reconcile until the record matches.
"""

from typing import Any
from urllib.parse import quote

import httpx
from pydantic import ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from core.settings import Settings
from core.vendors.base import secret_value
from core.vendors.status import bearer, join_url, parse_retry_after
from workflows.inputs import CrmOutcome, CrmRecord

# What the CRM must hold for the record to count as reconciled. Parties and `updated_at` are
# left out: a CRM may reorder, trim or restamp them, and retrying would never make them equal.
COMPARED = ("contract_id", "vendor", "external_id", "status", "vendor_status", "completed_at")
RETRYABLE_STATUSES = frozenset({408, 429})


class CrmActivities:
    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http

    @activity.defn(name="reconcile_crm")
    async def reconcile(self, record: CrmRecord) -> CrmOutcome:
        attempt = activity.info().attempt
        base_url = self._settings.crm_base_url
        if not base_url:
            return CrmOutcome(skipped=True, attempt=attempt)
        # `:` may stay (it is legal in a path segment); `/` and the rest may not.
        url = join_url(base_url, f"contracts/{quote(record.contract_id, safe=':')}")
        headers = bearer(secret_value(self._settings.crm_api_token))
        await self._send("PUT", url, headers, record.model_dump(mode="json"))
        stored = await self._send("GET", url, headers)
        differences = _differences(record, stored)
        if differences:
            raise ApplicationError(
                f"the CRM record for {record.contract_id} differs after the upsert: "
                + ", ".join(differences),
                type="CrmMismatch",
            )
        return CrmOutcome(matched=True, attempt=attempt)

    async def _send(
        self, method: str, url: str, headers: dict[str, str], body: Any = None
    ) -> Any | None:
        """The decoded JSON answer (None when empty or a 404 on the read-back)."""
        try:
            response = await self._http.request(method, url, headers=headers, json=body)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
            # CRM_BASE_URL itself is wrong: no retry can fix that.
            raise ApplicationError(
                f"CRM_BASE_URL is not usable: {error}", type="CrmRejected", non_retryable=True
            ) from error
        except httpx.HTTPError as error:
            raise ApplicationError(
                f"CRM {method} failed: {type(error).__name__}: {error}", type="CrmUnavailable"
            ) from error
        code = response.status_code
        if method == "GET" and code == httpx.codes.NOT_FOUND:
            return None  # written but not readable yet: a mismatch, so retried
        if code == httpx.codes.TOO_MANY_REQUESTS:
            raise ApplicationError(
                f"CRM {method} rate limited",
                type="CrmRateLimited",
                next_retry_delay=parse_retry_after(response.headers.get("Retry-After")),
            )
        if code in RETRYABLE_STATUSES or code >= httpx.codes.INTERNAL_SERVER_ERROR:
            raise ApplicationError(f"CRM {method} answered HTTP {code}", type="CrmUnavailable")
        if not response.is_success:
            # A redirect, bad credentials or a refused record: retrying sends the same again.
            raise ApplicationError(
                f"CRM {method} answered HTTP {code}", type="CrmRejected", non_retryable=True
            )
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return None  # an unreadable read-back is a mismatch like any other


def _differences(record: CrmRecord, stored: Any) -> list[str]:
    """The compared fields whose stored value differs (as values, not as text: a CRM may write
    `2026-01-05T09:00:00Z` where we sent `+00:00`)."""
    if not isinstance(stored, dict):
        return ["the record cannot be read back"]
    try:
        held = CrmRecord.model_validate(stored)
    except ValidationError:
        return ["the record read back is not a contract summary"]
    return [name for name in COMPARED if getattr(held, name) != getattr(record, name)]
