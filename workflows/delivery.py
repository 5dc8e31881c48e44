"""Outbound delivery of contract events: one workflow per status change, one per redelivery.

ContractLifecycle starts `EventDelivery` as an abandoned child (`deliveries-{event_id}`), so a
contract never waits for its subscribers. Every subscription that wants the event gets its own
`deliver` activity, all at once: a dead subscriber only ever delays itself. Retries are
Temporal's: the policy below bounds them (attempts, a 3-day window) and the activity sets
each pause through `next_retry_delay` (the backoff with jitter, or the subscriber's
Retry-After); the activity also decides what is final.
"""

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from core.outbound import BACKOFF, FIRST_RETRY, LONGEST_PAUSE, RETRY_WINDOW, message_id_for
    from workflows.inputs import (
        ContractChange,
        Delivery,
        DeliveryOutcome,
        DeliverySummary,
        DeliveryTarget,
        DeliveryTargets,
        RedeliveryInput,
        TargetQuery,
    )

# Beyond the subscriber's own timeout: DNS, the database writes around the request.
SEND_MARGIN = timedelta(seconds=15)
LOOKUP_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)


def delivery_workflow_id(event_id: str) -> str:
    return f"deliveries-{event_id}"


def redelivery_workflow_id(message_id: str) -> str:
    return f"redeliver-{message_id}"


async def has_subscribers(event_type: str) -> bool:
    """For the contract's workflow: whether an EventDelivery is worth starting at all. Most
    status changes of most deployments interest nobody, and a child workflow per change would
    about double the Temporal work per event; this quick read runs inside the workflow task."""
    wanted: bool = await workflow.execute_local_activity(
        "has_delivery_targets",
        TargetQuery(event_type=event_type),
        result_type=bool,
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=LOOKUP_RETRY,
    )
    return wanted


def retry_policy(max_attempts: int) -> RetryPolicy:
    return RetryPolicy(
        initial_interval=FIRST_RETRY,
        backoff_coefficient=BACKOFF,
        maximum_interval=LONGEST_PAUSE,
        maximum_attempts=max_attempts,
    )


async def deliver(delivery: Delivery, target: DeliveryTarget) -> DeliveryOutcome:
    """Every attempt of one message, until delivered, final, or out of attempts or time."""
    try:
        outcome: DeliveryOutcome = await workflow.execute_activity(
            "deliver",
            delivery,
            result_type=DeliveryOutcome,
            schedule_to_close_timeout=RETRY_WINDOW,
            start_to_close_timeout=timedelta(milliseconds=target.timeout_ms) + SEND_MARGIN,
            retry_policy=retry_policy(target.max_attempts),
            summary=f"deliver to {target.webhook_id}",
        )
        return outcome
    except ActivityError as error:
        cause = error.cause
        detail = cause.message if isinstance(cause, ApplicationError) else str(cause or error)
        return DeliveryOutcome(
            webhook_id=delivery.webhook_id,
            message_id=delivery.message_id,
            outcome="failed",
            detail=f"{detail} ({error.retry_state.name if error.retry_state else 'final'})",
        )


@workflow.defn(name="EventDelivery")
class EventDelivery:
    @workflow.run
    async def run(self, change: ContractChange) -> DeliverySummary:
        # Local: one quick read, run within the workflow task rather than as its own task
        # through the server, which every status change of every contract pays for.
        found: DeliveryTargets = await workflow.execute_local_activity(
            "list_delivery_targets",
            TargetQuery(event_type=change.event_type),
            result_type=DeliveryTargets,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=LOOKUP_RETRY,
        )
        body = change.body()
        deliveries = [
            deliver(
                Delivery(
                    message_id=message_id_for(change.event_id, target.webhook_id),
                    webhook_id=target.webhook_id,
                    event_id=change.event_id,
                    event_type=change.event_type,
                    body=body,
                ),
                target,
            )
            for target in found.targets
        ]
        outcomes = await asyncio.gather(*deliveries)
        return DeliverySummary(event_id=change.event_id, outcomes=list(outcomes))


@workflow.defn(name="Redelivery")
class Redelivery:
    """A stored message sent again, same body and same `webhook-id`, same retry schedule."""

    @workflow.run
    async def run(self, input: RedeliveryInput) -> DeliveryOutcome:
        return await deliver(input.delivery, input.target)
