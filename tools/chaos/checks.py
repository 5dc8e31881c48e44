"""What a scenario must end with, read from the outside: the contracts API, what the subscriber
received and what the CRM holds.

- every acknowledged webhook is on its contract's timeline (else it is lost), and on it once;
- no vendor event is applied twice, however often or in whatever shape it came;
- every contract has the status its acknowledged events imply (the public lifecycle rules),
  and its read model shows what its workflow holds;
- the subscriber got every status change applied, each under its own `webhook-id`; repeats
  are allowed only as retries of the same `webhook-id`;
- the CRM holds one record per terminal contract, matching it, and none for open ones;
- the ingress never answered a 5xx other than 503, and every 503 carried Retry-After.
"""

import asyncio
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from core.outbound import message_id_for
from core.statuses import ContractStatus
from tools.chaos.traffic import Ack, Burst
from tools.chaos.world import SINK_PATH, World
from tools.simulators import Delivery, fold_statuses

PENDING_NOTE = "pending: stored, not yet applied"  # the API's answer before a workflow has it
EXAMPLES = 3  # problems quoted per kind

View = Mapping[str, Any]


@dataclass
class Verdict:
    events: int = 0  # distinct events acknowledged
    applied: int = 0  # of those, on their contract's timeline
    lost: list[str] = field(default_factory=list)
    duplicates_applied: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # states, subscriber, CRM, ingress
    notes: list[str] = field(default_factory=list)  # what happened, for the report

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicates_applied or self.problems)


async def read_contracts(
    api: httpx.AsyncClient, contract_ids: Iterable[str], concurrency: int = 8
) -> dict[str, View | None]:
    """`GET /contracts/{id}` for each; None for a 404 or an answer that is not a contract."""
    limit = asyncio.Semaphore(concurrency)

    async def one(contract_id: str) -> tuple[str, View | None]:
        async with limit:
            try:
                response = await api.get(f"/contracts/{quote(contract_id, safe=':')}")
            except httpx.HTTPError:
                return contract_id, None
        return contract_id, response.json() if response.status_code == 200 else None

    return dict(await asyncio.gather(*(one(c) for c in contract_ids)))


async def read_model(api: httpx.AsyncClient) -> dict[str, View]:
    """Every contract as `GET /contracts` lists it: the read model the worker writes."""
    rows: dict[str, View] = {}
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 500} | ({"cursor": cursor} if cursor else {})
        page = (await api.get("/contracts", params=params)).json()
        rows |= {item["contract_id"]: item for item in page["items"]}
        cursor = page.get("next_cursor")
        if not cursor:
            return rows


def read_model_behind(views: Mapping[str, View | None], rows: Mapping[str, View]) -> list[str]:
    """Contracts whose read model does not show what their workflow holds: a write that keeps
    failing leaves a contract behind for good while its workflow still answers queries."""
    behind = []
    for contract_id, view in sorted(views.items()):
        if view is None or view.get("status") is None:
            continue
        row = rows.get(contract_id)
        if row is None or any(
            _value(row.get(name)) != _value(view.get(name))
            for name in ("status", "vendor_status", "updated_at", "last_event_at")
        ):
            behind.append(contract_id)
    return behind


def _value(value: Any) -> Any:
    """Timestamps compared as instants: the two sources may write them differently."""
    if isinstance(value, str) and len(value) > 18 and value[10:11] == "T":
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def judge(
    world: World, burst: Burst, views: Mapping[str, View | None], rows: Mapping[str, View]
) -> Verdict:
    verdict = Verdict()
    _ingress(burst, verdict)
    _timelines(burst.acks, views, verdict)
    expected = expected_statuses(burst.acks)
    _states(expected, views, verdict)
    behind = read_model_behind(views, rows)
    if behind:
        verdict.problems.append(f"read model behind for {len(behind)}, e.g. {behind[:EXAMPLES]}")
    _subscriber(world, views, verdict)
    _crm(world, expected, views, verdict)
    return verdict


def expected_statuses(acks: Iterable[Ack]) -> dict[str, ContractStatus | None]:
    """Each contract's status from its acknowledged deliveries, folded in lifecycle order."""
    by_contract: dict[str, list[Delivery]] = defaultdict(list)
    for ack in acks:
        by_contract[ack.delivery.contract_id].append(ack.delivery)
    return {
        contract_id: fold_statuses(
            d.expected_status for d in sorted(deliveries, key=lambda d: (d.sequence, d.attempt))
        )
        for contract_id, deliveries in by_contract.items()
    }


def recorded(view: View | None) -> list[View]:
    """Timeline entries the contract itself holds (not the API's list of stored events)."""
    if view is None:
        return []
    return [entry for entry in view.get("timeline", []) if entry.get("note") != PENDING_NOTE]


def _ingress(burst: Burst, verdict: Verdict) -> None:
    codes = ", ".join(f"{code or 'no answer'}: {n}" for code, n in sorted(burst.answers.items()))
    verdict.notes.append(f"ingress answers {codes}")
    if burst.no_answer:
        verdict.notes.append(f"no answer (the vendor retried): {burst.no_answer}")
    for code, count in sorted(burst.answers.items()):
        if code >= 500 and code != 503:
            verdict.problems.append(f"ingress answered {code} {count} times")
    if burst.unavailable_without_retry_after:
        verdict.problems.append(
            f"ingress answered 503 without Retry-After {burst.unavailable_without_retry_after}"
            " times"
        )
    for delivery, code, text in burst.refused[:EXAMPLES]:
        verdict.problems.append(f"ingress refused a {delivery.vendor} delivery: {code} {text}")
    if burst.abandoned:
        verdict.problems.append(f"{len(burst.abandoned)} deliveries never acknowledged")


