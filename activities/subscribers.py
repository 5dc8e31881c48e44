"""Which enabled subscriptions want an event type: plain functions of a `Connection`, run in
one hop (`core.transactions`) by the delivery activities and by the read-model write."""

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Row, select
from sqlmodel import col

from core.delivery_log import ENABLED
from core.models import Subscription
from core.outbound import subscribes_to
from workflows.inputs import DeliveryTarget


def enabled_targets(event_type: str, connection: Connection) -> list[DeliveryTarget]:
    return [
        DeliveryTarget(webhook_id=webhook_id, max_attempts=attempts, timeout_ms=timeout)
        for webhook_id, events, attempts, timeout in _enabled(connection)
        if subscribes_to(events, event_type)
    ]


def wanted_event_types(event_types: Iterable[str], connection: Connection) -> list[str]:
    """Those of `event_types` that at least one enabled subscription wants, in their order."""
    asked = list(dict.fromkeys(event_types))
    if not asked:
        return []
    subscribed = [events for _, events, _, _ in _enabled(connection)]
    return [kind for kind in asked if any(subscribes_to(events, kind) for events in subscribed)]


def _enabled(connection: Connection) -> Sequence[Row[str, list[str], int, int]]:
    """The four columns the lookups need, of every enabled subscription."""
    return connection.execute(
        select(
            col(Subscription.webhook_id),
            col(Subscription.events),
            col(Subscription.max_attempts),
            col(Subscription.timeout_ms),
        )
        .where(col(Subscription.status) == ENABLED)
        .where(col(Subscription.deleted_at).is_(None))
        .order_by(col(Subscription.webhook_id))
    ).all()
