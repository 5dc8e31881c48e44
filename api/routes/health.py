"""Liveness and readiness."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import RelayDep, SessionDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(session: SessionDep, relay: RelayDep) -> JSONResponse:
    """The database answers; the relay's queue, and whether backpressure holds it, are reported."""
    try:
        await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except Exception as error:  # noqa: BLE001  (readiness reports, never raises)
        return JSONResponse({"status": "unavailable", "database": str(error)}, status_code=503)
    return JSONResponse(
        {"status": "ok", "relay_backlog": relay.backlog, "relay_held": relay.gate.held}
    )
