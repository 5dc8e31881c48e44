"""Runs one job in the load process (`tools.bench.agent`) and reads back what it measured."""

import asyncio
import sys
import uuid
from pathlib import Path

from pydantic import TypeAdapter

from tools.bench.agent import ClosedJob, Job, OpenJob, ProbeJob
from tools.bench.loadgen import LoadResult
from tools.bench.probe import ProbeResult


async def _run(job: ClosedJob | OpenJob | ProbeJob, workdir: Path) -> bytes:
    path = workdir / f"job-{job.kind}-{uuid.uuid4().hex[:8]}.json"
    result = path.with_suffix(".result.json")
    path.write_text(Job(job=job).model_dump_json())
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "tools.bench.agent", str(path), str(result)),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    if process.returncode != 0 or not result.exists():
        detail = err.decode(errors="replace")[-2000:]
        raise RuntimeError(f"the load process failed ({process.returncode}): {detail}")
    return result.read_bytes()


async def run_load(job: ClosedJob | OpenJob, workdir: Path) -> LoadResult:
    return TypeAdapter(LoadResult).validate_json(await _run(job, workdir))


async def run_probe(job: ProbeJob, workdir: Path) -> ProbeResult:
    return TypeAdapter(ProbeResult).validate_json(await _run(job, workdir))
