"""200 simulated contracts per vendor, 30% duplicates, shuffled, through the whole stack, end
in the same states as the ordered, duplicate-free run, with no event lost or applied twice."""

import asyncio
from collections import Counter, defaultdict
from datetime import UTC, datetime

import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from core.events import ContractView, workflow_id_of
from core.settings import Settings
from tests.api.conftest import SECRETS
from tests.support import event_from
from tools.serve import serve
from tools.simulators import Delivery, Scenario, Secrets, generate, send
from workflows.lifecycle import ContractState, apply

pytestmark = pytest.mark.usefixtures("stack_worker")

CONTRACTS_PER_VENDOR = 200
SEED = 20261124
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def ordered_states(deliveries: tuple[Delivery, ...]) -> dict[str, ContractState]:
    """The reference: each vendor's first attempts, in lifecycle order, folded in process."""
    states: dict[str, ContractState] = {}
    for delivery in sorted(deliveries, key=lambda d: (d.contract_id, d.sequence)):
        event = event_from(delivery, received_at=NOW)
        state = states.setdefault(
            event.contract_id,
            ContractState(
                contract_id=event.contract_id, vendor=event.vendor, external_id=event.external_id
            ),
        )
        apply(state, event, NOW)
    return states


async def synced(client: Client, contract_ids: list[str]) -> dict[str, ContractView]:
    """Each contract after every event it received has been applied (workflow update)."""
    limit = asyncio.Semaphore(32)

    async def one(contract_id: str) -> tuple[str, ContractView]:
        async with limit:
            handle = client.get_workflow_handle(workflow_id_of(contract_id))
            view = await handle.execute_update("sync", result_type=ContractView)
            return contract_id, view

    return dict(await asyncio.gather(*(one(c) for c in contract_ids)))


async def test_shuffled_duplicated_traffic_ends_in_the_ordered_state(
    dev_env: WorkflowEnvironment, stack_settings: Settings
) -> None:
    scenario = Scenario(contracts=CONTRACTS_PER_VENDOR, seed=SEED, duplicates=0.3, shuffle=True)
    simulation = generate(scenario)
    secrets = Secrets(
        vlens=SECRETS["VLENS_WEBHOOK_TOKEN"],
        documenso=SECRETS["DOCUMENSO_WEBHOOK_SECRET"],
        fintechos=SECRETS["FINTECHOS_WEBHOOK_TOKEN"],
        signly=SECRETS["SIGNLY_WEBHOOK_TOKEN"],
    )
    app = create_app(stack_settings)
    async with serve(app) as base_url, httpx.AsyncClient(timeout=30) as http:
        report = await send(simulation.deliveries, base_url, http, secrets, concurrency=16)
        results = list(report.results)
        # Like a vendor: what got a 503 (storage busy) or no answer is sent again, as is.
        for _ in range(5):
            retry = [r.delivery for r in results if r.status_code in (503, None)]
            if not retry:
                break
            results = [r for r in results if r.status_code not in (503, None)]
            results += (await send(retry, base_url, http, secrets, concurrency=4)).results
        await app.state.relay.drain()  # every stored event has reached its workflow
    busy = sum(1 for r in report.results if r.status_code in (503, None))
    print(f"{len(report.results)} sent, {busy} answered 503 or not at all and were resent")
    retries = sum(d.is_retry for d in simulation.deliveries)
    assert {r.status_code for r in results} <= {200, 202}
    assert len(results) == len(simulation.deliveries)
    assert sum(r.duplicate for r in results) >= retries  # a resent first attempt may dedup too
    assert retries >= 0.2 * (len(simulation.deliveries) - retries)

    firsts = tuple(d for d in simulation.deliveries if not d.is_retry)
    expected = ordered_states(firsts)
    assert len(expected) == 4 * CONTRACTS_PER_VENDOR
    actual = await synced(dev_env.client, list(expected))

    events_per_contract = Counter(d.contract_id for d in firsts)
    mismatches = []
    for contract_id, reference in expected.items():
        view = actual[contract_id]
        webhooks = [e for e in view.timeline if e.source == "webhook"]
        applied = Counter(e.status for e in webhooks if e.applied)
        if (
            view.status != (reference.status.value if reference.status else None)
            or {p.party_id: p.state for p in view.parties}
            != {p.party_id: p.state for p in reference.parties}
            or len(webhooks) != events_per_contract[contract_id]  # none lost, none twice
            or any(count > 1 for count in applied.values())  # nothing applied twice
        ):
            mismatches.append(
                (
                    contract_id,
                    (view.status, reference.status),
                    {p.party_id: p.state for p in view.parties},
                    {p.party_id: p.state for p in reference.parties},
                    (len(webhooks), events_per_contract[contract_id]),
                    dict(applied),
                )
            )
    for mismatch in mismatches[:6]:
        print("MISMATCH", mismatch)
    assert mismatches == []
    by_status: defaultdict[str | None, int] = defaultdict(int)
    for view in actual.values():
        by_status[view.status] += 1
    print("final statuses:", dict(by_status))
