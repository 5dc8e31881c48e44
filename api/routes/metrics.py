"""`GET /metrics`: Prometheus text format, behind the same API key as the other internal routes
(Prometheus sends it with `authorization: {credentials: <key>}` in its scrape config)."""

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import ApiKey, RelayDep, SessionDep
from api.metrics import ApiMetrics

router = APIRouter(tags=["metrics"], dependencies=[ApiKey])


@router.get("/metrics", response_class=Response)
async def metrics(request: Request, session: SessionDep, relay: RelayDep) -> Response:
    """Webhooks by vendor and outcome, ack latency, relay backlog, contracts by status."""
    registry: ApiMetrics = request.app.state.metrics
    await registry.refresh(session, relay.state())
    return Response(registry.render(), media_type=CONTENT_TYPE_LATEST)
