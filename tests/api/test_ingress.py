"""What storage could not keep is refused as bad input (400, logged as rejected) before it is
stored: never a 503 that sends the vendor into retrying for ever (PostgreSQL refuses NUL in
text and over-long ids), never a 202 on one database and a 503 on the other."""

from typing import Any

import httpx
import pytest

from tests.api.test_bad_input import PROBLEM, last_logged, vlens_body
from tests.api.webhooks import call_fintechos, post_documenso, post_vlens, unique


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (vlens_body(Id="x" * 257), "external id is longer than 256"),
        (vlens_body() | {"Id": "k" * 257}, "dedup key is longer than 256"),
        (vlens_body(Id="a\x00b"), "NUL"),
        (vlens_body(NewStatus="Approved\x00"), "NUL"),
    ],
    ids=["long-external-id", "long-dedup-key", "nul-in-id", "nul-in-status"],
)
async def test_vlens_values_storage_cannot_hold_are_400(
    api: httpx.AsyncClient, body: dict[str, Any], detail: str
) -> None:
    response = await post_vlens(api, body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    assert detail in response.json()["detail"]
    logged = await last_logged(api, "vlens")
    assert (logged["outcome"], logged["status_code"]) == ("rejected", 400)


async def test_nul_in_a_fintechos_query_is_400(api: httpx.AsyncClient) -> None:
    response = await call_fintechos(api, f"envelopeId={unique()}%00&action=workstepOpened")
    assert response.status_code == 400, response.text
    assert (await last_logged(api, "fintechos"))["outcome"] == "rejected"


async def test_nul_in_a_documenso_party_is_400(api: httpx.AsyncClient) -> None:
    recipient = {"id": 7, "email": "a@example.com", "name": "A\x00", "signingStatus": "SIGNED"}
    body = {
        "event": "DOCUMENT_SIGNED",
        "payload": {"id": 4242, "status": "PENDING", "Recipient": [recipient]},
        "createdAt": "2026-01-01T10:00:00Z",
    }
    response = await post_documenso(api, body)
    assert response.status_code == 400, response.text
    assert "NUL" in response.json()["detail"]


async def test_the_longest_id_storage_holds_is_accepted(api: httpx.AsyncClient) -> None:
    response = await post_vlens(api, vlens_body(Id="x" * 256))
    assert response.status_code == 202, response.text


async def test_the_text_backslash_u0000_is_not_a_nul(api: httpx.AsyncClient) -> None:
    # JSON writes a NUL as `\u0000`, which is what the quick check looks for; six plain
    # characters that spell it are no NUL and are stored.
    response = await post_vlens(api, vlens_body(Id=f"{unique()}-\\u0000"))
    assert response.status_code == 202, response.text
