"""Sending vendor payloads to the running API, the way each vendor does."""

import json
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.api.conftest import SECRETS


def unique(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4()}"


def load(fixtures_dir: Path, vendor: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((fixtures_dir / vendor / name).read_text())
    return data


async def post_vlens(
    api: httpx.AsyncClient, body: dict[str, Any] | bytes, **kw: Any
) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Webhook-Token": SECRETS["VLENS_WEBHOOK_TOKEN"],
    }
    return await api.post(
        "/webhooks/vlens", content=content, headers=headers | kw.pop("headers", {}), **kw
    )


async def post_documenso(api: httpx.AsyncClient, body: dict[str, Any] | bytes) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Documenso-Secret": SECRETS["DOCUMENSO_WEBHOOK_SECRET"],
    }
    return await api.post("/webhooks/documenso", content=content, headers=headers)


async def post_signly(api: httpx.AsyncClient, body: dict[str, Any] | bytes) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "X-Client-Auth": SECRETS["SIGNLY_WEBHOOK_TOKEN"]}
    return await api.post("/webhooks/signly", content=content, headers=headers)


async def call_fintechos(api: httpx.AsyncClient, query: str, method: str = "GET") -> httpx.Response:
    token = SECRETS["FINTECHOS_WEBHOOK_TOKEN"]
    return await api.request(method, f"/webhooks/fintechos?{query}&token={token}")


async def applied(api: httpx.AsyncClient, ack: httpx.Response) -> dict[str, Any]:
    """The contract once the acknowledged event has been applied (read-your-write)."""
    assert ack.status_code in (200, 202), ack.text
    body = ack.json()
    response = await api.get(
        f"/contracts/{body['contract_id']}", params={"wait_for": body["event_id"], "timeout": 20}
    )
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view
