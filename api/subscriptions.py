"""Outbound subscriptions: request and response shapes, and the rules a subscription obeys."""

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from core.models import DeliveryAttempt, Subscription
from core.sealing import is_secret_header
from core.statuses import EVENT_TYPES
from core.targets import TargetRefused, parse_url

MAX_HEADERS = 20
MAX_HEADER_NAME = 64
MAX_HEADER_VALUE = 1024
MAX_HEADERS_BYTES = 4096
# What makes the request a Standard Webhooks POST to that host is ours alone to say.
RESERVED_HEADERS = frozenset(
    {"content-type", "content-length", "host", "transfer-encoding", "connection", "user-agent"}
)
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

Status = Literal["ENABLED", "DISABLED"]
# Ids and cursors are ours (`wh_...`, `dlv_...`); anything else cannot name a row.
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


def _url(value: str) -> str:
    try:
        parse_url(value)
    except TargetRefused as error:
        raise ValueError(str(error)) from error
    return value


def _events(value: list[str]) -> list[str]:
    unknown = sorted(set(value) - EVENT_TYPES - {"*"})
    if unknown:
        raise ValueError(f"unknown event types {unknown}; known: {sorted(EVENT_TYPES)} or '*'")
    return list(dict.fromkeys(value))


# A credential's value as answers show it; sent back unchanged, it keeps the stored one.
MASKED = "***"


def masked(headers: dict[str, str]) -> dict[str, str]:
    return {name: MASKED if is_secret_header(name) else value for name, value in headers.items()}


def unmasked(given: dict[str, str], stored: dict[str, str]) -> dict[str, str]:
    """`given` with every value sent back as MASKED replaced by what is stored under that name:
    a subscription read, edited and written back keeps its credentials."""
    missing = [name for name, value in given.items() if value == MASKED and name not in stored]
    if missing:
        raise ValueError(f"{MASKED} stands for a stored value, and none is stored for {missing}")
    return {name: stored[name] if value == MASKED else value for name, value in given.items()}


def _headers(value: dict[str, str]) -> dict[str, str]:
    if len(value) > MAX_HEADERS:
        raise ValueError(f"at most {MAX_HEADERS} custom headers")
    if sum(len(name) + len(text) for name, text in value.items()) > MAX_HEADERS_BYTES:
        raise ValueError(f"custom headers may total at most {MAX_HEADERS_BYTES} characters")
    for name, text in value.items():
        lowered = name.lower()
        if not _TOKEN.match(name) or len(name) > MAX_HEADER_NAME:
            raise ValueError(f"{name!r} is not a valid header name")
        if lowered in RESERVED_HEADERS or lowered.startswith("webhook-"):
            raise ValueError(f"{name!r} is set by ContractSync and cannot be overridden")
        if len(text) > MAX_HEADER_VALUE or _BAD_VALUE.search(text) or not text.isascii():
            raise ValueError(f"the value of {name!r} is not a valid header value")
    return value


def _text(value: str) -> str:
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value):
        raise ValueError("control characters are not allowed")
    return value


WebhookUrl = Annotated[str, AfterValidator(_url)]
EventTypes = Annotated[
    list[str], Field(min_length=1, max_length=len(EVENT_TYPES) + 1), AfterValidator(_events)
]
CustomHeaders = Annotated[dict[str, str], AfterValidator(_headers)]
Description = Annotated[str, Field(max_length=500), AfterValidator(_text)]
MaxAttempts = Annotated[int, Field(ge=1, le=200)]
TimeoutMs = Annotated[int, Field(ge=500, le=30_000)]


class SubscriptionCreate(BaseModel):
    url: WebhookUrl
    events: EventTypes
    description: Description | None = None
    custom_headers: CustomHeaders = Field(default_factory=dict)
    max_attempts: MaxAttempts = 100
    timeout_ms: TimeoutMs = 15_000


class SubscriptionUpdate(BaseModel):
    """Only the fields given change."""

    url: WebhookUrl | None = None
    events: EventTypes | None = None
    description: Description | None = None
    custom_headers: CustomHeaders | None = None
    max_attempts: MaxAttempts | None = None
    timeout_ms: TimeoutMs | None = None


class StatusUpdate(BaseModel):
    status: Status


class SubscriptionOut(BaseModel):
    webhook_id: str
    url: str
    events: list[str]
    description: str | None
    custom_headers: dict[str, str] = Field(
        description=f"credentials (Authorization, *-Key, *-Token, ...) shown as {MASKED!r}"
    )
    max_attempts: int
    timeout_ms: int
    status: Status
    disabled_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Subscription) -> "SubscriptionOut":
        out = cls.model_validate(row, from_attributes=True)
        out.custom_headers = masked(row.custom_headers)
        return out


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="the signing secret; shown here only")


class SubscriptionPage(BaseModel):
    items: list[SubscriptionOut]
    next_cursor: str | None


class AttemptOut(BaseModel):
    delivery_id: str
    message_id: str = Field(description="the webhook-id header, the same for every attempt")
    event_id: str
    attempt: int
    trigger: str
    status_code: int | None
    error: str | None
    duration_ms: int
    at: datetime
    response: str | None = Field(description="the start of the response body (4 KiB at most)")

    @classmethod
    def of(cls, row: DeliveryAttempt) -> "AttemptOut":
        return cls.model_validate(row, from_attributes=True)


class AttemptPage(BaseModel):
    items: list[AttemptOut]
    next_cursor: str | None


class RedeliveryAccepted(BaseModel):
    delivery_id: str
    message_id: str
    webhook_id: str
    event_id: str
    workflow_id: str


def parse_if_match(value: str | None) -> int | None:
    """The version in `If-Match: 3` (or `"3"`, `W/"3"`); None when absent or `*` (any).
    Anything else names no version, so it matches none."""
    if value is None or value.strip() == "*":
        return None
    tag = value.strip().removeprefix("W/").strip('"')
    return int(tag) if tag.isdigit() else -1
