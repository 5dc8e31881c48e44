"""The contracts API for internal teams (public contract, section 3)."""

import binascii
import json
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import and_, or_
from sqlmodel import col, select

from api.contracts import (
    ContractPage,
    decode_cursor,
    encode_cursor,
    poll_now,
    read_after_event,
    read_contract,
    summary_of,
)
from api.deps import ApiKey, RelayDep, SessionDep, SettingsDep, TemporalDep, TransactionsDep
from api.problems import BadRequest, NotFound, problem_schema
from core.events import ContractView
from core.models import Contract
from core.statuses import ContractStatus

router = APIRouter(prefix="/contracts", tags=["contracts"], dependencies=[ApiKey])

AUTH: dict[int | str, dict[str, Any]] = {401: problem_schema("missing or wrong API key")}


@router.get(
    "/{contract_id:path}",
    response_model=ContractView,
    responses=AUTH | {404: problem_schema("no such contract")},
)
async def get_contract(
    contract_id: str,
    transactions: TransactionsDep,
    client: TemporalDep,
    settings: SettingsDep,
    relay: RelayDep,
    wait_for: Annotated[
        str | None,
        Query(description="an event_id from a webhook ack: answer once it has been applied"),
    ] = None,
    wait_seconds: Annotated[
        float, Query(alias="timeout", gt=0, le=30, description="seconds to wait at most")
    ] = 5.0,
) -> ContractView:
    """One contract, as its workflow last wrote it (the read model); with `wait_for`, once that
    event has been applied."""
    if wait_for:
        wait = timedelta(seconds=wait_seconds)
        view = await read_after_event(
            contract_id, wait_for, transactions, client, settings, relay, wait
        )
    else:
        view = await read_contract(contract_id, transactions, settings)
    if view is None:
        raise NotFound(f"no contract {contract_id}")
    return view


@router.get(
    "",
    response_model=ContractPage,
    responses=AUTH | {400: problem_schema("bad filter or cursor")},
)
async def list_contracts(
    session: SessionDep,
    status: ContractStatus | None = None,
    vendor: str | None = None,
    updated_after: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> ContractPage:
    """Contracts ordered by last update (oldest first), for incremental sync with a cursor."""
    query = select(Contract)
    if status is not None:
        query = query.where(Contract.status == status.value)
    if vendor is not None:
        query = query.where(Contract.vendor == vendor)
    if updated_after is not None:
        query = query.where(col(Contract.updated_at) > updated_after)
    if cursor:
        try:
            after_updated, after_id = decode_cursor(cursor)
        except (ValueError, binascii.Error, json.JSONDecodeError, TypeError) as error:
            raise BadRequest("the cursor is not valid") from error
        query = query.where(
            or_(
                col(Contract.updated_at) > after_updated,
                and_(
                    col(Contract.updated_at) == after_updated, col(Contract.contract_id) > after_id
                ),
            )
        )
    query = query.order_by(col(Contract.updated_at), col(Contract.contract_id)).limit(limit + 1)
    rows = list((await session.exec(query)).all())
    page, more = rows[:limit], len(rows) > limit
    return ContractPage(
        items=[summary_of(row) for row in page],
        next_cursor=encode_cursor(page[-1]) if more and page else None,
    )


@router.post(
    "/{contract_id:path}/poll",
    response_model=ContractView,
    responses=AUTH
    | {
        404: problem_schema("no such contract"),
        409: problem_schema("the contract is finished; nothing to poll"),
        503: problem_schema("Temporal or the worker did not answer in time"),
    },
)
async def poll_contract(contract_id: str, client: TemporalDep) -> ContractView:
    """Ask the vendor for the contract's status now; a change is applied like a webhook."""
    return await poll_now(client, contract_id)
