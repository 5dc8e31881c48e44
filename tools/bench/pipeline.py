"""Section 3: events per second applied by the workflows, against raw signal-with-start.

N contracts' lifecycles go through the whole pipeline (ingress, store, relay, workflow, read
model) as fast as the load process can send them; the clock stops when the last event is in
the read model. The same signals, by workflow and in the same order, then go by plain
signal-with-start into a no-op workflow on the same Temporal server.
"""

import asyncio
import time
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from tools.bench import readmodel
from tools.bench.agent import ClosedJob
from tools.bench.config import BenchConfig
from tools.bench.cpu import CpuMeter, CpuShare
from tools.bench.fixtures import payload, simulation, write_file
from tools.bench.load import run_load
from tools.bench.noop import noop_worker, signal_with_start_rate
from tools.bench.profile import Profile, recording, summarise
from tools.bench.stacks import fresh_stack
from tools.simulators import Delivery
from tools.stack import Stack


@dataclass(frozen=True)
class PipelineRun:
    events: int
    contracts: int
    seconds: float  # first send to last event applied
    rate: float  # events applied per second
    noop_rate: float  # signal-with-start per second into the no-op workflow
    complete: bool  # every event arrived before the timeout
    cpu: CpuShare  # while the pipeline worked
    cpu_noop: CpuShare  # while the no-op baseline ran


@dataclass(frozen=True)
class _Applied:
    deliveries: list[Delivery]
    started_at: float  # wall clock of the first send
    done_at: float | None  # wall clock when the last event was in the read model
    cpu: CpuShare

    @property
    def seconds(self) -> float:
        return (self.done_at or time.time()) - self.started_at


async def measure_pipeline(config: BenchConfig) -> list[PipelineRun]:
    async with fresh_stack(config.workdir / "pipeline", config.database_url) as stack:
        client = await Client.connect(stack.temporal_address)
        assert stack.database_url is not None
        async with noop_worker(client), readmodel.reader(stack.database_url) as engine:
            if config.fresh_stacks:
                # A first contract through each side, so no run pays for start-up.
                await _through_pipeline(config, stack, engine, seed=900, contracts=1)
                await signal_with_start_rate(client, [("bench-noop-warmup", "{}")], 1)
            runs = []
            for run in range(config.runs):
                applied = await _through_pipeline(
                    config, stack, engine, seed=300 + run, contracts=config.pipeline_contracts
                )
                await _settled(client)
                signals = [
                    (f"bench-noop-{run}-{d.contract_id}", payload(d)) for d in applied.deliveries
                ]
                meter = CpuMeter(stack)
                noop_rate = await signal_with_start_rate(client, signals, config.relay_concurrency)
                runs.append(
                    PipelineRun(
                        events=len(applied.deliveries),
                        contracts=len({d.contract_id for d in applied.deliveries}),
                        seconds=applied.seconds,
                        rate=len(applied.deliveries) / applied.seconds,
                        noop_rate=noop_rate,
                        complete=applied.done_at is not None,
                        cpu=applied.cpu,
                        cpu_noop=meter.read(),
                    )
                )
                await _settled(client)
            return runs


async def _through_pipeline(
    config: BenchConfig, stack: Stack, engine: AsyncEngine, seed: int, contracts: int
) -> _Applied:
    deliveries = list(simulation(contracts, seed).deliveries)
    port = int(stack.api_url().rsplit(":", 1)[1])
    requests = write_file(config.workdir / f"pipeline-{seed}.bin", deliveries, port)
    before = await readmodel.applied_webhooks(engine)
    meter = CpuMeter(stack)
    load = await run_load(
        ClosedJob(
            host="127.0.0.1",
            port=port,
            requests_file=requests,
            concurrency=config.pipeline_concurrency,
            duration=config.pipeline_timeout,
        ),
        config.workdir,
    )
    done = await readmodel.wait_for_applied(
        engine, before + len(deliveries), config.pipeline_timeout
    )
    return _Applied(deliveries, load.started_at, done, meter.read())


async def _settled(client: Client, give_up_after: float = 60.0) -> None:
    """Wait for the abandoned delivery children of the last run to finish, so the next
    measurement starts on an idle server."""
    query = 'WorkflowType="EventDelivery" AND ExecutionStatus="Running"'
    deadline = time.monotonic() + give_up_after
    while time.monotonic() < deadline:
        if (await client.count_workflows(query)).count == 0:
            return
        await asyncio.sleep(0.25)


async def profile_pipeline(config: BenchConfig) -> list[Profile]:
    """One more pipeline run, on a fresh stack, with py-spy on the worker and the API."""
    workdir = config.workdir / "pipeline-profile"
    async with fresh_stack(workdir, config.database_url) as stack:
        assert stack.database_url is not None
        worker, api = stack.workers[0].pid, next(iter(stack.apis.values())).pid
        async with (
            readmodel.reader(stack.database_url) as engine,
            recording(worker, workdir / "worker.txt") as recorded,
            recording(api, workdir / "api.txt"),
        ):
            if not recorded:
                return []
            await _through_pipeline(
                replace(config, workdir=workdir), stack, engine, 399, config.pipeline_contracts
            )
    found = [
        summarise(workdir / "worker.txt", "worker", "the pipeline"),
        summarise(workdir / "api.txt", "API", "the pipeline"),
    ]
    return [profile for profile in found if profile is not None]
