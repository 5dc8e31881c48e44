"""Outbound delivery activities: who wants an event, and one signed attempt to one of them.

The `deliver` activity is retried by Temporal; each call is one attempt. It raises a
retryable ApplicationError for what may work later (408, 429, 5xx, network errors), with the
pause before the next attempt as `next_retry_delay` (the subscriber's Retry-After, or the
jittered backoff), and a non-retryable one for what will not (other 4xx, 410, a refused
target, a subscription disabled by this attempt).
"""

import asyncio
import functools
import random
from datetime import datetime
from typing import Literal

import httpx
from sqlalchemy import Connection
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.subscribers import enabled_targets
from core.db import SessionFactory
from core.delivery_log import ENABLED, note_health, record_attempt, store_message
from core.models import OutboundMessage, Subscription
from core.outbound import (
    AttemptResult,
    Endpoint,
    Message,
    Verdict,
    retry_delay,
    send,
)
from core.settings import Settings
from core.transactions import Transactions
from workflows.inputs import (
    Delivery,
    DeliveryOutcome,
    DeliveryTarget,
    DeliveryTargets,
    TargetQuery,
)


class DeliveryActivities:
    def __init__(
        self,
        settings: Settings,
        sessions: SessionFactory,
        transactions: Transactions,
        http: httpx.AsyncClient,
    ):
        self._settings = settings
        self._sessions = sessions
        self._transactions = transactions
        self._http = http
        self._rng = random.SystemRandom()

    @activity.defn(name="list_delivery_targets")
    async def list_targets(self, query: TargetQuery) -> DeliveryTargets:
        return DeliveryTargets(targets=await self._targets(query.event_type))

    @activity.defn(name="has_delivery_targets")
    async def has_targets(self, query: TargetQuery) -> bool:
        return bool(await self._targets(query.event_type))

    async def _targets(self, event_type: str) -> list[DeliveryTarget]:
        """Asked on every status change: one read in one hop (`core.transactions`), not a
        session's round trips through the worker's busy event loop."""
        return await self._transactions.run(functools.partial(enabled_targets, event_type))

    @activity.defn(name="deliver")
    async def deliver(self, delivery: Delivery) -> DeliveryOutcome:
        # Temporal's clock, not the worker's: the failure period that disables a subscription
        # then runs on the same time as the retry schedule (and the time-skipping test server).
        at = activity.info().started_time
        async with self._sessions() as session:
            subscription = await session.get(Subscription, delivery.webhook_id)
        if subscription is None or subscription.deleted_at is not None:
            return self._outcome(delivery, "skipped", "the subscription was deleted")
        if subscription.status != ENABLED:
            return self._outcome(delivery, "skipped", "the subscription is disabled")

        endpoint = Endpoint.of(subscription, self._settings.sealer())
        result = await send(
            self._http,
            endpoint,
            Message(delivery.message_id, delivery.body),
            allow_private=self._settings.allow_private_targets,
        )
        # Shielded, like the read model's write: cancelled mid-way (a worker shutting down)
        # the transaction would stay open, and on SQLite keep every other writer waiting.
        disabled = await asyncio.shield(self._record(delivery, result, at))

        if result.verdict is Verdict.DELIVERED:
            return self._outcome(delivery, "delivered", result.describe())
        detail = result.describe()
        if disabled:
            raise ApplicationError(
                f"{detail}; subscription disabled: {disabled}",
                type="SubscriptionDisabled",
                non_retryable=True,
            )
        if result.verdict is Verdict.RETRY:
            pause = result.retry_after or retry_delay(activity.info().attempt, self._rng)
            raise ApplicationError(detail, type="DeliveryFailed", next_retry_delay=pause)
        raise ApplicationError(detail, type="DeliveryRejected", non_retryable=True)

    async def _record(self, delivery: Delivery, result: AttemptResult, at: datetime) -> str | None:
        message = OutboundMessage(
            message_id=delivery.message_id,
            webhook_id=delivery.webhook_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            body=delivery.body,
            created_at=at,
        )
        disable_after = self._settings.subscription_disable_after

        def write(connection: Connection) -> str | None:
            store_message(connection, message)
            record_attempt(connection, message, result, at=at, trigger=delivery.trigger)
            return note_health(
                connection, delivery.webhook_id, result, at=at, disable_after=disable_after
            )

        return await self._transactions.run(write)

    @staticmethod
    def _outcome(
        delivery: Delivery, outcome: Literal["delivered", "skipped"], detail: str
    ) -> DeliveryOutcome:
        return DeliveryOutcome(
            webhook_id=delivery.webhook_id,
            message_id=delivery.message_id,
            outcome=outcome,
            detail=detail,
        )
