"""What the outbound delivery tests share: subscriptions written straight to the database
(cleaned up by the test that made them: other tests' deliveries must not fan out to them),
and a subscriber sink served on loopback."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from core.db import SessionFactory, utcnow
from core.models import DeliveryAttempt, Subscription
from core.outbound import new_secret, sortable_id
from tools.serve import serve
from tools.subscriber_sink import SubscriberSink


class Subscriptions:
    """Creates subscriptions for one test and deletes them when it ends."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions
        self.created: list[str] = []

    async def add(self, url: str, events: list[str] | None = None, **fields: Any) -> Subscription:
        now = utcnow()
        values: dict[str, Any] = {"status": "ENABLED", "max_attempts": 100, "timeout_ms": 5_000}
        row = Subscription(
            webhook_id=sortable_id("wh"),
            url=url,
            events=events or ["*"],
            secret=new_secret(),
            created_at=now,
            updated_at=now,
            **(values | fields),
        )
        async with self._sessions() as session:
            session.add(row)
            await session.commit()
        self.created.append(row.webhook_id)
        return row

    async def get(self, webhook_id: str) -> Subscription:
        async with self._sessions() as session:
            row = await session.get(Subscription, webhook_id)
        assert row is not None
        return row

    async def attempts(self, webhook_id: str) -> list[DeliveryAttempt]:
        async with self._sessions() as session:
            rows = await session.exec(
                select(DeliveryAttempt)
                .where(col(DeliveryAttempt.webhook_id) == webhook_id)
                .order_by(col(DeliveryAttempt.at), col(DeliveryAttempt.attempt))
            )
            return list(rows)

    async def remove_all(self) -> None:
        async with self._sessions() as session:
            await session.exec(
                update(Subscription)
                .where(col(Subscription.webhook_id).in_(self.created))
                .values(status="DISABLED", deleted_at=utcnow())
            )
            await session.commit()


@asynccontextmanager
async def running_sink() -> AsyncIterator[tuple[SubscriberSink, str]]:
    sink = SubscriberSink()
    async with serve(sink.app) as base_url:
        try:
            yield sink, base_url
        finally:
            sink.release_all()  # a stalled request would hold up the server's shutdown
