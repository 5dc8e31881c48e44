"""`/ui`: a read-only operator page, rendered on the server (no JavaScript at all).

Vendor data is hostile, so every value goes through Jinja2's autoescaping and the pages are
served with a Content-Security-Policy that allows no script. A browser cannot send a bearer
key on its own, so the pages take HTTP Basic with any user name and an API key from
CONTRACTSYNC_API_KEYS as the password (the browser asks once); a bearer key works too, for
scripts. Dev mode with no key set leaves them open, like the contracts API.
"""

import hmac
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials as Bearer
from fastapi.security import HTTPBasic, HTTPBasicCredentials, HTTPBearer
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.contracts import read_contract, ui_url
from api.deps import SessionDep, SettingsDep, TransactionsDep
from api.inbound_log import read_inbound
from api.problems import Unauthorized
from core.delivery_log import DISABLED
from core.models import Contract, DeliveryAttempt, Subscription
from core.statuses import ContractStatus

RECENT = 50
INBOUND_PAGE = 100
BODY_PREVIEW = 4096
NO_STATUS = "(none yet)"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_basic = HTTPBasic(auto_error=False, realm="ContractSync operator")
_bearer = HTTPBearer(auto_error=False)


async def require_operator(
    settings: SettingsDep,
    basic: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
    bearer: Annotated[Bearer | None, Depends(_bearer)],
) -> None:
    if not settings.api_keys and settings.dev_mode:
        return
    secret = basic.password if basic else bearer.credentials if bearer else ""
    if not any(hmac.compare_digest(secret.encode(), key.encode()) for key in settings.api_keys):
        raise Unauthorized(
            "an API key is required (HTTP Basic: any user, the key as password)",
            headers={"WWW-Authenticate": 'Basic realm="ContractSync operator", charset="UTF-8"'},
        )


router = APIRouter(
    prefix="/ui",
    tags=["operator"],
    include_in_schema=False,
    dependencies=[Depends(require_operator)],
)


@cache
def templates() -> Environment:
    env = Environment(
        loader=PackageLoader("api", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["path"] = lambda value: quote(str(value), safe=":@")
    return env


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    base = request.scope.get("root_path", "")
    html = templates().get_template(name).render(base=base, **context)
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)


@router.get("", response_class=HTMLResponse)
async def overview(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    status: str | None = None,
    vendor: str | None = None,
) -> HTMLResponse:
    """Contracts by status and vendor, the most recently updated ones, failing subscriptions."""
    counted = await session.exec(
        select(Contract.status, Contract.vendor, func.count()).group_by(
            col(Contract.status), col(Contract.vendor)
        )
    )
    counts: Counter[tuple[str, str]] = Counter()
    for row_status, row_vendor, n in counted:
        counts[(row_status or NO_STATUS, row_vendor)] += n
    vendors = sorted({row_vendor for _, row_vendor in counts})
    known = [member.value for member in ContractStatus]
    statuses = known + sorted({row_status for row_status, _ in counts} - set(known))
    query = select(Contract)
    if status:
        query = query.where(
            col(Contract.status).is_(None) if status == NO_STATUS else Contract.status == status
        )
    if vendor:
        query = query.where(Contract.vendor == vendor)
    recent = (
        await session.exec(
            query.order_by(
                col(Contract.updated_at).desc().nulls_last(), col(Contract.contract_id)
            ).limit(RECENT)
        )
    ).all()
    return render(
        request,
        "overview.html",
        counts=counts,
        vendors=vendors,
        statuses=[name for name in statuses if any(counts[(name, v)] for v in vendors)],
        row_totals={name: sum(counts[(name, v)] for v in vendors) for name in statuses},
        column_totals={v: sum(counts[(name, v)] for name in statuses) for v in vendors},
        total=sum(counts.values()),
        recent=[(row, ui_url(settings, row.workflow_id)) for row in recent],
        status=status,
        vendor=vendor,
        failing=await failing_subscriptions(session),
        temporal_ui=settings.temporal_ui_url,
    )


@router.get("/contracts/{contract_id:path}", response_class=HTMLResponse)
async def contract(
    request: Request,
    contract_id: str,
    transactions: TransactionsDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """One contract: its state, parties and full timeline (the read model)."""
    view = await read_contract(contract_id, transactions, settings)
    if view is None:
        return render(request, "missing.html", 404, contract_id=contract_id)
    return render(request, "contract.html", contract=view, temporal_ui=settings.temporal_ui_url)


@router.get("/inbound", response_class=HTMLResponse)
async def inbound(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    vendor: str | None = None,
    outcome: Literal["accepted", "duplicate", "rejected"] | None = None,
    contract_id: str | None = None,
    before: Annotated[int | None, Query(description="the id to continue before")] = None,
) -> HTMLResponse:
    """Every request vendors sent, newest first, secrets masked as stored."""
    page, more = await read_inbound(
        session,
        vendor=vendor,
        outcome=outcome,
        contract_id=contract_id,
        before=before,
        limit=INBOUND_PAGE,
    )
    return render(
        request,
        "inbound.html",
        rows=[(row, _preview(row.body)) for row in page],
        older=page[-1].id if more and page else None,
        vendor=vendor,
        outcome=outcome,
        contract_id=contract_id,
        temporal_ui=settings.temporal_ui_url,
    )


@dataclass(frozen=True)
class FailingSubscription:
    row: Subscription
    last_attempt: DeliveryAttempt | None


async def failing_subscriptions(session: AsyncSession) -> list[FailingSubscription] | None:
    """Subscriptions in a run of failed deliveries or disabled, with their latest attempt;
    None when no subscription is configured at all."""
    live = select(Subscription).where(col(Subscription.deleted_at).is_(None))
    if (await session.exec(live.limit(1))).first() is None:
        return None
    failing = (
        await session.exec(
            live.where(
                col(Subscription.failing_since).is_not(None)
                | (col(Subscription.status) == DISABLED)
            )
            .order_by(col(Subscription.updated_at).desc())
            .limit(RECENT)
        )
    ).all()
    found = []
    for row in failing:
        last = await session.exec(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.webhook_id == row.webhook_id)
            .order_by(col(DeliveryAttempt.at).desc())
            .limit(1)
        )
        found.append(FailingSubscription(row, last.first()))
    return found


def _preview(body: bytes) -> str:
    text = body[:BODY_PREVIEW].decode("utf-8", errors="replace")
    return text + ("…" if len(body) > BODY_PREVIEW else "")


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"
