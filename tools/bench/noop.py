"""The pipeline's yardstick: Temporal signal-with-start into a workflow that does nothing.

Same server, same number of workflows and signals, same concurrency as the relay; the
workflow only counts signals and finishes once it has all of its own, so the time to the last
result is the raw cost of the Temporal side alone.
"""

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta

from temporalio import workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import Worker

from tools.bench.probe import next_poll

TASK_QUEUE = "bench-noop"


@workflow.defn(name="BenchNoop")
class NoopEntity:
    def __init__(self) -> None:
        self._seen = 0

    @workflow.signal(name="event")
    def event(self, _payload: str) -> None:
        self._seen += 1

    @workflow.query(name="seen")
    def seen(self) -> int:
        return self._seen

    @workflow.run
    async def run(self, expected: int) -> int:
        await workflow.wait_condition(lambda: self._seen >= expected)
        return self._seen


@asynccontextmanager
async def noop_worker(client: Client) -> AsyncIterator[None]:
    """A worker in the benchmark's own process, as the brief of a baseline asks: nothing of
    ours between Temporal and the workflow."""
    worker = Worker(client, task_queue=TASK_QUEUE, workflows=[NoopEntity])
    async with worker:
        yield


async def signal_with_start_rate(
    client: Client,
    signals: Sequence[tuple[str, str]],
    concurrency: int,
    give_up_after: float = 300.0,
) -> float:
    """Signals per second from the first send until every workflow has all of its signals.

    `signals` is (workflow id, payload) in sending order.
    """
    expected = Counter(workflow_id for workflow_id, _ in signals)
    queue = iter(signals)
    handles: dict[str, WorkflowHandle[NoopEntity, int]] = {}

    async def sender() -> None:
        for workflow_id, payload in queue:
            handles[workflow_id] = await client.start_workflow(
                NoopEntity.run,
                expected[workflow_id],
                id=workflow_id,
                task_queue=TASK_QUEUE,
                start_signal="event",
                start_signal_args=[payload],
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                execution_timeout=timedelta(seconds=give_up_after),
            )

    started = time.perf_counter()
    async with asyncio.timeout(give_up_after):
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        await asyncio.gather(*(handle.result() for handle in handles.values()))
    return len(signals) / (time.perf_counter() - started)


async def visibility_floor(
    client: Client,
    signals: Sequence[tuple[str, str]],
    sampled: Sequence[bool],
    *,
    rate: float,
    poll_interval: float,
    give_up_after: float,
) -> list[float]:
    """The end-to-end figure's yardstick: signal-with-start on a fixed schedule, then query
    the no-op workflow until it has counted the signal; seconds from schedule to seen."""
    expected = Counter(workflow_id for workflow_id, _ in signals)
    sent: Counter[str] = Counter()
    latencies: list[float] = []

    async def one(workflow_id: str, payload: str, nth: int, sample: bool, due: float) -> None:
        handle = await client.start_workflow(
            NoopEntity.run,
            expected[workflow_id],
            id=workflow_id,
            task_queue=TASK_QUEUE,
            start_signal="event",
            start_signal_args=[payload],
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            execution_timeout=timedelta(seconds=give_up_after * 4),
        )
        while sample and time.perf_counter() - due < give_up_after:
            # The workflow may have finished already: its last query answer still counts.
            if await handle.query(NoopEntity.seen) >= nth:
                latencies.append(time.perf_counter() - due)
                return
            await asyncio.sleep(next_poll(poll_interval, time.perf_counter() - due))

    tasks = []
    started = time.perf_counter()
    for index, ((workflow_id, payload), sample) in enumerate(zip(signals, sampled, strict=True)):
        due = started + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent[workflow_id] += 1
        tasks.append(asyncio.create_task(one(workflow_id, payload, sent[workflow_id], sample, due)))
    await asyncio.gather(*tasks)
    return latencies
