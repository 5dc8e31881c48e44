"""The load process: `python -m tools.bench.agent JOB.json RESULT.json` runs one job on uvloop
and writes what it measured to RESULT.json. Keeping load generation out of the benchmark's
own process means the process that measures is never the one that is measured.
"""

import dataclasses
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import uvloop
from pydantic import BaseModel, Field

from tools.bench.loadgen import closed_loop, open_loop
from tools.bench.probe import visibility
from tools.bench.wire import read_requests


class ClosedJob(BaseModel):
    kind: Literal["closed"] = "closed"
    host: str
    port: int
    requests_file: Path
    concurrency: int
    duration: float
    warmup: float = 0.0
    cycle: bool = False


class OpenJob(BaseModel):
    kind: Literal["open"] = "open"
    host: str
    port: int
    requests_file: Path
    rate: float
    duration: float
    warmup: float = 0.0
    cycle: bool = False


class ProbeJob(BaseModel):
    kind: Literal["probe"] = "probe"
    host: str
    port: int
    requests_file: Path
    sampled: list[bool]
    api_key: str
    rate: float
    duration: float
    poll_interval: float
    timeout: float


class Job(BaseModel):
    job: Annotated[ClosedJob | OpenJob | ProbeJob, Field(discriminator="kind")]


async def run(job: ClosedJob | OpenJob | ProbeJob) -> dict[str, Any]:
    requests = read_requests(job.requests_file)
    if isinstance(job, ClosedJob):
        closed = await closed_loop(
            job.host,
            job.port,
            requests,
            concurrency=job.concurrency,
            duration=job.duration,
            warmup=job.warmup,
            cycle=job.cycle,
        )
        return dataclasses.asdict(closed)
    if isinstance(job, OpenJob):
        opened = await open_loop(
            job.host,
            job.port,
            requests,
            rate=job.rate,
            duration=job.duration,
            warmup=job.warmup,
            cycle=job.cycle,
        )
        return dataclasses.asdict(opened)
    probed = await visibility(
        job.host,
        job.port,
        requests,
        job.sampled,
        api_key=job.api_key,
        rate=job.rate,
        duration=job.duration,
        poll_interval=job.poll_interval,
        give_up_after=job.timeout,
    )
    return dataclasses.asdict(probed)


def main(job_path: str, result_path: str) -> None:
    job = Job.model_validate_json(Path(job_path).read_bytes()).job
    result = uvloop.run(run(job))
    # A file, not stdout: nothing a library prints can corrupt it.
    Path(result_path).write_text(json.dumps(result, allow_nan=False))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
