"""Running one scenario: a fresh world, a burst with its fault, then wait until the checks hold
(or the time is up) and say what was found."""

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tools.chaos.checks import Verdict, judge, read_contracts, read_model, read_model_behind
from tools.chaos.fuzz import corpus, probes, run_fuzz
from tools.chaos.report import Outcome
from tools.chaos.scenarios import FaultScenario, Timings
from tools.chaos.traffic import Burst
from tools.chaos.world import VENDOR_SECRETS, World, open_world

CHECK_EVERY = 2.0
# Once everything checks out, look again a little later: a late duplicate would show then.
QUIET = 3.0
FUZZ_CONTRACTS = 2  # per vendor: real ids for the fuzz to aim at


@dataclass(frozen=True)
class Options:
    data_dir: Path
    database_url: str | None = None  # PostgreSQL server, or None for SQLite
    contracts: int = 24  # per vendor
    seed: int = 1
    rate: float = 60.0  # webhooks started per second, at most
    settle_timeout: float = 120.0  # how long a scenario may take to come right after its fault
    fuzz_examples: int = 3000
    timings: Timings = field(default_factory=Timings)


async def run_fault(scenario: FaultScenario, options: Options, index: int) -> Outcome:
    started = time.monotonic()
    data_dir = options.data_dir / scenario.name
    seed = options.seed + index
    async with open_world(data_dir, options.database_url, options.contracts, seed) as world:
        burst = Burst(world.simulation.deliveries, world.api_url, VENDOR_SECRETS, rate=options.rate)
        sending = asyncio.create_task(burst.run())
        try:
            note = await scenario.inject(world, burst, options.timings)
        finally:
            await sending
        verdict = await converge(world, burst, options.settle_timeout)
    return Outcome(
        name=scenario.name,
        passed=verdict.ok,
        seconds=time.monotonic() - started,
        sent=len(burst.deliveries),
        acked=len(burst.acks),
        applied=verdict.applied,
        lost=len(verdict.lost),
        duplicates=len(verdict.duplicates_applied),
        note=f"{note}; slowest ingress answer {burst.slowest_answer:.1f} s",
        details=tuple(_details(verdict)),
    )


async def converge(world: World, burst: Burst, settle_timeout: float) -> Verdict:
    contract_ids = [contract.contract_id for contract in world.simulation.contracts]
    deadline = time.monotonic() + settle_timeout
    async with world.stack.client() as api:
        while True:
            verdict = await _look(api, world, burst, contract_ids)
            if verdict.ok or time.monotonic() > deadline:
                break
            await asyncio.sleep(CHECK_EVERY)
        if verdict.ok:
            await asyncio.sleep(QUIET)
            verdict = await _look(api, world, burst, contract_ids)
    return verdict


async def _look(
    api: httpx.AsyncClient, world: World, burst: Burst, contract_ids: list[str]
) -> Verdict:
    views = await read_contracts(api, contract_ids)
    verdict = judge(world, burst, views, await read_model(api))
    stack = world.stack
    if any(worker.poll() is not None for worker in stack.workers):
        verdict.problems.append("a worker process exited on its own")
    if stack.temporal is None or stack.temporal.poll() is not None:
        verdict.problems.append("the Temporal server is not running")
    return verdict


def _details(verdict: Verdict) -> list[str]:
    found = [f"lost: {len(verdict.lost)}, e.g. {verdict.lost[:3]}"] if verdict.lost else []
    if verdict.duplicates_applied:
        found.append(f"applied twice: {verdict.duplicates_applied[:3]}")
    return found + verdict.problems + verdict.notes


async def run_fuzz_stage(options: Options, index: int) -> Outcome:
    """A small valid burst first, so the fuzz can aim at contracts, events and deliveries that
    exist; then the hostile requests; then the API must still be up."""
    started = time.monotonic()
    data_dir = options.data_dir / "fuzz"
    async with open_world(
        data_dir, options.database_url, FUZZ_CONTRACTS, options.seed + index
    ) as world:
        burst = Burst(world.simulation.deliveries, world.api_url, VENDOR_SECRETS)
        await burst.run()
        async with world.stack.client() as api:
            spec = (await api.get("/openapi.json")).json()
            deliveries = (await api.get(f"/v1/webhooks/{world.webhook_id}/deliveries")).json()
        known = [ack.contract_id for ack in burst.acks] + [ack.event_id for ack in burst.acks]
        known += [world.webhook_id] + [d["delivery_id"] for d in deliveries.get("items", [])]
        strategy = probes(spec, list(world.simulation.deliveries), known)
        fixed = corpus(spec, known[0])
        report = await asyncio.to_thread(
            run_fuzz, world.api_url, fixed, strategy, options.fuzz_examples, options.seed
        )
        async with world.stack.client() as api:
            alive = (await api.get("/healthz")).status_code == 200
            contract_ids = sorted({ack.contract_id for ack in burst.acks} | report.contracts)
            behind = await _read_model_settled(api, contract_ids, options.settle_timeout)
    failures = report.failures + ([] if alive else ["the API stopped answering /healthz"])
    if behind:
        failures.append(f"read model stuck behind its workflow for {behind}")
    if failures:
        listing = data_dir / "fuzz-failures.txt"
        await asyncio.to_thread(listing.write_text, "\n".join(failures) + "\n")
        failures = [*failures[:10], f"all {len(failures)} in {listing}"]
    return Outcome(
        name="fuzz",
        passed=not failures and report.server_errors == 0,
        seconds=time.monotonic() - started,
        sent=report.sent,
        answers=dict(report.answers),
        note="hostile requests against every route",
        details=tuple(failures),
    )


async def _read_model_settled(
    api: httpx.AsyncClient, contract_ids: list[str], settle_timeout: float
) -> list[str]:
    """The contracts whose read model never caught up with their workflow."""
    deadline = time.monotonic() + settle_timeout
    while True:
        views = await read_contracts(api, contract_ids)
        behind = read_model_behind(views, await read_model(api))
        if not behind or time.monotonic() > deadline:
            return behind
        await asyncio.sleep(CHECK_EVERY)
