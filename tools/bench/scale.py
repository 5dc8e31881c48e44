"""Section 4: many open contracts on one worker; its memory over time, and polling load.

Contracts that stall after their first event are created at a steady rate through the real
ingress; the vendors' status APIs (`tools.simulators.status_api`) run in this process, and
every request they get is one `poll_vendor` activity call, timestamped here. The worker's RSS
is sampled every second, beside how many contracts the read model holds.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import psutil
from sqlalchemy.ext.asyncio import AsyncEngine

from core.settings import Settings
from tools.bench import readmodel
from tools.bench.agent import OpenJob
from tools.bench.config import BenchConfig
from tools.bench.cpu import CpuMeter, CpuShare
from tools.bench.fixtures import open_contracts, write_file
from tools.bench.load import run_load
from tools.bench.stacks import fresh_stack
from tools.serve import serve
from tools.simulators import VendorState, create_status_app, vendor_base_urls

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestClock:
    """ASGI wrapper that notes when each HTTP request arrived."""

    def __init__(self, app: App) -> None:
        self._app = app
        self.times: list[float] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.times.append(time.time())
        await self._app(scope, receive, send)


@dataclass(frozen=True)
class Sample:
    at: float  # wall clock
    rss: int  # bytes
    contracts: int  # in the read model


@dataclass
class ScaleRun:
    contracts: int
    cache: int  # WORKER_MAX_CACHED_WORKFLOWS
    started_at: float
    created_until: float  # the last contract's webhook was sent
    ended_at: float
    samples: list[Sample] = field(default_factory=list)
    polls: list[float] = field(default_factory=list)  # wall clock of each vendor API call
    cpu: CpuShare | None = None  # over the whole run


def status_env(base_url: str, state: VendorState, config: BenchConfig) -> dict[str, str]:
    urls = vendor_base_urls(base_url)
    env = {
        "VLENS_API_URL": urls["vlens"],
        "DOCUMENSO_API_URL": urls["documenso"],
        "DOCUMENSO_API_KEY": state.documenso_api_key,
        "SIGNLY_API_URL": urls["signly"],
        "SIGNLY_TENANT_ID": state.signly_tenant_id,
        "SIGNLY_API_KEY": state.signly_api_key,
        "FINTECHOS_API_URL": urls["fintechos"],
        "POLL_AFTER": config.scale_poll_after,
        "POLL_MAX": config.scale_poll_max,
    }
    if config.scale_cache is not None:
        env["WORKER_MAX_CACHED_WORKFLOWS"] = str(config.scale_cache)
    return env


def cache_size(config: BenchConfig) -> int:
    if config.scale_cache is not None:
        return config.scale_cache
    default: int = Settings.model_fields["worker_max_cached_workflows"].default
    return default


async def measure_scale(config: BenchConfig) -> ScaleRun:
    simulation = open_contracts(config.scale_contracts, seed=700)
    state = VendorState()
    for contract in simulation.contracts:
        state.record(contract)
    clock = RequestClock(create_status_app(state))
    workdir = config.workdir / "scale"
    async with serve(clock) as status_url:
        env = status_env(status_url, state, config)
        async with fresh_stack(workdir, config.database_url, env) as stack:
            assert stack.database_url is not None
            worker = psutil.Process(stack.workers[0].pid)
            port = int(stack.api_url().rsplit(":", 1)[1])
            requests = write_file(workdir / "contracts.bin", simulation.deliveries, port)
            run = ScaleRun(len(simulation.contracts), cache_size(config), time.time(), 0.0, 0.0)
            meter = CpuMeter(stack)
            async with readmodel.reader(stack.database_url) as engine:
                sampling = asyncio.create_task(_sample(worker, engine, run.samples))
                try:
                    load = await run_load(
                        OpenJob(
                            host="127.0.0.1",
                            port=port,
                            requests_file=requests,
                            rate=config.scale_rate,
                            duration=len(simulation.deliveries) / config.scale_rate + 1,
                        ),
                        workdir,
                    )
                    run.created_until = load.finished_at
                    await asyncio.sleep(
                        max(run.created_until + config.scale_observe - time.time(), 0)
                    )
                finally:
                    sampling.cancel()
                    await asyncio.gather(sampling, return_exceptions=True)
            run.ended_at = time.time()
            run.cpu = meter.read()
    run.polls = [at for at in clock.times if run.started_at <= at <= run.ended_at]
    return run


async def _sample(worker: psutil.Process, engine: AsyncEngine, samples: list[Sample]) -> None:
    while True:
        samples.append(
            Sample(time.time(), worker.memory_info().rss, await readmodel.contracts(engine))
        )
        await asyncio.sleep(1.0)
