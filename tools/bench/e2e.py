"""Section 2: webhook sent -> its status visible in `GET /contracts/{id}`, at a steady rate.

Contracts' lifecycles are sent in order on an open-loop schedule; of the webhooks that move a
status, at most `e2e_sampled_rate` a second are then polled with plain GETs (see
`tools.bench.probe`). Each run has a fresh stack, and one contract goes all the way through
it first.
"""

import asyncio
import math
from dataclasses import dataclass

from temporalio.client import Client
from temporalio.service import RPCError

from tools.bench.agent import ProbeJob
from tools.bench.config import BenchConfig
from tools.bench.cpu import CpuMeter, CpuShare
from tools.bench.fixtures import BENCH_SECRETS, payload, simulation, status_changes, write_file
from tools.bench.histories import TaskWaits, read_task_waits
from tools.bench.load import run_probe
from tools.bench.noop import noop_worker, visibility_floor
from tools.bench.probe import ProbeResult
from tools.bench.stacks import fresh_stack
from tools.bench.task_times import TaskTimes, read_task_times
from tools.simulators import send
from tools.stack import API_KEY, Stack, free_port

WARMUP_TIMEOUT = 60.0
SETTLE = 1.0


@dataclass(frozen=True)
class E2eRun:
    rate: float
    result: ProbeResult
    floor: list[float]  # seconds, signal-with-start -> visible to a query, no-op workflow
    cpu: CpuShare  # while the webhooks were sent and polled
    tasks: TaskTimes | None  # the worker's workflow tasks in this run, by the SDK's metrics
    waits: TaskWaits | None  # the same tasks' waits in the server, by the contracts' histories


async def measure_e2e(config: BenchConfig, rates: list[float]) -> list[E2eRun]:
    runs = []
    for rate in rates:
        for run in range(config.runs):
            workdir = config.workdir / f"e2e-{rate:g}-{run}"
            metrics = f"127.0.0.1:{free_port()}"
            worker_env = {"WORKER_METRICS_ADDRESS": metrics}
            async with fresh_stack(workdir, config.database_url, worker_env) as stack:
                await _warm_up(stack)
                runs.append(await _one_run(config, stack, rate, run, metrics))
    return runs


async def _warm_up(stack: Stack) -> None:
    """One contract all the way through: the worker is polling and every client connected."""
    first = simulation(1, seed=999).deliveries[0]
    async with stack.client(timeout=WARMUP_TIMEOUT) as client:
        report = await send([first], stack.api_url(), client, BENCH_SECRETS, concurrency=1)
        if report.acked != 1:
            raise RuntimeError(f"the stack did not take a webhook: {report.results}")
        contract_id = first.contract_id
        deadline = asyncio.get_running_loop().time() + WARMUP_TIMEOUT
        while asyncio.get_running_loop().time() < deadline:
            response = await client.get(f"/contracts/{contract_id}")
            if response.status_code == 200 and response.json().get("status"):
                return
            await asyncio.sleep(0.1)
    raise RuntimeError("the warm-up contract never became visible")


async def _one_run(
    config: BenchConfig, stack: Stack, rate: float, run: int, metrics: str
) -> E2eRun:
    needed = math.ceil(rate * config.e2e_seconds)
    contracts = 1
    while True:
        deliveries = simulation(contracts, seed=500 + run).deliveries
        if len(deliveries) >= needed:
            break
        contracts *= 2
    deliveries = deliveries[:needed]
    changes = status_changes(deliveries)
    every = max(round(rate * sum(changes) / len(changes) / config.e2e_sampled_rate), 1)
    sampled, seen = [], 0
    for moves in changes:
        sampled.append(moves and seen % every == 0)
        seen += moves
    # The yardstick first, while the server is idle; the real pipeline's backlog would
    # otherwise still be draining under it.
    client = await Client.connect(stack.temporal_address)
    async with noop_worker(client):
        floor = await visibility_floor(
            client,
            [(f"bench-floor-{d.contract_id}", payload(d)) for d in deliveries],
            sampled,
            rate=rate,
            poll_interval=config.e2e_poll_interval,
            give_up_after=config.e2e_timeout,
        )
    await asyncio.sleep(SETTLE)
    port = int(stack.api_url().rsplit(":", 1)[1])
    workdir = config.workdir / f"e2e-{rate:g}-{run}"
    requests = write_file(workdir / "webhooks.bin", deliveries, port)
    meter = CpuMeter(stack)
    probed = await run_probe(
        ProbeJob(
            host="127.0.0.1",
            port=port,
            requests_file=requests,
            sampled=sampled,
            api_key=API_KEY,
            rate=rate,
            duration=config.e2e_seconds,
            poll_interval=config.e2e_poll_interval,
            timeout=config.e2e_timeout,
        ),
        workdir,
    )
    cpu = meter.read()
    tasks = await read_task_times(metrics)
    try:
        waits: TaskWaits | None = await read_task_waits(client)
    except RPCError as error:  # visibility unavailable: the run's figures stand without it
        print(f"bench: could not read the contracts' histories: {error}", flush=True)
        waits = None
    return E2eRun(rate, probed, floor, cpu, tasks, waits)
