"""From raw runs to the figures the table shows: medians across runs of per-run values."""

from collections import Counter
from dataclasses import dataclass
from statistics import fmean, linear_regression

from tools.bench.cpu import CpuShare
from tools.bench.e2e import E2eRun
from tools.bench.ingress import IngressRun
from tools.bench.loadgen import LoadResult
from tools.bench.pipeline import PipelineRun
from tools.bench.scale import Sample, ScaleRun
from tools.bench.stats import median, ms, percentile
from tools.bench.task_times import TaskTimes, mean_task_times


@dataclass(frozen=True)
class Latency:
    p50: float  # milliseconds
    p99: float

    @classmethod
    def of_runs(cls, runs: list[list[float]]) -> "Latency":
        return cls(
            median([ms(percentile(run, 50)) for run in runs]),
            median([ms(percentile(run, 99)) for run in runs]),
        )


def mean_cpu(shares: list[CpuShare]) -> CpuShare:
    return CpuShare(
        api=fmean(s.api for s in shares),
        worker=fmean(s.worker for s in shares),
        temporal=fmean(s.temporal for s in shares),
        machine=fmean(s.machine for s in shares),
        others=fmean(s.others for s in shares),
    )


@dataclass(frozen=True)
class IngressFigures:
    runs: int
    throughput: float
    bare_throughput: float
    saturated: Latency
    bare_saturated: Latency
    half_rate: float
    half: Latency
    bare_half: Latency
    refused: int  # answers other than 2xx, or no answer, in all runs
    cpu_saturated: CpuShare  # means across runs
    cpu_half: CpuShare


def ingress_figures(runs: list[IngressRun]) -> IngressFigures:
    def refused(result: LoadResult) -> int:
        return result.errors + sum(n for code, n in result.statuses.items() if code >= 300)

    return IngressFigures(
        runs=len(runs),
        throughput=median([r.saturated.throughput for r in runs]),
        bare_throughput=median([r.bare_saturated.throughput for r in runs]),
        saturated=Latency.of_runs([r.saturated.latencies for r in runs]),
        bare_saturated=Latency.of_runs([r.bare_saturated.latencies for r in runs]),
        half_rate=median([r.half_rate for r in runs]),
        half=Latency.of_runs([r.half.latencies for r in runs]),
        bare_half=Latency.of_runs([r.bare_half.latencies for r in runs]),
        refused=sum(refused(r.saturated) + refused(r.half) for r in runs),
        cpu_saturated=mean_cpu([r.cpu_saturated for r in runs]),
        cpu_half=mean_cpu([r.cpu_half for r in runs]),
    )


@dataclass(frozen=True)
class E2eFigures:
    rate: float
    runs: int
    visible: Latency
    floor: Latency
    ack: Latency
    sampled: int  # polled events, all runs
    polls: int  # the GETs they took, all runs
    missing: int  # never visible within the timeout
    cpu: CpuShare
    tasks: TaskTimes | None  # the worker's workflow tasks, mean of the runs
    first_task: Latency | None  # a new contract's first workflow task: scheduled -> started
    later_task: Latency | None  # every later one
    new_contracts: int  # contracts whose first task was timed, all runs


def e2e_figures(runs: list[E2eRun]) -> list[E2eFigures]:
    figures = []
    for rate in dict.fromkeys(run.rate for run in runs):
        mine = [run for run in runs if run.rate == rate]
        figures.append(
            E2eFigures(
                rate=rate,
                runs=len(mine),
                visible=Latency.of_runs([r.result.visible_latencies for r in mine]),
                floor=Latency.of_runs([r.floor for r in mine]),
                ack=Latency.of_runs([r.result.ack_latencies for r in mine]),
                sampled=sum(len(r.result.visible_latencies) + r.result.missing for r in mine),
                polls=sum(r.result.polls for r in mine),
                missing=sum(r.result.missing for r in mine),
                cpu=mean_cpu([r.cpu for r in mine]),
                tasks=mean_task_times([r.tasks for r in mine]),
                first_task=_waits([r.waits.first for r in mine if r.waits]),
                later_task=_waits([r.waits.later for r in mine if r.waits]),
                new_contracts=sum(r.waits.contracts for r in mine if r.waits),
            )
        )
    return figures


