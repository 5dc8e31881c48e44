"""The delivery log and subscription health, written after every attempt.

Plain functions of a `Connection`, run as one transaction in one hop by the caller
(`core.transactions`: the `deliver` activity, the API's test send). Through an async session
each statement went through the worker's busy event loop while the transaction held SQLite's
write lock, and the API's webhook commits waited for it (the same finding as the read
model's: activities/read_model.py)."""

from datetime import datetime, timedelta

from sqlalchemy import Connection, func, insert, literal, select, update
from sqlmodel import col

from core.db import UTCDateTime
from core.models import DeliveryAttempt, OutboundMessage, Subscription
from core.outbound import AttemptResult, Verdict, sortable_id
from core.upsert import insert_for

ENABLED, DISABLED = "ENABLED", "DISABLED"


def store_message(connection: Connection, message: OutboundMessage) -> None:
    """Keeps the first body sent under a message id; later attempts send that same body."""
    values = message.model_dump()
    connection.execute(
        insert_for(connection, OutboundMessage).values(**values).on_conflict_do_nothing()
    )


def record_attempt(
    connection: Connection,
    message: OutboundMessage,
    result: AttemptResult,
    *,
    at: datetime,
    trigger: str,
) -> DeliveryAttempt:
    earlier = connection.execute(
        select(func.count()).where(col(DeliveryAttempt.message_id) == message.message_id)
    ).scalar_one()
    row = DeliveryAttempt(
        delivery_id=sortable_id("dlv"),
        message_id=message.message_id,
        webhook_id=message.webhook_id,
        event_id=message.event_id,
        attempt=earlier + 1,
        trigger=trigger,
        status_code=result.status_code,
        error=result.error,
        duration_ms=result.duration_ms,
        response=result.response,
        at=at,
    )
    connection.execute(insert(DeliveryAttempt).values(**row.model_dump()))
    return row


def note_health(
    connection: Connection,
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
        connection.execute(
            update(Subscription)
            .where(col(Subscription.webhook_id) == webhook_id)
            .where(col(Subscription.failing_since).is_not(None))
            .values(failing_since=None)
        )
        return None
    if result.verdict is Verdict.GONE:
        return disable(connection, webhook_id, "the endpoint answered 410 Gone", at)
    failing_since = connection.execute(
        update(Subscription)
        .where(col(Subscription.webhook_id) == webhook_id)
        .values(
            failing_since=func.coalesce(col(Subscription.failing_since), literal(at, UTCDateTime))
        )
        .returning(col(Subscription.failing_since))
    ).scalar_one_or_none()
    if failing_since is None or at - failing_since < disable_after:
        return None
    reason = f"every delivery failed since {failing_since.isoformat()} ({result.describe()})"
    return disable(connection, webhook_id, reason, at)


def disable(connection: Connection, webhook_id: str, reason: str, at: datetime) -> str | None:
    changed = connection.execute(
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
