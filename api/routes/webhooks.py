"""`POST /webhooks/{vendor}` (FintechOS: GET too): one route per registered adapter.

`api.webhook_endpoint` answers these requests before FastAPI's routing is reached; the routes
declare them for OpenAPI and for span names, and answer through the same
code when the app is served without that layer.
"""

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.problems import problem_schema
from api.webhook_endpoint import ClientGone, answer
from core.vendors import ADAPTERS
from core.vendors.base import VendorAdapter

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


def _handler(adapter: VendorAdapter):  # type: ignore[no-untyped-def]
    async def receive(request: Request) -> Response:
        try:
            result = await answer(request.app.state, adapter, request.scope, request.receive)
        except ClientGone:
            return Response(status_code=400)  # no one is listening
        return result.response()

    receive.__name__ = f"receive_{adapter.name}_webhook"
    receive.__doc__ = f"Receive a {adapter.name} webhook: stored durably before the 2xx."
    return receive


for _adapter in ADAPTERS.values():
    for _method in _adapter.methods:  # a route per method: operation ids must be unique
        router.add_api_route(
            f"/webhooks/{_adapter.name}",
            _handler(_adapter),
            methods=[_method],
            operation_id=f"receive_{_adapter.name}_webhook_{_method.lower()}",
            status_code=202,
            response_model=WebhookAck,
            responses=ERRORS,  # type: ignore[arg-type]
            summary=f"{_adapter.name} webhook",
        )
