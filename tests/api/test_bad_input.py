"""Bad input through HTTP: a clear 4xx problem+json, kept in the inbound log, never a 500."""

import json
from typing import Any

import httpx
import pytest

from tests.api.conftest import SECRETS
from tests.api.webhooks import (
    applied,
    call_fintechos,
    post_documenso,
    post_signly,
    post_vlens,
    unique,
)

pytestmark = pytest.mark.usefixtures("stack_worker")

PROBLEM = "application/problem+json"


def vlens_body(**data: Any) -> dict[str, Any]:
    return {
        "Id": unique(),
        "WebhookEvent": "App.BusinessRequestStatusChange",
        "Attempt": 1,
        "Data": {"Id": unique(), "NewStatus": "Approved"} | data,
        "CreationTimeUtc": "2026-01-01T10:00:00.1234567Z",
    }


async def last_logged(api: httpx.AsyncClient, vendor: str) -> dict[str, Any]:
    log = await api.get("/v1/inbound", params={"vendor": vendor, "limit": 1})
    assert log.status_code == 200
    item: dict[str, Any] = log.json()["items"][0]
    return item


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2, 3]", "JSON object"),
        (b"", "empty"),
        (b"\xff\xfe{}", "UTF-8"),
        (json.dumps({"Id": 5, "Data": {"Id": "x", "NewStatus": "Approved"}}).encode(), "Id"),
        (json.dumps({"Id": "a", "Data": "not an object"}).encode(), "Data"),
        (json.dumps({"Id": "a", "Data": {"NewStatus": "Approved"}}).encode(), "Data.Id"),
        (json.dumps({"Id": "a", "Data": {"Id": "b", "NewStatus": 7}}).encode(), "NewStatus"),
    ],
    ids=[
        "invalid-json",
        "not-object",
        "empty",
        "invalid-utf8",
        "id-wrong-type",
        "data-wrong-type",
        "missing-id",
        "status-wrong-type",
    ],
)
async def test_malformed_vlens_bodies_are_400_and_logged(
    api: httpx.AsyncClient, body: bytes, detail: str
) -> None:
    response = await post_vlens(api, body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    assert detail in response.json()["detail"]
    logged = await last_logged(api, "vlens")
    assert logged["outcome"] == "rejected"
    assert logged["status_code"] == 400
    assert logged["body_valid_utf8"] == (detail != "UTF-8")


async def test_wrong_types_in_documenso_and_signly(api: httpx.AsyncClient) -> None:
    documenso = await post_documenso(api, {"event": "DOCUMENT_SENT", "payload": {"id": {"x": 1}}})
    signly = await post_signly(
        api, {"eventId": ["e"], "type": "PROCESS_CREATED", "documentId": "d"}
    )
    for response in (documenso, signly):
        assert response.status_code == 400
        assert response.headers["content-type"] == PROBLEM


async def test_body_over_the_limit_is_413_and_logged(api: httpx.AsyncClient) -> None:
    huge = json.dumps(vlens_body() | {"padding": "x" * (1024 * 1024)}).encode()
    response = await post_vlens(api, huge)
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    logged = await last_logged(api, "vlens")
    assert (logged["outcome"], logged["status_code"], logged["body"]) == ("rejected", 413, "")


@pytest.mark.parametrize("token", [None, "wrong"], ids=["missing", "wrong"])
async def test_wrong_or_missing_secret_is_401_and_logged_masked(
    api: httpx.AsyncClient, token: str | None
) -> None:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Documenso-Secret"] = token
    response = await api.post(
        "/webhooks/documenso", content=json.dumps({"event": "DOCUMENT_SENT"}), headers=headers
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    logged = await last_logged(api, "documenso")
    assert (logged["outcome"], logged["status_code"]) == ("rejected", 401)
    if token:
        assert logged["headers"]["x-documenso-secret"] == "***"


async def test_query_token_is_masked_in_the_log(api: httpx.AsyncClient) -> None:
    response = await call_fintechos(api, f"envelopeId={unique()}&action=workstepOpened")
    assert response.status_code == 202
    logged = await last_logged(api, "fintechos")
    assert SECRETS["FINTECHOS_WEBHOOK_TOKEN"] not in logged["query"]
    assert "token=%2A%2A%2A" in logged["query"]


async def test_fintechos_without_envelope_id_is_400(api: httpx.AsyncClient) -> None:
    response = await call_fintechos(api, "action=workstepOpened&recipientEmail=a%40b.c")
    assert response.status_code == 400
    assert "envelopeId" in response.json()["detail"]
    assert (await last_logged(api, "fintechos"))["outcome"] == "rejected"


async def test_unknown_event_type_is_accepted_and_recorded_unapplied(
    api: httpx.AsyncClient,
) -> None:
    body = vlens_body() | {"WebhookEvent": "App.SomethingNew"}
    view = await applied(api, await post_vlens(api, body))
    assert view["status"] is None
    assert [(e["vendor_event"], e["applied"]) for e in view["timeline"]] == [
        ("App.SomethingNew", False)
    ]


async def test_unknown_status_value_is_accepted_and_recorded_unapplied(
    api: httpx.AsyncClient,
) -> None:
    first = vlens_body()
    external = first["Data"]["Id"]
    await applied(api, await post_vlens(api, first))
    view = await applied(
        api, await post_vlens(api, vlens_body(Id=external, NewStatus="Teleported"))
    )
    assert view["status"] == "APPROVED"
    assert [entry["applied"] for entry in view["timeline"]] == [True, False]


async def test_wrong_method_and_unknown_routes_are_problems(api: httpx.AsyncClient) -> None:
    wrong_method = await api.get("/webhooks/vlens")
    missing = await api.get("/contracts/vlens:nope")
    assert wrong_method.status_code == 405
    assert missing.status_code == 404
    assert {wrong_method.headers["content-type"], missing.headers["content-type"]} == {PROBLEM}


async def test_contracts_api_needs_a_key(api: httpx.AsyncClient) -> None:
    response = await api.get("/contracts", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
