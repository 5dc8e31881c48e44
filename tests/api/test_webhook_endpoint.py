"""The webhook endpoint ahead of FastAPI's routing: same answers as the routes, everything that
is not a known vendor's webhook left to FastAPI, a sender that hangs up leaves nothing."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import httpx
import pytest

from api.main import create_app
from api.webhook_endpoint import WebhookEndpoint, read_body
from core.settings import Settings
from tests.api.conftest import API_KEY, SECRETS
from tests.api.test_bad_input import PROBLEM, last_logged, vlens_body
from tests.api.webhooks import post_vlens
from tools.serve import serve


@asynccontextmanager
async def routes_only(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app served without the endpoint layer: webhooks reach FastAPI's routes."""
    app = create_app(settings)
    endpoint: object = WebhookEndpoint
    app.user_middleware = [m for m in app.user_middleware if m.cls is not endpoint]
    async with (
        serve(app) as base_url,
        httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30
        ) as http,
    ):
        yield http


async def answers(api: httpx.AsyncClient) -> list[tuple[int, str, set[str]]]:
    """Status, content type and body keys of: a new event, its duplicate, a wrong token."""
    body = vlens_body()
    new = await post_vlens(api, body)
    again = await post_vlens(api, body)
    assert again.json()["event_id"] == new.json()["event_id"]
    refused = await post_vlens(api, vlens_body(), headers={"X-Webhook-Token": "wrong"})
    return [
        (r.status_code, r.headers["content-type"], set(r.json())) for r in (new, again, refused)
    ]


async def test_the_routes_answer_as_the_endpoint_does(
    api: httpx.AsyncClient, stack_settings: Settings
) -> None:
    ours = await answers(api)
    assert ours == [
        (202, "application/json", {"contract_id", "event_id", "duplicate"}),
        (200, "application/json", {"contract_id", "event_id", "duplicate"}),
        (401, PROBLEM, {"type", "title", "status", "detail"}),
    ]
    async with routes_only(stack_settings) as routed:
        assert await answers(routed) == ours


async def test_other_requests_are_fastapis(api: httpx.AsyncClient) -> None:
    unknown = await api.post("/webhooks/nobody", content=b"{}")
    assert (unknown.status_code, unknown.headers["content-type"]) == (404, PROBLEM)
    wrong_method = await api.get("/webhooks/vlens")
    assert (wrong_method.status_code, wrong_method.headers["content-type"]) == (405, PROBLEM)
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert set(paths["/webhooks/fintechos"]) == {"get", "post"}


class _Seen(logging.Handler):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.event.set()


async def test_a_sender_that_hangs_up_mid_body_leaves_nothing(
    api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    assert (await post_vlens(api, vlens_body())).status_code == 202
    before = await last_logged(api, "vlens")
    body = json.dumps(vlens_body()).encode()
    url = urlsplit(str(api.base_url))
    seen = _Seen("disconnected before the body was read")
    caplog.set_level(logging.INFO, logger="contractsync.ingress")
    logger = logging.getLogger("contractsync.ingress")
    logger.addHandler(seen)
    try:
        _, writer = await asyncio.open_connection(url.hostname, url.port)
        head = (
            f"POST /webhooks/vlens HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"X-Webhook-Token: {SECRETS['VLENS_WEBHOOK_TOKEN']}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        writer.write(head.encode() + body[: len(body) // 2])
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        await asyncio.wait_for(seen.event.wait(), 10)
    finally:
        logger.removeHandler(seen)
    assert await last_logged(api, "vlens") == before  # not logged, not stored
    assert (await post_vlens(api, vlens_body())).status_code == 202


async def test_a_chunked_body_is_cut_off_at_the_limit(api: httpx.AsyncClient) -> None:
    """No Content-Length to refuse it by: the body is counted as it arrives."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"padding": "'
        for _ in range(40):
            yield b"x" * 65536

    token = {"X-Webhook-Token": SECRETS["VLENS_WEBHOOK_TOKEN"]}
    response = await api.post("/webhooks/vlens", content=chunks(), headers=token)
    assert (response.status_code, response.headers["content-type"]) == (413, PROBLEM)
    logged = await last_logged(api, "vlens")
    assert (logged["outcome"], logged["status_code"], logged["body"]) == ("rejected", 413, "")


async def test_a_content_length_that_is_no_number_is_not_trusted() -> None:
    """uvicorn refuses such a header itself; behind a lenient server it must not be a 500."""
    messages = [{"type": "http.request", "body": b"{}", "more_body": False}]

    async def receive() -> dict[str, object]:
        return messages.pop(0)

    assert await read_body({"content-length": "\u00b2"}, receive, 1024) == (b"{}", None)
