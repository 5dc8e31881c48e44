"""One call for the `simulate` command: generate, send, and sum up per vendor."""

import math
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from tools.simulators.generate import Simulation, generate
from tools.simulators.scenario import DEFAULT_OUTCOMES, VENDORS, Outcome, Scenario
from tools.simulators.sender import Secrets, SendReport, send
from tools.simulators.state import VendorState


@dataclass(frozen=True)
class VendorSummary:
    vendor: str
    contracts: int
    sent: int
    acked: int
    duplicates: int  # acknowledged as duplicates by the target
    rejected: int  # answered with something other than 2xx
    errors: int  # no answer at all
    dropped: int  # lost on purpose, never sent
    p50_ms: float | None
    p99_ms: float | None

    @classmethod
    def of(cls, vendor: str, contracts: int, dropped: int, report: SendReport) -> "VendorSummary":
        latencies = [seconds * 1000 for seconds in report.latencies]
        return cls(
            vendor=vendor,
            contracts=contracts,
            sent=report.sent,
            acked=report.acked,
            duplicates=report.duplicates,
            rejected=sum(report.rejected.values()),
            errors=report.errors,
            dropped=dropped,
            p50_ms=percentile(latencies, 50),
            p99_ms=percentile(latencies, 99),
        )


@dataclass(frozen=True)
class SimulationSummary:
    target: str
    seed: int
    vendors: tuple[VendorSummary, ...]
    total: VendorSummary
    rejected_by_status: Mapping[int, int]

    def render(self) -> str:
        headings = ["vendor", "contracts", "sent", "acked", "duplicates", "rejected"]
        headings += ["errors", "dropped", "p50 ms", "p99 ms"]
        rows = [headings, *(_cells(row) for row in (*self.vendors, self.total))]
        widths = [max(len(row[i]) for row in rows) for i in range(len(headings))]
        lines = [f"Simulated webhooks to {self.target} (seed {self.seed})", ""]
        for row in rows:
            first = row[0].ljust(widths[0])
            rest = (cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))
            lines.append("  ".join((first, *rest)))
        if self.rejected_by_status:
            codes = ", ".join(f"{code}: {n}" for code, n in sorted(self.rejected_by_status.items()))
            lines += ["", f"rejected by status code: {codes}"]
        return "\n".join(lines)


def percentile(values: list[float], rank: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(rank / 100 * len(ordered)) - 1)]


async def simulate(
    vendor: str | None,
    contracts: int,
    target: str,
    duplicates: float,
    shuffle: bool,
    drop: float,
    seed: int,
    secrets: Secrets,
    *,
    drop_final: float = 0.0,
    outcomes: Mapping[Outcome, float] = DEFAULT_OUTCOMES,
    concurrency: int = 16,
    client: httpx.AsyncClient | None = None,
    state: VendorState | None = None,
) -> SimulationSummary:
    """Generate `contracts` contracts per vendor (all four when `vendor` is None) and send them."""
    scenario = Scenario(
        contracts=contracts,
        seed=seed,
        duplicates=duplicates,
        shuffle=shuffle,
        drop=drop,
        drop_final=drop_final,
        outcomes=outcomes,
        webhook_base_url=target,
    )
    vendors = VENDORS if vendor is None else (vendor,)
    simulation = generate(scenario, vendors, state)
    if client is None:
        async with httpx.AsyncClient(timeout=httpx.Timeout(30.0)) as own:
            report = await send(simulation.deliveries, target, own, secrets, concurrency)
    else:
        report = await send(simulation.deliveries, target, client, secrets, concurrency)
    rows = tuple(
        _row(name, simulation.for_vendor(name), report.for_vendor(name)) for name in vendors
    )
    total = _row("total", simulation, report)
    return SimulationSummary(target, seed, rows, total, report.rejected)


def _row(name: str, simulation: Simulation, report: SendReport) -> VendorSummary:
    return VendorSummary.of(name, len(simulation.contracts), len(simulation.dropped), report)


def _cells(row: VendorSummary) -> list[str]:
    numbers = [row.contracts, row.sent, row.acked, row.duplicates, row.rejected]
    numbers += [row.errors, row.dropped]
    return [row.vendor, *(str(n) for n in numbers), _ms(row.p50_ms), _ms(row.p99_ms)]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
