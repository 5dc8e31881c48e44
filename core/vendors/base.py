"""The one interface every vendor adapter implements, and helpers they share.

An adapter is pure: it gets the raw request (bytes, headers, query) and returns what the
vendor said in canonical terms, or raises `InvalidWebhook` (answered 400, kept in the log).
Authentication is split in two so the rule lives in one place (the ingress): the adapter says
which secret is configured and which one the request presents; the ingress compares them in
constant time.
"""

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import SecretStr, TypeAdapter, ValidationError

from core.events import PartyUpdate
from core.settings import Settings
from core.statuses import ContractStatus


class InvalidWebhook(ValueError):
    """The request is not the vendor's shape (no id to key on, wrong types, not JSON)."""


@dataclass(frozen=True)
class RawWebhook:
    method: str
    headers: Mapping[str, str]  # names in lower case
    query: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class ParsedWebhook:
    external_id: str
    dedup_key: str
    vendor_event: str | None
    status: ContractStatus | None
    vendor_status: str | None = None
    parties: list[PartyUpdate] = field(default_factory=list)
    occurred_at: datetime | None = None
    requires_all_parties: bool = False


class VendorAdapter:
    name: ClassVar[str]
    methods: ClassVar[tuple[str, ...]] = ("POST",)
    # header and query parameter names (lower case) whose values are masked in the inbound log
    secret_headers: ClassVar[frozenset[str]] = frozenset()
    secret_params: ClassVar[frozenset[str]] = frozenset()

    def configured_secret(self, settings: Settings) -> str | None:
        raise NotImplementedError

    def presented_secret(self, raw: RawWebhook, settings: Settings) -> str | None:
        raise NotImplementedError

    def masked_headers(self, settings: Settings) -> frozenset[str]:
        return self.secret_headers

    def parse(self, raw: RawWebhook) -> ParsedWebhook:
        raise NotImplementedError


_SURROGATE_ESCAPE = re.compile(r"\\u[dD]")


def load_json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise InvalidWebhook("the body is empty")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidWebhook("the body is not valid UTF-8") from error
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidWebhook(f"the body is not valid JSON: {error.msg}") from error
    except ValueError as error:  # an integer of more digits than Python converts
        raise InvalidWebhook(f"the body is not usable JSON: {error}") from error
    except RecursionError as error:
        raise InvalidWebhook("the body is nested too deeply") from error
    if not isinstance(value, dict):
        raise InvalidWebhook("the body must be a JSON object")
    # `\ud800` is valid JSON but no character: it could be neither hashed nor stored. Valid
    # UTF-8 holds no surrogate, so only an escape can bring one in: without `\ud` or `\uD` in
    # the text there is nothing to check (the check encodes the whole body again).
    if _SURROGATE_ESCAPE.search(text) is None:
        return value
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidWebhook("the body has a string that is not valid Unicode") from error
    except RecursionError as error:
        raise InvalidWebhook("the body is nested too deeply") from error
    return value


def require_str(data: Mapping[str, Any], key: str, where: str = "") -> str:
    """A non-empty string id; anything else is not the vendor's shape."""
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidWebhook(f"missing or invalid `{where}{key}`: expected a non-empty string")
    return value


def require_id(data: Mapping[str, Any], key: str, where: str = "") -> str:
    """An id the vendor sends as an integer (Documenso) or a string."""
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return require_str(data, key, where)


def optional_str(data: Mapping[str, Any], key: str, where: str = "") -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidWebhook(f"`{where}{key}` must be a string")
    return value


def require_object(data: Mapping[str, Any], key: str, where: str = "") -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise InvalidWebhook(f"missing or invalid object `{where}{key}`")
    return value


_DATETIME = TypeAdapter(datetime)


def parse_time(value: Any, name: str) -> datetime | None:
    """ISO-8601 timestamps; vendors send up to 7 fractional digits (.NET), cut to 6."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidWebhook(f"`{name}` must be an ISO-8601 string")
    text = value.strip()
    if "." in text:
        head, _, tail = text.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        if digits > 6:
            text = f"{head}.{tail[:6]}{tail[digits:]}"
    try:
        parsed = _DATETIME.validate_python(text)
    except ValidationError as error:
        raise InvalidWebhook(f"`{name}` is not an ISO-8601 timestamp") from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def secret_value(secret: SecretStr | None) -> str | None:
    """The configured secret; a blank one counts as unset, or it would match a missing header."""
    if secret is None:
        return None
    value = secret.get_secret_value()
    return value if value.strip() else None


def header(raw: RawWebhook, name: str) -> str | None:
    return raw.headers.get(name.lower())


def digest(value: Any) -> str:
    """A stable hash of JSON-able parts: canonical JSON leaves no separator to confuse."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
