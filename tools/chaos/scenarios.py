"""The faults, each injected into a running burst. An `inject` returns once the fault is over
(the part is back), with a sentence for the report saying what was done."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tools.chaos.checks import expected_statuses, read_contracts
from tools.chaos.database import unrelayed_events
from tools.chaos.traffic import NO_ANSWER, Burst
from tools.chaos.world import SINK_PATH, World

STRIKE_AT = 0.3  # share of the burst acknowledged when a mid-burst fault strikes
APPLIED_WAIT = 120.0  # how long a fault may wait for the burst to be applied
IN_FLIGHT_WAIT = 15.0  # how long the worker's killer waits for a delivery to be under way


@dataclass(frozen=True)
class Timings:
    """How long each fault lasts, in seconds. The subscriber stays down, and the CRM flaky,
    until every event of the burst has been applied and then this much longer."""

    worker_down: float = 3.0
    api_down: float = 3.0
    temporal_down: float = 5.0
    database_down: float = 10.0
    subscriber_down_after: float = 5.0
    crm_flaky_after: float = 10.0


Inject = Callable[[World, Burst, Timings], Awaitable[str]]


@dataclass(frozen=True)
class FaultScenario:
    name: str
    inject: Inject
    proves: str


def _at(burst: Burst) -> str:
    return f"{100 * burst.settled // max(1, len(burst.deliveries))}%"


async def kill_worker(world: World, burst: Burst, timings: Timings) -> str:
    """Killed while a delivery is under way: the subscriber holds its answer, so an activity
    is certainly running on the worker that dies."""
    await burst.reached(STRIKE_AT)
    at = _at(burst)
    world.sink.stall(SINK_PATH)
    held = False
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(IN_FLIGHT_WAIT):
            await world.sink.wait_for(lambda sink: sink.stalled(SINK_PATH) > 0)
            held = True
    await asyncio.to_thread(world.stack.kill_workers)
    world.sink.heal(SINK_PATH)
    await asyncio.sleep(timings.worker_down)
    await asyncio.to_thread(world.stack.start_worker)
    during = " during a delivery" if held else ""
    later = f"{timings.worker_down:.0f} s later"
    return f"worker SIGKILLed{during} at {at} of the burst, a new one {later}"


async def kill_api(world: World, burst: Burst, timings: Timings) -> str:
    """The one API process dies with webhooks in flight and events stored but not yet handed
    over (or not yet marked so): the vendors retry what got no answer, and the new process's
    relay sweep hands over what its predecessor had claimed once their leases run out."""
    await burst.reached(STRIKE_AT)
    at = _at(burst)
    stack = world.stack
    port, api = next(iter(stack.apis.items()))
    before = burst.answers[NO_ANSWER]
    await asyncio.to_thread(stack.kill, api)
    unmarked = await unrelayed_events(world.database.url)
    await asyncio.sleep(timings.api_down)
    await asyncio.to_thread(stack.start_api, port)
    unanswered = burst.answers[NO_ANSWER] - before
    return (
        f"API SIGKILLed at {at} of the burst with {unmarked} stored events not marked handed "
        f"over, a new one on the same port {timings.api_down:.0f} s later; {unanswered} "
        "requests got no answer meanwhile"
    )


async def kill_temporal(world: World, burst: Burst, timings: Timings) -> str:
    await burst.reached(STRIKE_AT)
    at = _at(burst)
    stack = world.stack
    assert stack.temporal is not None
    await asyncio.to_thread(stack.kill, stack.temporal)
    await asyncio.sleep(timings.temporal_down)
    await asyncio.to_thread(stack.start_temporal)
    return (
        f"Temporal SIGKILLed at {at}, restarted on its state file "
        f"{timings.temporal_down:.0f} s later"
    )


async def database_outage(world: World, burst: Burst, timings: Timings) -> str:
    await burst.reached(STRIKE_AT)
    at = _at(burst)
    before = burst.answers[503]
    await world.database.outage(timings.database_down)
    how = "cluster stopped" if world.database.kind == "PostgreSQL" else "file locked"
    refused = burst.answers[503] - before
    return (
        f"{world.database.kind} {how} for {timings.database_down:.0f} s from {at}; "
        f"ingress answered 503 {refused} times meanwhile"
    )


async def subscriber_down(world: World, burst: Burst, timings: Timings) -> str:
    """Down until every event of the burst has been applied (so every delivery has been tried
    and refused at least once), and a little longer."""
    world.sink.respond(SINK_PATH, 503)
    await burst.finished.wait()
    await _all_applied(world, burst)
    await asyncio.sleep(timings.subscriber_down_after)
    world.sink.heal(SINK_PATH)
    refused = len(world.sink.at(SINK_PATH))
    return (
        f"subscriber answered 503 to all {refused} attempts until "
        f"{timings.subscriber_down_after:.0f} s after every event was applied"
    )


async def _all_applied(world: World, burst: Burst) -> None:
    """Until every contract shows the status its acknowledged events imply (or, failing that,
    a while: the checks will then say what is wrong)."""
    expected = expected_statuses(burst.acks)
    async with world.stack.client() as api:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(APPLIED_WAIT):
                while True:
                    views = await read_contracts(api, list(expected))
                    if all(
                        (views[cid] or {}).get("status") == (status.value if status else None)
                        for cid, status in expected.items()
                    ):
                        return
                    await asyncio.sleep(1.0)


async def flaky_crm(world: World, burst: Burst, timings: Timings) -> str:
    """Flaky from the first webhook until a while after every event was applied, so that
    every reconcile meets it."""
    world.crm_faults.share = 0.5
    await burst.finished.wait()
    await _all_applied(world, burst)
    await asyncio.sleep(timings.crm_flaky_after)
    world.crm_faults.share = 0.0
    failed = world.crm_faults.failed
    return (
        f"CRM failed half its calls until {timings.crm_flaky_after:.0f} s after every event was "
        f"applied ({failed['before']} with 503 before the write, {failed['after']} with 500 "
        "after it)"
    )


FAULTS = (
    FaultScenario(
        "worker-kill",
        kill_worker,
        "a worker dying mid-activity loses nothing: Temporal retries its workflow tasks and "
        "activities on the next worker, and no event or CRM write is applied twice",
    ),
    FaultScenario(
        "api-kill",
        kill_api,
        "an API process dying loses nothing it acknowledged: every ack follows a commit, and "
        "what it had not handed to Temporal is swept up by the next one; the webhooks it "
        "never answered are retried by their vendors and land once",
    ),
    FaultScenario(
        "temporal-restart",
        kill_temporal,
        "acks do not depend on Temporal; what the relay could not hand over stays stored and "
        "is sent again by the sweep; Temporal's own state survives a crash",
    ),
    FaultScenario(
        "database-outage",
        database_outage,
        "without storage the ingress refuses with 503 and Retry-After (never 500, never a 2xx "
        "it cannot keep); the vendor's retry then lands once",
    ),
    FaultScenario(
        "subscriber-down",
        subscriber_down,
        "a subscriber that is down gets every event once it is back, each under its stable "
        "webhook-id, and never holds up a contract",
    ),
    FaultScenario(
        "crm-flaky",
        flaky_crm,
        "CRM reconcile retries until the record matches; a write whose answer was lost is "
        "not written twice (one record per terminal contract)",
    ),
)
