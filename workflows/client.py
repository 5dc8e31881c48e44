"""The caller's side of ContractLifecycle: signal-with-start, the one way events reach it."""

from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from core.events import ContractEvent, ContractView, workflow_id_for
from core.settings import Settings
from core.temporal import CONTRACT_EXTERNAL_ID, CONTRACT_VENDOR
from workflows.contract import ContractLifecycle
from workflows.inputs import ContractInput, LifecycleConfig


def lifecycle_config(settings: Settings) -> LifecycleConfig:
    return LifecycleConfig(
        poll_after=settings.poll_after,
        poll_max=settings.poll_max,
        contract_ttl=settings.contract_ttl,
        terminal_grace=settings.terminal_grace,
        temporal_ui_url=settings.temporal_ui_url,
        crm_enabled=bool(settings.crm_base_url),
    )


async def signal_with_start(
    client: Client, task_queue: str, event: ContractEvent, config: LifecycleConfig
) -> WorkflowHandle[ContractLifecycle, ContractView]:
    """Signals the contract's workflow, starting it if needed.

    A contract whose workflow already completed is never restarted empty: Temporal raises
    `WorkflowAlreadyStartedError` and the caller records the event as late.
    """
    return await client.start_workflow(
        ContractLifecycle.run,
        ContractInput(
            contract_id=event.contract_id,
            vendor=event.vendor,
            external_id=event.external_id,
            config=config,
        ),
        id=workflow_id_for(event.vendor, event.external_id),
        task_queue=task_queue,
        start_signal="event",
        start_signal_args=[event],
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(CONTRACT_VENDOR, event.vendor),
                SearchAttributePair(CONTRACT_EXTERNAL_ID, event.external_id),
            ]
        ),
        static_summary=f"{event.vendor} contract {event.external_id}",
        static_details=(
            f"- vendor: {event.vendor}\n- external id: {event.external_id}\n"
            f"- contract id: {event.contract_id}"
        ),
    )