def _waits(runs: list[list[float]]) -> Latency | None:
    measured = [run for run in runs if run]
    return Latency.of_runs(measured) if measured else None


@dataclass(frozen=True)
class PipelineFigures:
    runs: int
    events: int
    contracts: int
    rate: float
    noop_rate: float
    incomplete: int
    cpu: CpuShare
    cpu_noop: CpuShare


def pipeline_figures(runs: list[PipelineRun]) -> PipelineFigures:
    return PipelineFigures(
        runs=len(runs),
        events=runs[0].events,
        contracts=runs[0].contracts,
        rate=median([r.rate for r in runs]),
        noop_rate=median([r.noop_rate for r in runs]),
        incomplete=sum(not r.complete for r in runs),
        cpu=mean_cpu([r.cpu for r in runs]),
        cpu_noop=mean_cpu([r.cpu_noop for r in runs]),
    )


@dataclass(frozen=True)
class ScaleFigures:
    contracts: int  # sent
    applied: int  # in the read model at the end
    cache: int
    create_seconds: float
    applied_created: int  # in the read model when the last contract had been sent
    all_applied_seconds: float | None  # from the first webhook until all were in the read model
    rss_idle: float  # MB, before the first contract
    rss_at_cache: float | None  # MB, when the read model first held `cache` contracts
    rss_created: float  # MB, when the last contract had been sent
    rss_end: float
    # MB, lowest and highest while every contract was open and polled (the cache churning)
    rss_open_low: float
    rss_open_high: float
    rss_open_slope: float  # MB per minute over that time (least squares)
    polls: int  # all of them, creation included
    bucket: float  # seconds
    buckets: list[int]  # polls per bucket, from the last contract's creation to the end
    poll_mean: float
    poll_max: int
    cpu: CpuShare | None

    @property
    def per_cached(self) -> float | None:
        """MB the worker holds per cached workflow: what sets its size, whatever the count of
        open contracts."""
        if self.rss_at_cache is None:
            return None
        return (self.rss_at_cache - self.rss_idle) / self.cache


def scale_figures(run: ScaleRun, bucket: float) -> ScaleFigures:
    mb = 1024 * 1024
    samples = run.samples or [Sample(run.started_at, 0, 0)]
    at_cache = next((s for s in samples if s.contracts >= run.cache), None)
    created = next((s for s in samples if s.at >= run.created_until), samples[-1])
    all_applied = next((s for s in samples if s.contracts >= run.contracts), None)
    # Memory is judged once every contract exists: before that it climbs with the work in
    # flight, which grows with each contract created (more polls, more activities).
    open_ = [s for s in samples if s.at >= run.created_until] or samples[-1:]
    slope = 0.0
    if len({s.at for s in open_}) > 1:
        slope = linear_regression([s.at for s in open_], [s.rss for s in open_]).slope
    # Polls likewise: while contracts are still being created the poll rate climbs with
    # their number, which is growth, not a burst.
    buckets = _buckets(run.polls, run.created_until, run.ended_at, bucket)
    return ScaleFigures(
        contracts=run.contracts,
        applied=samples[-1].contracts,
        cache=run.cache,
        create_seconds=run.created_until - run.started_at,
        applied_created=created.contracts,
        all_applied_seconds=all_applied.at - run.started_at if all_applied else None,
        rss_idle=samples[0].rss / mb,
        rss_at_cache=at_cache.rss / mb if at_cache else None,
        rss_created=created.rss / mb,
        rss_end=samples[-1].rss / mb,
        rss_open_low=min(s.rss for s in open_) / mb,
        rss_open_high=max(s.rss for s in open_) / mb,
        rss_open_slope=slope * 60 / mb,
        polls=len(run.polls),
        bucket=bucket,
        buckets=buckets,
        poll_mean=fmean(buckets) if buckets else 0.0,
        poll_max=max(buckets) if buckets else 0,
        cpu=run.cpu,
    )


def _buckets(times: list[float], start: float, until: float, width: float) -> list[int]:
    """Whole buckets only: a last, partial bucket would read as a lull."""
    whole = int((until - start) // width)
    counts = Counter(int((at - start) // width) for at in times if at >= start)
    return [counts.get(index, 0) for index in range(whole)]
