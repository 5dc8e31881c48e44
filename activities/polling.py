"""Asks a vendor's API for a contract's current status, for the workflow's polling fallback.

Retrying is Temporal's job: a failed lookup raises, and the workflow's RetryPolicy decides when
to try again. The activity only says how: a vendor's rate limit sets the next delay, and what a
retry cannot fix (credentials, a foreign answer, no API URL) is final.
"""

from collections.abc import Mapping

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from core.settings import Settings
from core.vendors.status import (
    STATUS_CLIENTS,
    StatusClient,
    VendorApiError,
    VendorRateLimited,
)
from workflows.inputs import PollRequest, PollResult


class PollingActivities:
    def __init__(
        self,
        settings: Settings,
        http: httpx.AsyncClient,
        clients: Mapping[str, StatusClient] = STATUS_CLIENTS,
    ) -> None:
        self._settings = settings
        self._http = http
        self._clients = clients

    @activity.defn(name="poll_vendor")
    async def poll(self, request: PollRequest) -> PollResult:
        client = self._clients.get(request.vendor)
        if client is None or not client.configured(self._settings):
            return PollResult(configured=False)
        try:
            snapshot = await client.fetch(self._http, self._settings, request.external_id)
        except VendorApiError as error:
            raise as_application_error(error) from error
        return PollResult(configured=True, found=snapshot is not None, snapshot=snapshot)


def as_application_error(error: VendorApiError) -> ApplicationError:
    if isinstance(error, VendorRateLimited):
        # Wait as long as the vendor asked, not the policy's backoff; no Retry-After leaves
        # the policy in charge.
        return ApplicationError(
            "rate limited",
            str(error),
            type=type(error).__name__,
            next_retry_delay=error.retry_after,
        )
    return ApplicationError(
        str(error), type=type(error).__name__, non_retryable=not error.retryable
    )
