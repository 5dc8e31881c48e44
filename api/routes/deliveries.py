"""`POST /v1/deliveries/{delivery_id}/redeliver`: one logged message, sent again as it was."""

from typing import Annotated, Any

from fastapi import APIRouter, Path
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from api.deps import ApiKey, SessionDep, SettingsDep, TemporalDep
from api.problems import NotFound, ServiceUnavailable, Unprocessable, problem_schema
from api.subscriptions import ID_PATTERN, RedeliveryAccepted
from core.delivery_log import ENABLED
from core.models import DeliveryAttempt, OutboundMessage, Subscription
from workflows.delivery import Redelivery, redelivery_workflow_id
from workflows.inputs import Delivery, DeliveryTarget, RedeliveryInput

router = APIRouter(prefix="/v1/deliveries", tags=["subscriptions"], dependencies=[ApiKey])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: problem_schema("missing or wrong API key"),
    404: problem_schema("no such delivery, or its subscription was deleted"),
    422: problem_schema("the subscription is disabled"),
    503: problem_schema("Temporal is unavailable; retry"),
}


@router.post(
    "/{delivery_id}/redeliver", status_code=202, response_model=RedeliveryAccepted, responses=ERRORS
)
async def redeliver(
    delivery_id: Annotated[str, Path(pattern=ID_PATTERN)],
    session: SessionDep,
    settings: SettingsDep,
    client: TemporalDep,
) -> RedeliveryAccepted:
    """The same body under the same `webhook-id`, with the usual retry schedule. Asking again
    while a redelivery of that message is still retrying joins it instead of doubling it."""
    attempt = await session.get(DeliveryAttempt, delivery_id)
    message = await session.get(OutboundMessage, attempt.message_id) if attempt else None
    subscription = await session.get(Subscription, message.webhook_id) if message else None
    if message is None or subscription is None or subscription.deleted_at is not None:
        raise NotFound(f"no delivery {delivery_id}")
    if subscription.status != ENABLED:
        raise Unprocessable(f"the subscription {subscription.webhook_id} is disabled")
    await session.commit()  # no transaction stays open across the call to Temporal
    workflow_id = redelivery_workflow_id(message.message_id)
    payload = RedeliveryInput(
        delivery=Delivery(
            message_id=message.message_id,
            webhook_id=message.webhook_id,
            event_id=message.event_id,
            event_type=message.event_type,
            body=message.body,
            trigger="redeliver",
        ),
        target=DeliveryTarget(
            webhook_id=subscription.webhook_id,
            max_attempts=subscription.max_attempts,
            timeout_ms=subscription.timeout_ms,
        ),
    )
    try:
        await client.start_workflow(
            Redelivery.run,
            payload,
            id=workflow_id,
            task_queue=settings.temporal_task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary=f"redeliver {message.message_id} to {subscription.webhook_id}",
        )
    except RPCError as error:
        raise ServiceUnavailable(
            f"could not start the redelivery: {error.message}", headers={"Retry-After": "5"}
        ) from error
    return RedeliveryAccepted(
        delivery_id=delivery_id,
        message_id=message.message_id,
        webhook_id=message.webhook_id,
        event_id=message.event_id,
        workflow_id=workflow_id,
    )
