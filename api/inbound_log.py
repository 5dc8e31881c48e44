"""Reading the inbound log: one query for the JSON API and the operator page."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import InboundRequest


async def read_inbound(
    session: AsyncSession,
    *,
    vendor: str | None,
    outcome: str | None,
    contract_id: str | None,
    before: int | None,
    limit: int,
) -> tuple[list[InboundRequest], bool]:
    """Newest first, up to `limit` rows older than `before`; and whether more follow."""
    query = select(InboundRequest)
    if vendor:
        query = query.where(InboundRequest.vendor == vendor)
    if outcome:
        query = query.where(InboundRequest.outcome == outcome)
    if contract_id:
        query = query.where(InboundRequest.contract_id == contract_id)
    if before is not None:
        query = query.where(col(InboundRequest.id) < before)
    query = query.order_by(col(InboundRequest.id).desc()).limit(limit + 1)
    rows = list((await session.exec(query)).all())
    return rows[:limit], len(rows) > limit
