"""`/v1/webhooks`: outbound subscriptions, their test send and their delivery log (API §4)."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, Response
from sqlalchemy import Connection, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.deps import ApiKey, SessionDep, SettingsDep
from api.problems import NotFound, PreconditionFailed, Unprocessable, problem_schema
from api.subscriptions import (
    ID_PATTERN,
    MASKED,
    AttemptOut,
    AttemptPage,
    Status,
    StatusUpdate,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionOut,
    SubscriptionPage,
    SubscriptionUpdate,
    parse_if_match,
    unmasked,
)
from core.db import utcnow
from core.delivery_log import DISABLED, ENABLED, record_attempt, store_message
from core.models import DeliveryAttempt, OutboundMessage, Subscription
from core.outbound import Endpoint, Message, message_id_for, new_secret, send, sortable_id
from core.settings import Settings
from core.targets import TargetRefused, TargetUnresolvable, resolve_target
from worker import outbound_http
from workflows.inputs import ContractChange

TEST_EVENT = "contract.test"


@asynccontextmanager
async def _outbound_client(app: FastAPI) -> AsyncIterator[None]:
    """The API's one client for test sends, opened with the app (same rules as the worker's)."""
    async with outbound_http() as http:
        app.state.outbound_http = http
        yield


async def get_outbound_http(request: Request) -> httpx.AsyncClient:
    http: httpx.AsyncClient = request.app.state.outbound_http
    return http


OutboundHttp = Annotated[httpx.AsyncClient, Depends(get_outbound_http)]
WebhookId = Annotated[str, Path(pattern=ID_PATTERN)]
Cursor = Annotated[str | None, Query(pattern=ID_PATTERN, description="next_cursor of a page")]
IfMatch = Annotated[
    str | None, Header(description="the version last read; 412 if it changed since")
]

router = APIRouter(
    prefix="/v1/webhooks",
    tags=["subscriptions"],
    dependencies=[ApiKey],
    lifespan=_outbound_client,
)

Responses = dict[int | str, dict[str, Any]]
AUTH: Responses = {401: problem_schema("missing or wrong API key")}
MISSING: Responses = {404: problem_schema("no such subscription")}
INVALID: Responses = {422: problem_schema("invalid field, unknown event type or refused URL")}
STALE: Responses = {412: problem_schema("If-Match does not match the current version")}


@router.post("", status_code=201, response_model=SubscriptionCreated, responses=AUTH | INVALID)
async def create_subscription(
    body: SubscriptionCreate, session: SessionDep, settings: SettingsDep, response: Response
) -> SubscriptionCreated:
    """The signing secret is in this response only."""
    await _check_target(body.url, settings)
    now = utcnow()
    secret, sealer = new_secret(), settings.sealer()
    row = Subscription(
        webhook_id=sortable_id("wh"),
        **body.model_dump(exclude={"custom_headers"}),
        custom_headers=sealer.seal_headers(body.custom_headers),
        secret=sealer.seal(secret),
        status=ENABLED,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.commit()
    _tag(response, row)
    response.headers["Location"] = f"{router.prefix}/{row.webhook_id}"
    return SubscriptionCreated(**SubscriptionOut.of(row).model_dump(), secret=secret)


@router.get("", response_model=SubscriptionPage, responses=AUTH)
async def list_subscriptions(
    session: SessionDep,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Cursor = None,
) -> SubscriptionPage:
    """Oldest first."""
    query = select(Subscription).where(col(Subscription.deleted_at).is_(None))
    if status:
        query = query.where(col(Subscription.status) == status)
    if cursor:
        query = query.where(col(Subscription.webhook_id) > cursor)
    rows = list(await session.exec(query.order_by(col(Subscription.webhook_id)).limit(limit + 1)))
    page = rows[:limit]
    return SubscriptionPage(
        items=[SubscriptionOut.of(row) for row in page],
        next_cursor=page[-1].webhook_id if len(rows) > limit and page else None,
    )


@router.get("/{webhook_id}", response_model=SubscriptionOut, responses=AUTH | MISSING)
async def get_subscription(
    webhook_id: WebhookId, session: SessionDep, response: Response
) -> SubscriptionOut:
    row = await _load(session, webhook_id)
    _tag(response, row)
    return SubscriptionOut.of(row)


@router.put(
    "/{webhook_id}", response_model=SubscriptionOut, responses=AUTH | MISSING | STALE | INVALID
)
async def update_subscription(
    webhook_id: WebhookId,
    body: SubscriptionUpdate,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    if_match: IfMatch = None,
) -> SubscriptionOut:
    """Changes the fields given; the version goes up by one. A custom header's value sent back
    as it was read (masked) keeps the stored value."""
    values = body.model_dump(exclude_unset=True)
    if "url" in values:
        await _check_target(values["url"], settings)
    if MASKED in (values.get("custom_headers") or {}).values():
        stored = await _load(session, webhook_id)
        await session.commit()  # the write below starts its own transaction
        try:
            values["custom_headers"] = unmasked(values["custom_headers"], stored.custom_headers)
        except ValueError as error:
            raise Unprocessable(
                str(error), errors=[{"loc": ["body", "custom_headers"], "msg": str(error)}]
            ) from error
        # What was unmasked belongs to the version read: a change since then wins with a 412.
        if_match = if_match or f'"{stored.version}"'
    if "custom_headers" in values:
        values["custom_headers"] = settings.sealer().seal_headers(values["custom_headers"])
    await _change(session, webhook_id, if_match, values)
    row = await _load(session, webhook_id)
    _tag(response, row)
    return SubscriptionOut.of(row)


@router.put(
    "/{webhook_id}/status", response_model=SubscriptionOut, responses=AUTH | MISSING | STALE
)
async def set_status(
    webhook_id: WebhookId,
    body: StatusUpdate,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> SubscriptionOut:
    """Enabling starts a fresh failure count; disabling stops retries in flight."""
    values: dict[str, Any] = {"status": body.status, "failing_since": None}
    values["disabled_reason"] = "disabled through the API" if body.status == DISABLED else None
    await _change(session, webhook_id, if_match, values)
    row = await _load(session, webhook_id)
    _tag(response, row)
    return SubscriptionOut.of(row)


@router.delete("/{webhook_id}", status_code=204, responses=AUTH | MISSING | STALE)
async def delete_subscription(
    webhook_id: WebhookId, session: SessionDep, if_match: IfMatch = None
) -> Response:
    """Deliveries in flight stop; the delivery log is kept."""
    await _change(session, webhook_id, if_match, {"status": DISABLED, "deleted_at": utcnow()})
    return Response(status_code=204)


@router.post("/{webhook_id}/test", response_model=AttemptOut, responses=AUTH | MISSING)
async def send_test(
    webhook_id: WebhookId, session: SessionDep, settings: SettingsDep, http: OutboundHttp
) -> AttemptOut:
    """Sends a signed `contract.test` event now, whatever the status; the attempt is logged
    but does not count towards disabling the subscription."""
    row = await _load(session, webhook_id)
    await session.commit()  # no transaction stays open while the subscriber answers
    now = utcnow()
    event_id = f"test_{uuid.uuid4().hex}"
    change = ContractChange(
        event_id=event_id,
        event_type=TEST_EVENT,
        contract_id="test:example",
        vendor="test",
        external_id="example",
        status="COUNTERSIGNED",
        previous_status="SIGNED",
        occurred_at=now,
        timestamp=now,
    )
    message = OutboundMessage(
        message_id=message_id_for(event_id, webhook_id),
        webhook_id=webhook_id,
        event_id=event_id,
        event_type=TEST_EVENT,
        body=change.body(),
        created_at=now,
    )
    endpoint = Endpoint.of(row, settings.sealer())
    result = await send(
        http,
        endpoint,
        Message(message.message_id, message.body),
        allow_private=settings.allow_private_targets,
    )

    def write(connection: Connection) -> DeliveryAttempt:
        store_message(connection, message)
        return record_attempt(connection, message, result, at=now, trigger="test")

    attempt = await (await session.connection()).run_sync(write)
    await session.commit()
    return AttemptOut.of(attempt)


@router.get("/{webhook_id}/deliveries", response_model=AttemptPage, responses=AUTH | MISSING)
async def list_deliveries(
    webhook_id: WebhookId,
    session: SessionDep,
    event_id: Annotated[str | None, Query(pattern=r"^[!-~]{1,80}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Cursor = None,
) -> AttemptPage:
    """Every attempt, newest first."""
    await _load(session, webhook_id)
    query = select(DeliveryAttempt).where(col(DeliveryAttempt.webhook_id) == webhook_id)
    if event_id:
        query = query.where(col(DeliveryAttempt.event_id) == event_id)
    if cursor:
        query = query.where(col(DeliveryAttempt.delivery_id) < cursor)
    query = query.order_by(col(DeliveryAttempt.delivery_id).desc()).limit(limit + 1)
    rows = list(await session.exec(query))
    page = rows[:limit]
    return AttemptPage(
        items=[AttemptOut.of(row) for row in page],
        next_cursor=page[-1].delivery_id if len(rows) > limit and page else None,
    )


async def _load(session: AsyncSession, webhook_id: str) -> Subscription:
    row = await session.get(Subscription, webhook_id)
    if row is None or row.deleted_at is not None:
        raise NotFound(f"no subscription {webhook_id}")
    return row


async def _change(
    session: AsyncSession, webhook_id: str, if_match: str | None, values: dict[str, Any]
) -> None:
    """Compare-and-set on the version, so two writers holding the same version cannot both
    win; without If-Match the change applies to whatever version is current. The write comes
    first (SQLite cannot turn a read into a write once another writer committed)."""
    expected = parse_if_match(if_match)
    statement = (
        update(Subscription)
        .where(col(Subscription.webhook_id) == webhook_id)
        .where(col(Subscription.deleted_at).is_(None))
    )
    if expected is not None:
        statement = statement.where(col(Subscription.version) == expected)
    changed = await session.exec(
        statement.values(**values, version=col(Subscription.version) + 1, updated_at=utcnow())
    )
    if not changed.rowcount:
        await session.rollback()
        current = await _load(session, webhook_id)
        raise PreconditionFailed(
            f"the subscription is at version {current.version}",
            headers={"ETag": f'"{current.version}"'},
        )
    await session.commit()


async def _check_target(url: str, settings: Settings) -> None:
    try:
        await resolve_target(url, settings.allow_private_targets)
    except (TargetRefused, TargetUnresolvable) as error:
        raise Unprocessable(
            f"the URL cannot be a webhook target: {error}",
            errors=[{"loc": ["body", "url"], "msg": str(error)}],
        ) from error


def _tag(response: Response, row: Subscription) -> None:
    response.headers["ETag"] = f'"{row.version}"'
