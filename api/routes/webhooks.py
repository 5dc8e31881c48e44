"""`POST /webhooks/{vendor}` (FintechOS: GET too): one route per registered adapter."""

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import get_relay
from api.ingress import Ingress, Received
from api.problems import problem_schema
from core.db import utcnow
from core.vendors import ADAPTERS
from core.vendors.base import RawWebhook, VendorAdapter

router = APIRouter(tags=["webhooks"])


class WebhookAck(BaseModel):
    contract_id: str
    event_id: str
    duplicate: bool


ERRORS = {
    200: {"model": WebhookAck, "description": "a duplicate, acknowledged and recorded once"},
    400: problem_schema("not JSON, or not the vendor's shape; kept in the inbound log"),
    401: problem_schema("wrong or missing webhook secret"),
    413: problem_schema("body over MAX_WEBHOOK_BYTES"),
    503: problem_schema("storage unavailable; retry after Retry-After seconds"),
}


async def read_limited(request: Request, limit: int) -> tuple[bytes, int | None]:
    """The body, or (b"", size) as soon as it is known to exceed the limit."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return b"", int(declared)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return b"", size
        chunks.append(chunk)
    return b"".join(chunks), None


def _handler(adapter: VendorAdapter):  # type: ignore[no-untyped-def]
    async def receive(request: Request) -> JSONResponse:
        received_at: datetime = utcnow()
        ingress: Ingress = request.app.state.ingress
        body, oversize = await read_limited(request, request.app.state.settings.max_webhook_bytes)
        received = Received(
            vendor=adapter.name,
            method=request.method,
            path=request.scope["path"],  # not request.url: that parses a whole URL per request
            source_ip=request.client.host if request.client else None,
            raw=RawWebhook(
                method=request.method,
                headers={name.lower(): value for name, value in request.headers.items()},
                query=dict(request.query_params),
                body=body,
            ),
            received_at=received_at,
            oversize=oversize,
        )
        accepted = await ingress.receive(adapter, received)
        if not accepted.duplicate:
            get_relay(request).submit(accepted.event)
        ack = WebhookAck(
            contract_id=accepted.event.contract_id,
            event_id=accepted.event.event_id,
            duplicate=accepted.duplicate,
        )
        return JSONResponse(ack.model_dump(), status_code=200 if accepted.duplicate else 202)

    receive.__name__ = f"receive_{adapter.name}_webhook"
    receive.__doc__ = f"Receive a {adapter.name} webhook: stored durably before the 2xx."
    return receive


for _adapter in ADAPTERS.values():
    router.add_api_route(
        f"/webhooks/{_adapter.name}",
        _handler(_adapter),
        methods=list(_adapter.methods),
        status_code=202,
        response_model=WebhookAck,
        responses=ERRORS,  # type: ignore[arg-type]
        summary=f"{_adapter.name} webhook",
    )
