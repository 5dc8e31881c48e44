"""The benchmark's sizes: the full run for `contractsync bench`, a toy one for the smoke test."""

from dataclasses import dataclass, replace
from pathlib import Path

SECTIONS = ("ingress", "pipeline", "e2e", "scale")


@dataclass(frozen=True)
class BenchConfig:
    workdir: Path
    database_url: str | None = None  # PostgreSQL server to create databases on; None: SQLite
    runs: int = 3
    sections: tuple[str, ...] = SECTIONS
    relay_concurrency: int = 32  # the relay's default (RELAY_CONCURRENCY): the no-op's too
    fresh_stacks: bool = True  # a new stack per measurement, so no backlog carries over
    busy_sample: float = 2.0  # seconds spent measuring other work on the machine first
    profile: bool = True  # py-spy on the API and the worker, in extra runs

    # 1. ingress: closed loop at saturation, then open loop at half of it
    ingress_concurrency: int = 32
    ingress_warmup: float = 1.0
    ingress_seconds: float = 3.0
    ingress_contracts: int = 600  # per vendor: about 12,000 distinct webhooks per run

    # 3. pipeline: these contracts' whole lifecycles, as fast as they can be sent
    pipeline_contracts: int = 15  # per vendor: about 300 events
    pipeline_concurrency: int = 32
    pipeline_timeout: float = 60.0

    # 2. end to end, open loop at `e2e_rate`, and at half the measured pipeline rate
    e2e_rate: float = 100.0
    e2e_seconds: float = 3.0
    e2e_sampled_rate: float = 20.0  # status changes polled per second, at most
    e2e_poll_interval: float = 0.02
    e2e_timeout: float = 20.0
    e2e_sustainable: bool = True  # also at half the measured pipeline rate

    # 4. scale: open contracts on one worker, with polling durations shrunk to fit
    scale_contracts: int = 1000
    scale_rate: float = 15.0  # contracts created per second
    scale_observe: float = 60.0  # seconds of polling watched after the last contract
    scale_poll_after: str = "20s"
    scale_poll_max: str = "40s"
    scale_bucket: float = 5.0
    # WORKER_MAX_CACHED_WORKFLOWS, well below the contracts so that the bound is what is
    # measured (None: the worker's default, 1,000)
    scale_cache: int | None = 250

    def toy(self) -> "BenchConfig":
        """Seconds, not minutes: enough to prove every part still runs."""
        return replace(
            self,
            runs=1,
            busy_sample=0.2,
            profile=False,
            fresh_stacks=False,
            scale_cache=5,
            ingress_warmup=0.2,
            ingress_seconds=0.5,
            ingress_contracts=100,
            pipeline_contracts=2,
            pipeline_timeout=30.0,
            e2e_rate=20.0,
            e2e_seconds=1.0,
            e2e_timeout=15.0,
            e2e_sustainable=False,
            scale_contracts=20,
            scale_rate=20.0,
            scale_observe=2.0,
            scale_poll_after="1s",
            scale_poll_max="1s",
            scale_bucket=1.0,
        )
