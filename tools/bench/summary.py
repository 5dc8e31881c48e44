"""From raw runs to the figures the table shows: medians across runs of per-run values."""

from collections import Counter
from dataclasses import dataclass
from statistics import fmean, linear_regression

from tools.bench.cpu import CpuShare
from tools.bench.e2e import E2eRun
from tools.bench.ingress import IngressRun
from tools.bench.loadgen import LoadResult
from tools.bench.pipeline import PipelineRun
from tools.bench.scale import ScaleRun
from tools.bench.stats import median, ms, percentile

PROJECTED_CONTRACTS = 20_000  # the size the issue asks about


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
    missing: int  # never visible within the timeout
    cpu: CpuShare


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
                missing=sum(r.result.missing for r in mine),
                cpu=mean_cpu([r.cpu for r in mine]),
            )
        )
    return figures


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
    rss_idle: float  # MB, before the first contract
    rss_at_cache: float | None  # MB, when the read model first held `cache` contracts
    rss_end: float
    rss_peak: float
    # MB per 1,000 contracts once the cache is full (least squares over every sample since)
    rss_growth_per_1000: float | None
    rss_projected: float | None  # MB at PROJECTED_CONTRACTS, on that slope
    polls: int  # all of them, creation included
    bucket: float  # seconds
    buckets: list[int]  # polls per bucket, from the last contract's creation to the end
    poll_mean: float
    poll_max: int
    cpu: CpuShare | None


def scale_figures(run: ScaleRun, bucket: float) -> ScaleFigures:
    mb = 1024 * 1024
    samples = run.samples
    at_cache = next((s for s in samples if s.contracts >= run.cache), None)
    growth = projected = None
    if at_cache is not None:
        since = [s for s in samples if s.at >= at_cache.at]
        if len({s.contracts for s in since}) > 1:
            # A slope rather than two end points: single samples swing by a few MB as the
            # garbage collector and the allocator come and go.
            slope = linear_regression([s.contracts for s in since], [s.rss for s in since]).slope
            growth = slope * 1000 / mb
            projected = (at_cache.rss + slope * (PROJECTED_CONTRACTS - at_cache.contracts)) / mb
    # Only once every contract exists: while they are still being created the poll rate
    # climbs with their number, which is growth, not a burst.
    buckets = _buckets(run.polls, run.created_until, run.ended_at, bucket)
    return ScaleFigures(
        contracts=run.contracts,
        applied=samples[-1].contracts if samples else 0,
        cache=run.cache,
        create_seconds=run.created_until - run.started_at,
        rss_idle=samples[0].rss / mb if samples else 0.0,
        rss_at_cache=at_cache.rss / mb if at_cache else None,
        rss_end=samples[-1].rss / mb if samples else 0.0,
        rss_peak=max(s.rss for s in samples) / mb if samples else 0.0,
        rss_growth_per_1000=growth,
        rss_projected=projected,
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