def _timelines(acks: list[Ack], views: Mapping[str, View | None], verdict: Verdict) -> None:
    event_contract = {ack.event_id: ack.contract_id for ack in acks}
    event_sequence = {ack.event_id: ack.delivery.sequence for ack in acks}
    verdict.events = len(event_contract)
    seen: dict[str, Counter[str]] = {}
    for contract_id, view in views.items():
        entries = recorded(view)
        seen[contract_id] = Counter(entry["event_id"] for entry in entries)
        for event_id, times in seen[contract_id].items():
            if times > 1:
                verdict.duplicates_applied.append(f"{contract_id}: {event_id} recorded {times}x")
        # Two deliveries of one vendor event that the dedup missed would share a sequence.
        applied = Counter(
            event_sequence.get(entry["event_id"], entry["event_id"])
            for entry in entries
            if entry.get("applied")
        )
        for sequence, times in applied.items():
            if times > 1:
                verdict.duplicates_applied.append(
                    f"{contract_id}: vendor event #{sequence} applied {times}x"
                )
    for event_id, contract_id in event_contract.items():
        if seen.get(contract_id, Counter())[event_id]:
            verdict.applied += 1
        else:
            verdict.lost.append(f"{contract_id}: {event_id}")


def _states(
    expected: Mapping[str, ContractStatus | None],
    views: Mapping[str, View | None],
    verdict: Verdict,
) -> None:
    wrong = []
    for contract_id, status in sorted(expected.items()):
        view = views.get(contract_id)
        actual = view.get("status") if view is not None else "(no contract)"
        if actual != (status.value if status else None):
            wrong.append(f"{contract_id} is {actual}, expected {status}")
    if wrong:
        verdict.problems.append(
            f"{len(wrong)} contracts in the wrong state, e.g. {wrong[:EXAMPLES]}"
        )


def _subscriber(world: World, views: Mapping[str, View | None], verdict: Verdict) -> None:
    expected: dict[str, str] = {}  # webhook-id -> the contract it is about
    for contract_id, view in views.items():
        for entry in recorded(view):
            if entry.get("applied"):
                expected[message_id_for(entry["event_id"], world.webhook_id)] = contract_id
    attempts = world.sink.at(SINK_PATH)
    delivered = [request for request in attempts if request.ok]
    by_id = Counter(request.webhook_id for request in delivered)
    missing = sorted(set(expected) - set(by_id))
    unexpected = sorted(str(webhook_id) for webhook_id in set(by_id) - set(expected))
    unverified = [request for request in attempts if not request.verified]
    per_change: dict[tuple[str, str], set[str | None]] = defaultdict(set)
    for request in delivered:
        event = request.event or {}
        data = event.get("data") or {}
        per_change[(str(data.get("contract_id")), str(event.get("type")))].add(request.webhook_id)
    doubled = [f"{key}: {len(ids)} webhook-ids" for key, ids in per_change.items() if len(ids) > 1]
    if missing:
        examples = [expected[webhook_id] for webhook_id in missing[:EXAMPLES]]
        verdict.problems.append(f"subscriber missed {len(missing)} events, e.g. for {examples}")
    if unexpected:
        verdict.problems.append(f"subscriber got {len(unexpected)} events nobody applied")
    if unverified:
        verdict.problems.append(f"{len(unverified)} deliveries failed signature verification")
    if doubled:
        verdict.problems.append(f"subscriber got changes twice: {doubled[:EXAMPLES]}")
    retried = sum(times - 1 for times in by_id.values())
    verdict.notes.append(
        f"subscriber got {len(by_id)}/{len(expected)} "
        f"({len(attempts) - len(delivered)} failed attempts, {retried} redelivered)"
    )


def _crm(
    world: World,
    expected: Mapping[str, ContractStatus | None],
    views: Mapping[str, View | None],
    verdict: Verdict,
) -> None:
    crm = world.crm
    problems = []
    matched = 0
    terminal = {cid: status for cid, status in expected.items() if status and status.terminal}
    for contract_id, status in sorted(terminal.items()):
        record = crm.records.get(contract_id)
        view = views.get(contract_id) or {}
        if record is None:
            problems.append(f"{contract_id}: no record")
            continue
        differ = [
            name
            for name, want in (
                ("status", status.value),
                ("vendor", view.get("vendor")),
                ("external_id", view.get("external_id")),
                ("completed_at", view.get("completed_at")),
            )
            if _value(record.get(name)) != _value(want)
        ]
        if differ:
            problems.append(f"{contract_id}: the CRM's {', '.join(differ)} differ")
        if crm.created[contract_id] != 1:
            problems.append(f"{contract_id}: created {crm.created[contract_id]} times")
        matched += not differ
    for contract_id in sorted(set(crm.records) - set(terminal)):
        problems.append(f"{contract_id}: a record for a contract that is not finished")
    if problems:
        verdict.problems.append(f"CRM: {len(problems)} problems, e.g. {problems[:EXAMPLES]}")
    failed = sum(world.crm_faults.failed.values())
    verdict.notes.append(f"CRM matches {matched}/{len(terminal)} ({failed} calls failed)")
