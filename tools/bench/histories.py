"""Where a workflow task waited, read from the contracts' own histories after an end-to-end run.

The SDK's metrics give one mean over every workflow task. The histories tell a new contract's
first task (on the shared task queue, fetched by the pollers the SDK gives it) apart from the
later ones (on the worker's sticky queue, for contracts in its cache): between being scheduled
and being started, each waited in the Temporal server, and not for the same pollers.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

CONTRACTS = "WorkflowType='ContractLifecycle'"


@dataclass
class TaskWaits:
    """Seconds from a workflow task's scheduling to its start, over the runs' contracts."""

    first: list[float] = field(default_factory=list)  # each contract's first task
    later: list[float] = field(default_factory=list)  # every task after it
    contracts: int = 0

    def add(self, events: Iterable[HistoryEvent]) -> None:
        """One workflow run's history: its first task counts as first only if the run began
        the contract (not a continue-as-new, whose first task waits like a later one)."""
        scheduled: float | None = None
        new_contract = False
        tasks = 0
        for event in events:
            at = event.event_time.ToDatetime().timestamp()
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
                attributes = event.workflow_execution_started_event_attributes
                new_contract = not attributes.continued_execution_run_id
            elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
                scheduled = at
            elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                if scheduled is not None:
                    waits = self.first if tasks == 0 and new_contract else self.later
                    waits.append(at - scheduled)
                tasks += 1
                scheduled = None
        self.contracts += new_contract


async def read_task_waits(client: Client, query: str = CONTRACTS) -> TaskWaits:
    waits = TaskWaits()
    async for execution in client.list_workflows(query):
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        history = await handle.fetch_history()
        waits.add(history.events)
    return waits
