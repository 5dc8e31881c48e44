"""`GET /v1/inbound`: the log of every request vendors sent, accepted or not."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import ApiKey, SessionDep
from api.inbound_log import read_inbound
from api.problems import problem_schema
from core.models import InboundRequest

router = APIRouter(prefix="/v1/inbound", tags=["inbound"], dependencies=[ApiKey])

Outcome = Literal["accepted", "duplicate", "rejected"]


class InboundEntry(BaseModel):
    id: int
    vendor: str
    method: str
    path: str
    query: str
    source_ip: str | None
    headers: dict[str, str]
    body: str
    body_valid_utf8: bool
    received_at: datetime
    outcome: str
    status_code: int
    problem: str | None
    contract_id: str | None
    event_id: str | None


class InboundPage(BaseModel):
    items: list[InboundEntry]
    next_cursor: str | None


@router.get(
    "", response_model=InboundPage, responses={401: problem_schema("missing or wrong API key")}
)
async def list_inbound(
    session: SessionDep,
    vendor: str | None = None,
    status: Outcome | None = None,
    contract_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    # Ids are 64-bit integers in both databases; a larger cursor is a bad request, not a 500.
    cursor: Annotated[
        int | None, Query(ge=0, le=2**63 - 1, description="the id to continue after")
    ] = None,
) -> InboundPage:
    """Newest first. Secrets in headers and query strings are masked."""
    page, more = await read_inbound(
        session,
        vendor=vendor,
        outcome=status,
        contract_id=contract_id,
        before=cursor,
        limit=limit,
    )
    return InboundPage(
        items=[_entry(row) for row in page],
        next_cursor=str(page[-1].id) if more and page else None,
    )


def _entry(row: InboundRequest) -> InboundEntry:
    try:
        body, valid = row.body.decode("utf-8"), True
    except UnicodeDecodeError:
        body, valid = row.body.decode("utf-8", errors="replace"), False
    assert row.id is not None
    return InboundEntry(
        id=row.id,
        vendor=row.vendor,
        method=row.method,
        path=row.path,
        query=row.query,
        source_ip=row.source_ip,
        headers=row.headers,
        body=body,
        body_valid_utf8=valid,
        received_at=row.received_at,
        outcome=row.outcome,
        status_code=row.status_code,
        problem=row.problem,
        contract_id=row.contract_id,
        event_id=row.event_id,
    )
