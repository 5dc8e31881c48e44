"""The delivery log and subscription health, written after every attempt. Helpers only flush:
the caller (the `deliver` activity, the API's test send) commits."""

from datetime import datetime, timedelta

from sqlalchemy import func, literal, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import UTCDateTime
from core.models import DeliveryAttempt, OutboundMessage, Subscription
from core.outbound import AttemptResult, Verdict, sortable_id
from core.upsert import insert_for

ENABLED, DISABLED = "ENABLED", "DISABLED"


async def store_message(session: AsyncSession, message: OutboundMessage) -> None:
    """Keeps the first body sent under a message id; later attempts send that same body."""
    values = message.model_dump()
    await session.exec(
        insert_for(session, OutboundMessage).values(**values).on_conflict_do_nothing()
    )


async def record_attempt(
    session: AsyncSession,
    message: OutboundMessage,
    result: AttemptResult,
    *,
    at: datetime,
    trigger: str,
) -> DeliveryAttempt:
    earlier = await session.exec(
        select(func.count()).where(col(DeliveryAttempt.message_id) == message.message_id)
    )
    row = DeliveryAttempt(
        delivery_id=sortable_id("dlv"),
        message_id=message.message_id,
        webhook_id=message.webhook_id,
        event_id=message.event_id,
        attempt=earlier.one() + 1,
        trigger=trigger,
        status_code=result.status_code,
        error=result.error,
        duration_ms=result.duration_ms,
        response=result.response,
        at=at,
    )
    session.add(row)
    await session.flush()
    return row


async def note_health(
    session: AsyncSession,
    webhook_id: str,
    result: AttemptResult,
    *,
    at: datetime,
    disable_after: timedelta,
) -> str | None:
    """Clears the failure run on success; disables on 410 or once failures lasted too long.

    Returns why the subscription was disabled by this attempt, if it was.
    """
    if result.verdict is Verdict.DELIVERED:
        await session.exec(
            update(Subscription)
            .where(col(Subscription.webhook_id) == webhook_id)
            .where(col(Subscription.failing_since).is_not(None))
            .values(failing_since=None)
        )
        return None
    if result.verdict is Verdict.GONE:
        return await disable(session, webhook_id, "the endpoint answered 410 Gone", at)
    await session.exec(
        update(Subscription)
        .where(col(Subscription.webhook_id) == webhook_id)
        .values(
            failing_since=func.coalesce(col(Subscription.failing_since), literal(at, UTCDateTime))
        )
    )
    failing_since = (
        await session.exec(
            select(Subscription.failing_since).where(col(Subscription.webhook_id) == webhook_id)
        )
    ).one_or_none()
    if failing_since is None or at - failing_since < disable_after:
        return None
    reason = f"every delivery failed since {failing_since.isoformat()} ({result.describe()})"
    return await disable(session, webhook_id, reason, at)


async def disable(session: AsyncSession, webhook_id: str, reason: str, at: datetime) -> str | None:
    changed = await session.exec(
        update(Subscription)
        .where(col(Subscription.webhook_id) == webhook_id)
        .where(col(Subscription.status) == ENABLED)
        .values(
            status=DISABLED,
            disabled_reason=reason[:500],
            version=col(Subscription.version) + 1,
            updated_at=at,
        )
    )
    return reason if changed.rowcount else None
