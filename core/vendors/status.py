"""Asking a vendor what it knows about a contract: the polling fallback's side of each vendor.

One client per vendor lives beside its ingress adapter and maps statuses with that adapter's
own tables, so a poll and a webhook can never disagree about what a vendor's status means.
Clients raise one small tree of errors that says whether trying again can help; turning that
into Temporal retries is the activity's job, not theirs.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, Field

from core.events import PartyUpdate
from core.settings import Settings
from core.vendors.base import InvalidWebhook


class VendorSnapshot(BaseModel):
    """What the vendor's API says about one contract now, in canonical terms.

    `status` is a canonical status name, or None when the mapping does not know the vendor's
    status (recorded, never applied, like an unknown webhook).
    """

    status: str | None = None
    vendor_status: str | None = None
    parties: list[PartyUpdate] = Field(default_factory=list)
    occurred_at: datetime | None = None


class VendorApiError(Exception):
    """A status lookup that did not produce an answer; `retryable` says whether to try again."""

    retryable: ClassVar[bool] = False

    def __init__(self, vendor: str, message: str) -> None:
        super().__init__(f"{vendor}: {message}")
        self.vendor = vendor


class VendorUnavailable(VendorApiError):
    """Network failure, timeout, 408 or 5xx: the vendor may answer later."""

    retryable = True


class VendorRateLimited(VendorApiError):
    """429: try again, no sooner than `retry_after` when the vendor said so."""

    retryable = True

    def __init__(self, vendor: str, retry_after: timedelta | None) -> None:
        when = f"retry after {retry_after}" if retry_after is not None else "no Retry-After"
        super().__init__(vendor, f"rate limited ({when})")
        self.retry_after = retry_after


class VendorAuthFailed(VendorApiError):
    """401/403: our credentials are wrong; only an operator can fix that."""


class VendorBadResponse(VendorApiError):
    """An answer we cannot use (another 4xx, a redirect, not the documented shape)."""


class VendorNotConfigured(VendorApiError):
    """The vendor's API URL (or its credentials) are not set."""


@dataclass(frozen=True)
class ApiRequest:
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)


class StatusClient(ABC):
    """One vendor's status lookup: where to ask, and how to read the answer."""

    vendor: ClassVar[str]

    @abstractmethod
    def configured(self, settings: Settings) -> bool:
        """Whether this deployment can ask the vendor at all."""

    @abstractmethod
    def request(self, settings: Settings, external_id: str) -> ApiRequest:
        """The lookup for one contract; only called when `configured`."""

    @abstractmethod
    def parse(self, body: Any) -> VendorSnapshot:
        """The vendor's answer in canonical terms; raises `InvalidWebhook` on a foreign shape."""

    async def fetch(
        self, http: httpx.AsyncClient, settings: Settings, external_id: str
    ) -> VendorSnapshot | None:
        """The contract as the vendor sees it now, or None when the vendor does not know it."""
        if not self.configured(settings):
            raise VendorNotConfigured(self.vendor, "the vendor's API is not configured")
        body = await get_json(http, self.vendor, self.request(settings, external_id))
        if body is None:
            return None
        return self.read(body)

    def read(self, body: Any) -> VendorSnapshot:
        try:
            return self.parse(body)
        except InvalidWebhook as error:
            # The adapters' validators speak of webhooks; here the vendor's API broke its shape.
            raise VendorBadResponse(self.vendor, f"unexpected answer: {error}") from error


def path_segment(value: str) -> str:
    """An id as one path segment: it must never climb out of it (`/`, `..`) whatever it holds."""
    quoted = quote(value, safe="")
    return quoted.replace(".", "%2E") if quoted.strip(".") == "" else quoted


def join_url(base: str, path: str) -> str:
    return f"{base.rstrip('/')}/{path.lstrip('/')}"


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


async def get_json(http: httpx.AsyncClient, vendor: str, request: ApiRequest) -> Any | None:
    """GET and decode JSON; None for 404. Every other failure is one of the typed errors."""
    try:
        response = await http.get(request.url, headers=dict(request.headers))
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
        raise VendorNotConfigured(vendor, f"the API URL is not usable: {error}") from error
    except httpx.HTTPError as error:
        raise VendorUnavailable(vendor, f"{type(error).__name__}: {error}") from error
    code = response.status_code
    if code == httpx.codes.NOT_FOUND:
        return None
    if code == httpx.codes.TOO_MANY_REQUESTS:
        raise VendorRateLimited(vendor, parse_retry_after(response.headers.get("Retry-After")))
    if code in (httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN):
        raise VendorAuthFailed(vendor, f"HTTP {code} from {request.url}")
    if code == httpx.codes.REQUEST_TIMEOUT or code >= httpx.codes.INTERNAL_SERVER_ERROR:
        raise VendorUnavailable(vendor, f"HTTP {code} from {request.url}")
    if not response.is_success:
        # Redirects are not followed on purpose: a 3xx means the base URL is wrong.
        raise VendorBadResponse(vendor, f"HTTP {code} from {request.url}")
    try:
        return response.json()
    except ValueError as error:
        raise VendorBadResponse(vendor, f"the answer from {request.url} is not JSON") from error


def parse_retry_after(value: str | None, now: datetime | None = None) -> timedelta | None:
    """`Retry-After` as a delay: delta-seconds or an HTTP-date (RFC 9110 section 10.2.3)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return timedelta(seconds=int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None  # unreadable: fall back to the retry policy's own backoff
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - (now or datetime.now(UTC)), timedelta(0))


class _Registry(Mapping[str, StatusClient]):
    """The clients by vendor name, loaded on first use: every client module builds on this
    one, so importing them while this module loads would be circular."""

    def __init__(self) -> None:
        self._clients: dict[str, StatusClient] | None = None

    def _load(self) -> dict[str, StatusClient]:
        if self._clients is None:
            from core.vendors.documenso_status import DocumensoStatusClient
            from core.vendors.fintechos_status import FintechosStatusClient
            from core.vendors.signly_status import SignlyStatusClient
            from core.vendors.vlens_status import VlensStatusClient

            clients: tuple[StatusClient, ...] = (
                VlensStatusClient(),
                DocumensoStatusClient(),
                FintechosStatusClient(),
                SignlyStatusClient(),
            )
            self._clients = {client.vendor: client for client in clients}
        return self._clients

    def __getitem__(self, vendor: str) -> StatusClient:
        return self._load()[vendor]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


STATUS_CLIENTS: Mapping[str, StatusClient] = _Registry()
