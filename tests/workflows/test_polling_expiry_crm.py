"""Polling fallback, expiry and CRM reconcile, on the time-skipping server against the vendor
simulators' status APIs and the CRM stub (real HTTP servers on loopback)."""

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from pydantic import SecretStr
from temporalio.client import WorkflowHandle
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.testing import WorkflowEnvironment

from core.events import ContractView
from core.settings import Settings
from tests.support import event_from, make_event
from tests.workflows.conftest import send
from tools.crm_stub import CrmStub
from tools.serve import serve
from tools.simulators import (
    Outcome,
    Scenario,
    VendorState,
    create_status_app,
    generate,
    vendor_base_urls,
)

pytestmark = pytest.mark.usefixtures("worker")


@pytest_asyncio.fixture(scope="session")
async def vendors() -> AsyncIterator[tuple[VendorState, dict[str, str]]]:
    state = VendorState()
    async with serve(create_status_app(state)) as base_url:
        yield state, vendor_base_urls(base_url)


@pytest_asyncio.fixture(scope="session")
async def crm() -> AsyncIterator[tuple[CrmStub, str]]:
    stub = CrmStub(token="crm-token")
    async with serve(stub.app) as base_url:
        yield stub, base_url


@pytest.fixture
def settings(
    settings: Settings, vendors: tuple[VendorState, dict[str, str]], crm: tuple[CrmStub, str]
) -> Settings:
    state, urls = vendors
    return settings.model_copy(
        update={
            "vlens_api_url": urls["vlens"],
            "documenso_api_url": urls["documenso"],
            "documenso_api_key": SecretStr(state.documenso_api_key),
            "signly_api_url": urls["signly"],
            "signly_tenant_id": state.signly_tenant_id,
            "signly_api_key": SecretStr(state.signly_api_key),
            "fintechos_api_url": urls["fintechos"],
            "crm_base_url": crm[1],
            "crm_api_token": SecretStr("crm-token"),
        }
    )


@pytest.mark.parametrize("vendor", ["vlens", "documenso", "fintechos", "signly"])
async def test_a_dropped_countersigned_webhook_is_found_by_polling(
    time_env: WorkflowEnvironment,
    settings: Settings,
    vendors: tuple[VendorState, dict[str, str]],
    crm: tuple[CrmStub, str],
    vendor: str,
) -> None:
    state, _ = vendors
    scenario = Scenario(
        contracts=1,
        seed=sum(map(ord, vendor)),
        drop_final=1.0,
        outcomes={Outcome.COMPLETED: 1.0},
    )
    simulation = generate(scenario, vendors=(vendor,), state=state)
    [contract] = simulation.contracts
    assert simulation.dropped, "the final webhook must be lost"
    handle = None
    for delivery in simulation.deliveries:
        handle = await send(time_env.client, settings, event_from(delivery))
    assert handle is not None
    final: ContractView = await handle.result()  # polls, then the grace period, in skipped time
    assert final.status == "COUNTERSIGNED"
    [found] = [entry for entry in final.timeline if entry.status == "COUNTERSIGNED"]
    assert (found.source, found.applied) == ("poll", True)
    stub, _ = crm
    assert stub.created[final.contract_id] == 1
    assert stub.records[final.contract_id]["status"] == "COUNTERSIGNED"
    assert contract.contract_id == final.contract_id


async def test_an_unsigned_contract_expires_at_its_ttl_and_ignores_late_webhooks(
    time_env: WorkflowEnvironment, settings: Settings
) -> None:
    simulation = generate(
        Scenario(contracts=1, seed=7, outcomes={Outcome.COMPLETED: 1.0}), vendors=("vlens",)
    )
    first, second, *later = (event_from(d) for d in simulation.deliveries)
    started = await time_env.get_current_time()  # before the workflow, which counts the TTL
    handle = await send(time_env.client, settings, first)  # Created, then silence
    await time_env.sleep(timedelta(days=31))  # past the TTL, inside the grace period
    await send(time_env.client, settings, second)  # a late webhook: recorded, never applied
    during_grace = await handle.execute_update("sync", result_type=ContractView)
    assert during_grace.status == "EXPIRED"
    late = [entry for entry in during_grace.timeline if entry.event_id == second.event_id]
    assert [(entry.applied, entry.note) for entry in late] == [(False, "after_terminal")]

    expired: ContractView = await handle.result()  # the grace period ends
    assert expired.status == "EXPIRED"
    assert expired.completed_at is not None
    assert expired.completed_at - started >= timedelta(days=30)
    [timer] = [entry for entry in expired.timeline if entry.source == "timer" and entry.applied]
    assert timer.status == "EXPIRED"
    assert expired.next_poll_at is None
    with pytest.raises(WorkflowAlreadyStartedError):  # never a fresh, empty run
        await send(time_env.client, settings, later[-1])


async def test_the_crm_matches_after_failures_and_out_of_band_edits(
    time_env: WorkflowEnvironment, settings: Settings, crm: tuple[CrmStub, str]
) -> None:
    stub, _ = crm
    simulation = generate(
        Scenario(contracts=1, seed=11, outcomes={Outcome.DECLINED: 1.0}), vendors=("documenso",)
    )
    [contract] = simulation.contracts
    stub.fail_next(3)
    stub.drift(contract.contract_id, times=2)
    handle = None
    for delivery in simulation.deliveries:
        handle = await send(time_env.client, settings, event_from(delivery))
    assert handle is not None
    final: ContractView = await handle.result()
    assert final.status == "DECLINED"
    assert stub.created[final.contract_id] == 1
    assert stub.puts[final.contract_id] >= 3  # the drifted read-backs were corrected
    assert stub.records[final.contract_id]["status"] == "DECLINED"
    notes = [entry.note or "" for entry in final.timeline if entry.source == "timer"]
    assert any(note.startswith("crm: reconciled") for note in notes)


async def test_events_push_the_next_poll_back_without_a_timer_each(
    time_env: WorkflowEnvironment, settings: Settings
) -> None:
    """Each event moves the next poll later; the wakeup timer is kept, not replaced per event,
    and still wakes the workflow at the moved time: no poll while events keep coming."""
    external = f"busy-{uuid.uuid4().hex[:8]}"
    statuses = ["CREATED", "SENT", "VIEWED", "APPROVED", "SIGNED"]
    handle = None
    for status in statuses + [None] * 15:  # then vendor events that move nothing
        event = make_event(external, status, vendor_event=status or "reminder.sent")
        handle = await send(time_env.client, settings, event)
        await time_env.sleep(timedelta(minutes=1))  # well inside POLL_AFTER (15 min)
    assert handle is not None
    await handle.execute_update("sync", result_type=ContractView)
    assert await polls(handle) == 0
    # A timer per event would be twenty; kept across events, there is one more only when it
    # fires (7.5 to 22.5 minutes after it was set, with jitter) before the moved poll time.
    assert await timers(handle) <= 5

    await time_env.sleep(timedelta(minutes=30))  # now quiet for longer than the longest wait
    await handle.execute_update("sync", result_type=ContractView)
    assert await polls(handle) >= 1, "the moved wakeup must still come"


async def timers(handle: WorkflowHandle[Any, Any]) -> int:
    history = await handle.fetch_history()
    return sum(e.HasField("timer_started_event_attributes") for e in history.events)


async def polls(handle: WorkflowHandle[Any, Any]) -> int:
    history = await handle.fetch_history()
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    return scheduled.count("poll_vendor")
