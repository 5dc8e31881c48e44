"""Every vendor example payload, through the real HTTP endpoint, gives the state API.md says."""

from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.api.webhooks import (
    applied,
    call_fintechos,
    load,
    post_documenso,
    post_signly,
    post_vlens,
    unique,
)

pytestmark = pytest.mark.usefixtures("stack_worker")


async def test_vlens_status_change(api: httpx.AsyncClient, fixtures_dir: Path) -> None:
    body = load(fixtures_dir, "vlens", "business_request_status_change.json")
    body["Data"]["Id"] = external = unique()
    body["Id"] = unique()
    view = await applied(api, await post_vlens(api, body))
    assert view["contract_id"] == f"vlens:{external}"
    assert view["status"] == "PENDING_APPROVAL"
    assert view["vendor_status"] == "PendingApproval"
    assert view["workflow_id"] == f"contract-vlens-{external}"
    assert view["temporal_ui_url"].endswith(f"/workflows/contract-vlens-{external}")
    [entry] = view["timeline"]
    assert entry["applied"] is True
    assert entry["source"] == "webhook"
    assert entry["occurred_at"].startswith("2025-12-11T11:27:18.619700")


async def test_an_external_id_with_slashes_reads_back(
    api: httpx.AsyncClient, fixtures_dir: Path
) -> None:
    body = load(fixtures_dir, "vlens", "business_request_status_change.json")
    body["Data"]["Id"] = external = f"2026/03/{unique()}"
    body["Id"] = unique()
    view = await applied(api, await post_vlens(api, body))  # the id as it is, slashes and all
    assert view["contract_id"] == f"vlens:{external}"
    escaped = quote(view["contract_id"], safe=":")
    read = await api.get(f"/contracts/{escaped}")
    assert read.status_code == 200, read.text
    assert read.json()["status"] == "PENDING_APPROVAL"
    polled = await api.post(f"/contracts/{escaped}/poll")
    assert polled.status_code == 200, polled.text
    assert polled.json()["contract_id"] == f"vlens:{external}"


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("document_created.json", "CREATED"),
        ("document_sent.json", "SENT"),
        ("document_opened.json", "VIEWED"),
        ("document_signed.json", "COUNTERSIGNED"),  # its payload.status is COMPLETED
        ("document_completed.json", "COUNTERSIGNED"),
    ],
)
async def test_documenso_fixture(
    api: httpx.AsyncClient, fixtures_dir: Path, name: str, status: str
) -> None:
    body = load(fixtures_dir, "documenso", name)
    body["payload"]["id"] = document = abs(hash(unique())) % 10**12
    view = await applied(api, await post_documenso(api, body))
    assert view["contract_id"] == f"documenso:{document}"
    assert view["status"] == status
    recipients = body["payload"].get("Recipient", [])
    assert {party["party_id"] for party in view["parties"]} == {str(r["id"]) for r in recipients}


async def test_documenso_lifecycle_in_order_keeps_each_recipient(
    api: httpx.AsyncClient, fixtures_dir: Path
) -> None:
    document = abs(hash(unique())) % 10**12
    view: dict[str, Any] = {}
    for name in [
        "document_created.json",
        "document_sent.json",
        "document_opened.json",
        "document_completed.json",
    ]:
        body = load(fixtures_dir, "documenso", name)
        body["payload"]["id"] = document
        view = await applied(api, await post_documenso(api, body))
    assert view["status"] == "COUNTERSIGNED"
    webhooks = [entry for entry in view["timeline"] if entry["source"] == "webhook"]
    assert [entry["status"] for entry in webhooks] == ["CREATED", "SENT", "VIEWED", "COUNTERSIGNED"]
    assert view["timeline"][-1]["note"] == "crm: skipped, CRM_BASE_URL is not set"
    states = {party["party_id"]: party["state"] for party in view["parties"]}
    assert states["50"] == "SIGNED"
    assert states["51"] == "SIGNED"
    assert states["53"] == "SENT"


async def test_fintechos_callbacks(api: httpx.AsyncClient, fixtures_dir: Path) -> None:
    readme = (fixtures_dir / "fintechos" / "README.md").read_text()
    queries = [
        line.strip().lstrip("?") for line in readme.splitlines() if line.strip().startswith("?")
    ]
    assert len(queries) == 2
    envelope = unique()
    opened, finished = (
        q.replace("7bfa100a-f52c-4915-b25d-210e6bb82f48", envelope) for q in queries
    )
    view = await applied(api, await call_fintechos(api, opened))
    assert view["status"] == "VIEWED"
    view = await applied(api, await call_fintechos(api, finished, method="POST"))
    assert view["status"] == "COUNTERSIGNED"
    assert view["contract_id"] == f"fintechos:{envelope}"


async def test_signly_process_completed(api: httpx.AsyncClient, fixtures_dir: Path) -> None:
    body = load(fixtures_dir, "signly", "process_completed.json")
    body["documentId"] = document = unique()
    body["eventId"] = unique("evt_")
    view = await applied(api, await post_signly(api, body))
    assert view["status"] == "COUNTERSIGNED"  # one known participant: complete at once
    assert view["parties"][0]["party_id"] == body["participantId"]
    assert view["parties"][0]["state"] == "COMPLETED"
    assert view["contract_id"] == f"signly:{document}"


async def test_a_duplicate_is_acknowledged_once(api: httpx.AsyncClient, fixtures_dir: Path) -> None:
    body = load(fixtures_dir, "vlens", "business_request_status_change.json")
    body["Data"]["Id"] = unique()
    body["Id"] = unique()
    first = await post_vlens(api, body)
    body["Attempt"] = 2
    again = await post_vlens(api, body)
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json() == first.json() | {"duplicate": True}
    view = await applied(api, again)
    assert len(view["timeline"]) == 1
    log = (await api.get("/v1/inbound", params={"contract_id": first.json()["contract_id"]})).json()
    assert [item["outcome"] for item in log["items"]] == ["duplicate", "accepted"]
    assert all(item["headers"]["x-webhook-token"] == "***" for item in log["items"])
