"""`contractsync bench`: every section against real stacks, the table, docs/benchmarks.md."""

import asyncio
import gc
import shutil
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic_core import to_json
from sqlalchemy.engine import make_url

from tools.bench.config import SECTIONS, BenchConfig
from tools.bench.e2e import measure_e2e
from tools.bench.ingress import measure_ingress, profile_ingress
from tools.bench.machine import describe
from tools.bench.pipeline import measure_pipeline, profile_pipeline
from tools.bench.placement import split
from tools.bench.report import Report, write_doc
from tools.bench.scale import measure_scale
from tools.bench.summary import e2e_figures, ingress_figures, pipeline_figures, scale_figures


def run_bench(
    config: BenchConfig,
    command: str,
    output: Path | None,
    progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
) -> str:
    unknown = set(config.sections) - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown sections {sorted(unknown)}; known: {', '.join(SECTIONS)}")
    # Ours alone: earlier runs' logs and databases would only confuse the next reader.
    shutil.rmtree(config.workdir, ignore_errors=True)
    config.workdir.mkdir(parents=True)
    if config.database_url:
        shown = make_url(config.database_url).render_as_string(hide_password=True)
        command = f"DATABASE_URL={shown} {command}"
    report = Report(
        machine=describe(config.database_url, config.busy_sample),
        command=command,
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        concurrency=config.ingress_concurrency,
    )
    started = time.monotonic()
    asyncio.run(_measure(config, report, progress))
    # The Temporal SDK's native threads can abort interpreter exit (sdk-python issue 300);
    # collecting its objects while the interpreter is whole avoids that.
    gc.collect()
    report.elapsed = time.monotonic() - started
    if output is not None:
        write_doc(output, report)
    return report.text()


async def _measure(config: BenchConfig, report: Report, progress: Callable[[str], None]) -> None:
    clock = time.monotonic()

    def done(section: str) -> None:
        nonlocal clock
        progress(f"bench: {section} done in {time.monotonic() - clock:.0f} s")
        clock = time.monotonic()

    if "ingress" in config.sections:
        progress("bench: 1. ingress at saturation and at half load, against a bare endpoint")
        ingress = await measure_ingress(config)
        keep(config, "ingress", ingress)
        report.ingress = ingress_figures(ingress)
        placement = split()
        if placement is not None:
            placed = await measure_ingress(config, placement)
            keep(config, "ingress-placed", placed)
            report.ingress_placed = ingress_figures(placed)
            report.placement = placement.describe()
        if config.profile:
            report.profiles += [p for p in [await profile_ingress(config)] if p is not None]
        done("ingress")
    rates = [config.e2e_rate]
    if "pipeline" in config.sections:
        progress("bench: 3. pipeline throughput, against signal-with-start on a no-op workflow")
        pipeline = await measure_pipeline(config)
        keep(config, "pipeline", pipeline)
        report.pipeline = pipeline_figures(pipeline)
        if config.profile:
            report.profiles += await profile_pipeline(config)
        if config.e2e_sustainable:
            # Context for the end-to-end target: latency at a rate this machine keeps up with.
            rates.append(round(report.pipeline.rate / 2))
        done("pipeline")
    if "e2e" in config.sections:
        progress(f"bench: 2. end to end at {', '.join(f'{r:g}' for r in rates)} events/s")
        e2e = await measure_e2e(config, rates)
        keep(config, "e2e", e2e)
        report.e2e = e2e_figures(e2e)
        done("end to end")
    if "scale" in config.sections:
        progress(f"bench: 4. scale, {config.scale_contracts} open contracts on one worker")
        scale = await measure_scale(config)
        keep(config, "scale", scale)
        report.scale = scale_figures(scale, config.scale_bucket)
        done("scale")


def keep(config: BenchConfig, section: str, runs: object) -> None:
    """Every raw measurement, beside the stacks' logs, for whoever questions a figure."""
    (config.workdir / f"{section}.json").write_bytes(to_json(runs))


def toy_config(workdir: Path, database_url: str | None = None) -> BenchConfig:
    return BenchConfig(workdir, database_url).toy()
