"""The worker's own account of its workflow tasks, read from the Temporal SDK's Prometheus
metrics (`WORKER_METRICS_ADDRESS`): how long a task waited in the server before the worker
picked it up, how long the worker took over it (local activities included), and how long the
server took to accept its completion. Beside an end-to-end figure it says which side of the
wire the time went to."""

from dataclasses import dataclass
from statistics import fmean

import httpx
from prometheus_client.parser import text_string_to_metric_families

# The SDK's histogram families (durations in milliseconds, its default) and what they time.
SCHEDULE_TO_START = "temporal_workflow_task_schedule_to_start_latency"
EXECUTION = "temporal_workflow_task_execution_latency"
REQUEST = "temporal_request_latency"
COMPLETION = "RespondWorkflowTaskCompleted"  # the `operation` of REQUEST that completes a task


@dataclass(frozen=True)
class TaskTimes:
    """Means over every workflow task of a run, in milliseconds."""

    tasks: int
    waited: float  # scheduled in the server -> picked up by the worker
    worked: float  # in the worker, local activities included
    accepted: float  # the server's answer to the completion


def parse_task_times(exposition: str) -> TaskTimes | None:
    """None when the worker reported no workflow task."""
    sums: dict[str, float] = {}
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(exposition):
        if family.name not in (SCHEDULE_TO_START, EXECUTION, REQUEST):
            continue
        for sample in family.samples:
            if family.name == REQUEST and sample.labels.get("operation") != COMPLETION:
                continue
            if sample.name.endswith("_sum"):
                sums[family.name] = sums.get(family.name, 0.0) + sample.value
            elif sample.name.endswith("_count"):
                counts[family.name] = counts.get(family.name, 0.0) + sample.value
    if not counts.get(EXECUTION):
        return None

    def mean(name: str) -> float:
        return sums.get(name, 0.0) / counts[name] if counts.get(name) else 0.0

    return TaskTimes(
        tasks=int(counts[EXECUTION]),
        waited=mean(SCHEDULE_TO_START),
        worked=mean(EXECUTION),
        accepted=mean(REQUEST),
    )


async def read_task_times(address: str) -> TaskTimes | None:
    """From the worker's metrics endpoint; None if it does not answer."""
    try:
        async with httpx.AsyncClient(timeout=5.0) as http:
            response = await http.get(f"http://{address}/metrics")
    except httpx.HTTPError:
        return None
    return parse_task_times(response.text) if response.status_code == 200 else None


def mean_task_times(runs: list[TaskTimes | None]) -> TaskTimes | None:
    """The runs' means, each run weighing the same."""
    measured = [run for run in runs if run is not None]
    if not measured:
        return None
    return TaskTimes(
        tasks=sum(run.tasks for run in measured),
        waited=fmean(run.waited for run in measured),
        worked=fmean(run.worked for run in measured),
        accepted=fmean(run.accepted for run in measured),
    )
