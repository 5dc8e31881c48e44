"""Section 1: webhook acks per second and their latency, against a bare FastAPI endpoint.

Saturation is a closed loop (`ingress_concurrency` connections, each sending its next webhook
as soon as the last is answered); half load is an open loop at half of *our* saturation
throughput, sent to both. Our API runs in a fresh stack for each, so the backlog one
measurement leaves in Temporal never slows the next; the relay and the worker are running,
as they would be in production.

Each run is made twice: with every process free to run on any core, and with the server under
test (our API, the bare endpoint) on a core of its own (`tools.bench.placement`).
"""

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from core.devstack import wait_for_port
from tools.bench.agent import ClosedJob, OpenJob
from tools.bench.config import BenchConfig
from tools.bench.cpu import CpuMeter, CpuShare
from tools.bench.fixtures import simulation, write_file
from tools.bench.load import run_load
from tools.bench.loadgen import LoadResult
from tools.bench.placement import Split, pin, this_process_on
from tools.bench.profile import Profile, recording, summarise
from tools.bench.stacks import fresh_stack
from tools.stack import Stack, free_port


@dataclass(frozen=True)
class IngressRun:
    saturated: LoadResult
    bare_saturated: LoadResult
    half_rate: float
    half: LoadResult
    bare_half: LoadResult
    cpu_saturated: CpuShare
    cpu_half: CpuShare


@contextmanager
def bare_endpoint(placement: Split | None = None) -> Iterator[int]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603  (our own module)
        [sys.executable, "-m", "tools.bench.baseline", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port("127.0.0.1", port, process, 30.0)
        if placement is not None:
            pin(process.pid, placement.server)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=15)


async def measure_ingress(config: BenchConfig, placement: Split | None = None) -> list[IngressRun]:
    """`placement`: the servers on a core of their own; None: every process anywhere."""
    runs = []
    with (
        bare_endpoint(placement) as bare_port,
        this_process_on(placement.rest) if placement else nullcontext(),
    ):
        for run in range(config.runs):
            runs.append(await _one_run(config, run, bare_port, placement))
    return runs


def _place(stack: Stack, placement: Split | None) -> None:
    if placement is None:
        return
    for process in [stack.temporal, *stack.workers]:
        if process is not None:
            pin(process.pid, placement.rest)
    for process in stack.apis.values():
        pin(process.pid, placement.server)


async def _one_run(
    config: BenchConfig, run: int, bare_port: int, placement: Split | None
) -> IngressRun:
    workdir = config.workdir / f"ingress-{'placed-' if placement else ''}{run}"
    warmup, seconds = config.ingress_warmup, config.ingress_seconds
    saturating = simulation(config.ingress_contracts, seed=100 + run).deliveries
    halving = simulation(config.ingress_contracts, seed=200 + run).deliveries

    def saturate(port: int, requests: Path, cycle: bool = False) -> ClosedJob:
        return ClosedJob(
            host="127.0.0.1",
            port=port,
            requests_file=requests,
            concurrency=config.ingress_concurrency,
            duration=seconds,
            warmup=warmup,
            cycle=cycle,
        )

    def at_half(port: int, requests: Path, rate: float, cycle: bool = False) -> OpenJob:
        return OpenJob(
            host="127.0.0.1",
            port=port,
            requests_file=requests,
            rate=rate,
            duration=seconds,
            warmup=warmup,
            cycle=cycle,
        )

    async def half_on(stack: Stack, rate: float) -> tuple[LoadResult, CpuShare]:
        requests = write_file(workdir / "half.bin", halving, _port(stack.api_url()))
        meter = CpuMeter(stack)
        result = await run_load(at_half(_port(stack.api_url()), requests, rate), workdir)
        return result, meter.read()

    async with fresh_stack(workdir / "saturated", config.database_url) as stack:
        _place(stack, placement)
        requests = write_file(workdir / "saturated.bin", saturating, _port(stack.api_url()))
        meter = CpuMeter(stack)
        saturated = await run_load(saturate(_port(stack.api_url()), requests), workdir)
        cpu_saturated = meter.read()
        half_rate = saturated.throughput / 2
        half = None if config.fresh_stacks else await half_on(stack, half_rate)
    if half is None:
        async with fresh_stack(workdir / "half", config.database_url) as stack:
            _place(stack, placement)
            half = await half_on(stack, half_rate)
    # The bare endpoint keeps nothing, so it may see the same webhooks again and again.
    bare_requests = write_file(workdir / "bare.bin", saturating, bare_port)
    bare_saturated = await run_load(saturate(bare_port, bare_requests, cycle=True), workdir)
    bare_half = await run_load(at_half(bare_port, bare_requests, half_rate, cycle=True), workdir)
    return IngressRun(
        saturated, bare_saturated, half_rate, half[0], bare_half, cpu_saturated, half[1]
    )


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


async def profile_ingress(config: BenchConfig) -> Profile | None:
    """One more saturated run, on a fresh stack, with py-spy on the API."""
    workdir = config.workdir / "ingress-profile"
    webhooks = simulation(config.ingress_contracts, seed=150).deliveries
    async with fresh_stack(workdir, config.database_url) as stack:
        port = _port(stack.api_url())
        requests = write_file(workdir / "saturated.bin", webhooks, port)
        api = next(iter(stack.apis.values())).pid
        async with recording(api, workdir / "api.txt") as recorded:
            if not recorded:
                return None
            await run_load(
                ClosedJob(
                    host="127.0.0.1",
                    port=port,
                    requests_file=requests,
                    concurrency=config.ingress_concurrency,
                    duration=config.ingress_seconds,
                    warmup=config.ingress_warmup,
                ),
                workdir,
            )
    return summarise(workdir / "api.txt", "API", "ingress saturation")
