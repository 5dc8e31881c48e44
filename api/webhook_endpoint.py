"""`/webhooks/{vendor}` as plain ASGI, served ahead of FastAPI's routing.

The webhook route is the one hot path of the API. Through FastAPI a webhook paid for seven
middleware layers, a walk of the route table, dependency solving and a `Request` and a
`Response` object: about a third of the API's CPU per webhook in a profile of the app alone
(docs/benchmarks.md). `WebhookEndpoint` is a middleware that answers a known vendor's webhook
itself and passes everything else on, so the ack costs the ingress's own work and little more.
The FastAPI routes in `api.routes.webhooks` stay: they document the endpoints in OpenAPI, name
the spans, and answer through the same `answer()` if the app is ever served without this layer.

It also times each ack for `contractsync_webhook_ack_seconds`: from the request's arrival to
the start of its response, the body read and the commit included.
"""

import logging
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

import pydantic_core
from starlette._utils import get_route_path
from starlette.datastructures import State
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.ingress import Ingress, Received
from api.metrics import ApiMetrics
from api.problems import Problem, render
from api.relay import Relay
from core.db import utcnow
from core.settings import Settings
from core.vendors import ADAPTERS
from core.vendors.base import RawWebhook, VendorAdapter

log = logging.getLogger("contractsync.ingress")

WEBHOOK_PREFIX = "/webhooks/"
JSON_HEADER = (b"content-type", b"application/json")


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]]

    async def send(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})

    def response(self) -> Response:
        response = Response(self.body, self.status)
        response.raw_headers = self.headers
        return response


def adapter_for(scope: Scope) -> VendorAdapter | None:
    """The adapter whose webhook this request is, if it is one (known vendor, allowed method)."""
    if scope["type"] != "http":
        return None
    path = get_route_path(scope)
    if not path.startswith(WEBHOOK_PREFIX):
        return None
    adapter = ADAPTERS.get(path[len(WEBHOOK_PREFIX) :])
    return adapter if adapter is not None and scope["method"] in adapter.methods else None


async def answer(state: State, adapter: VendorAdapter, scope: Scope, receive: Receive) -> Answer:
    """Read, judge, store and hand off one webhook; the answer to send (2xx or a problem)."""
    received_at = utcnow()
    settings: Settings = state.settings
    ingress: Ingress = state.ingress
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
    }
    body, oversize = await read_body(headers, receive, settings.max_webhook_bytes)
    client = scope.get("client")
    received = Received(
        vendor=adapter.name,
        method=scope["method"],
        path=scope["path"],
        source_ip=client[0] if client else None,
        raw=RawWebhook(
            method=scope["method"],
            headers=headers,
            query=dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)),
            body=body,
        ),
        received_at=received_at,
        oversize=oversize,
    )
    try:
        accepted = await ingress.receive(adapter, received)
    except Problem as problem:
        refusal = render(problem)
        return Answer(refusal.status_code, bytes(refusal.body), refusal.raw_headers)
    if not accepted.duplicate:
        relay: Relay = state.relay
        relay.submit(accepted.event)
    ack = {
        "contract_id": accepted.event.contract_id,
        "event_id": accepted.event.event_id,
        "duplicate": accepted.duplicate,
    }
    content = pydantic_core.to_json(ack)  # compact UTF-8, as Starlette's JSONResponse has it
    headers_out = [(b"content-length", str(len(content)).encode()), JSON_HEADER]
    return Answer(200 if accepted.duplicate else 202, content, headers_out)


async def read_body(
    headers: dict[str, str], receive: Receive, limit: int
) -> tuple[bytes, int | None]:
    """The body, or (b"", size) as soon as it is known to exceed the limit."""
    declared = headers.get("content-length")
    # isdigit() alone would take "²", which int() refuses: a 500 behind a lenient server.
    if declared and declared.isascii() and declared.isdigit() and int(declared) > limit:
        return b"", int(declared)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", size
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), None


class ClientGone(Exception):
    """The vendor hung up before its request was whole: nothing to store, no one to answer."""


class WebhookEndpoint:
    """ASGI middleware: answers webhooks of known vendors; passes every other request on."""

    def __init__(self, app: ASGIApp, state: State, metrics: ApiMetrics) -> None:
        self.app = app
        self.state = state
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        adapter = adapter_for(scope)
        if adapter is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            result = await answer(self.state, adapter, scope, receive)
        except ClientGone:
            log.info("a %s webhook's sender disconnected before the body was read", adapter.name)
            return
        self.metrics.webhook_acked(adapter.name, time.perf_counter() - started)
        await result.send(send)
