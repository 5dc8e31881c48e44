"""Shared helpers for the adapter tests: the vendors' example payloads and raw requests."""

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.settings import Settings
from core.vendors.base import RawWebhook

# The `shared` folder sits beside the repository root.
_BESIDE_REPO = Path(__file__).resolve().parents[3].parent / "shared"


def shared_dir() -> Path:
    if _BESIDE_REPO.is_dir():
        return _BESIDE_REPO
    configured = os.environ.get("CONTRACTSYNC_SHARED")
    if configured and Path(configured).is_dir():
        return Path(configured)
    raise FileNotFoundError(
        f"no shared folder at {_BESIDE_REPO}; set CONTRACTSYNC_SHARED to its path"
    )


def fixture_path(vendor: str, name: str) -> Path:
    return shared_dir() / "fixtures" / vendor / name


def fixture_json(vendor: str, name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(fixture_path(vendor, name).read_text("utf-8"))
    return value


def request(
    body: bytes | dict[str, Any] = b"",
    *,
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    method: str = "POST",
) -> RawWebhook:
    """A raw request as the ingress hands it over: header names in lower case."""
    raw_body = json.dumps(body).encode() if isinstance(body, dict) else body
    return RawWebhook(
        method=method,
        headers={name.lower(): value for name, value in (headers or {}).items()},
        query=dict(query or {}),
        body=raw_body,
    )


def settings(**values: Any) -> Settings:
    return Settings(CONTRACTSYNC_ENV="test", **values)
