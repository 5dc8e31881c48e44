"""End-to-end visibility, measured from the load process: send a webhook on a fixed schedule,
then poll the contract's plain `GET /contracts/{id}` until the event shows as taken in.

Plain polling is the honest measure of "visible": it is what a caller who never saw the ack
would get. Only a sample of events is polled, and each waits `poll_interval` or a tenth of
its age so far, whichever is longer, so an overloaded stack is not buried under its own
observers; a figure is an upper bound by at most that wait (20 ms, or 10 %).
"""

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from tools.bench.loadgen import Pool


@dataclass
class ProbeResult:
    started_at: float  # wall clock of the first send
    sent: int = 0
    acked: int = 0
    errors: int = 0
    applied: int = 0  # sampled events that changed the status
    processed: int = 0  # sampled events taken in without applying (late or out of order)
    missing: int = 0  # sampled events never seen within the timeout
    polls: int = 0  # GETs the sampled events took until they showed
    ack_latencies: list[float] = field(default_factory=list)
    visible_latencies: list[float] = field(default_factory=list)


def next_poll(interval: float, age: float) -> float:
    return max(interval, age / 10)


def taken_in(view: dict[str, Any], event_id: str) -> bool | None:
    """True: applied; False: processed but not applied; None: not there yet.

    A contract whose workflow has not started yet is answered from the inbound store with
    the note `pending: ...`; that is not visible in the sense measured here.
    """
    for entry in view.get("timeline", []):
        if entry.get("event_id") == event_id:
            if entry.get("applied"):
                return True
            if (entry.get("note") or "").startswith("pending"):
                return None
            return False
    return None


async def visibility(
    host: str,
    port: int,
    webhooks: Sequence[bytes],
    sampled: Sequence[bool],
    *,
    api_key: str,
    rate: float,
    duration: float,
    poll_interval: float,
    give_up_after: float,
) -> ProbeResult:
    pool = Pool(host, port)
    result = ProbeResult(time.time())
    authority = f"{host}:{port}"

    async def observe(contract_id: str, event_id: str, due: float) -> None:
        path = f"/contracts/{quote(contract_id, safe='')}"
        get = f"GET {path} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {api_key}\r\n\r\n"
        while time.perf_counter() - due < give_up_after:
            status, body = await pool.request(get.encode("latin-1"))
            result.polls += 1
            seen = taken_in(json.loads(body), event_id) if status == 200 else None
            if seen is not None:
                result.visible_latencies.append(time.perf_counter() - due)
                result.applied += seen
                result.processed += not seen
                return
            await asyncio.sleep(next_poll(poll_interval, time.perf_counter() - due))
        result.missing += 1

    async def one(raw: bytes, sample: bool, due: float) -> None:
        result.sent += 1
        try:
            status, body = await pool.request(raw)
            if not 200 <= status < 300:
                result.errors += 1
                return
            result.acked += 1
            result.ack_latencies.append(time.perf_counter() - due)
            if sample and status == 202:
                ack = json.loads(body)
                await observe(ack["contract_id"], ack["event_id"], due)
        except (ConnectionError, OSError):
            result.errors += 1

    tasks: set[asyncio.Task[None]] = set()
    started = time.perf_counter()
    for index, (raw, sample) in enumerate(zip(webhooks, sampled, strict=True)):
        due = started + index / rate
        if due - started >= duration:
            break
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(raw, sample, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=give_up_after + 5)
    pool.close()
    return result
