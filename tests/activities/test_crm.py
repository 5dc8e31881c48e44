"""The `reconcile_crm` activity against the CRM stub over real HTTP: each attempt in Temporal's
activity environment, and the whole retry story by a real worker on the test server."""

import dataclasses
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.crm import CrmActivities
from core.events import Party
from core.settings import Settings
from tools.crm_stub import CrmStub
from tools.serve import serve
from workflows.inputs import CrmOutcome, CrmRecord

TOKEN = "crm-token"
COMPLETED_AT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


@dataclass
class Crm:
    stub: CrmStub
    settings: Settings


@pytest_asyncio.fixture
async def crm() -> AsyncIterator[Crm]:
    stub = CrmStub(token=TOKEN)
    async with serve(stub.app) as base_url:
        settings = Settings(CONTRACTSYNC_ENV="test", CRM_BASE_URL=base_url, CRM_API_TOKEN=TOKEN)
        yield Crm(stub, settings)


def record(external_id: str = "br-1", status: str = "COUNTERSIGNED") -> CrmRecord:
    return CrmRecord(
        contract_id=f"vlens:{external_id}",
        vendor="vlens",
        external_id=external_id,
        status=status,
        vendor_status="ServiceProviderSigned",
        completed_at=COMPLETED_AT,
        parties=[Party(party_id="p1", state="SIGNED", email="p1@example.com")],
        updated_at=COMPLETED_AT,
    )


def on_attempt(attempt: int) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt)
    return env


async def test_without_a_crm_the_step_is_skipped(http: httpx.AsyncClient) -> None:
    activities = CrmActivities(Settings(CONTRACTSYNC_ENV="test"), http)

    outcome = await ActivityEnvironment().run(activities.reconcile, record())

    assert outcome == CrmOutcome(skipped=True, matched=False, attempt=1)


async def test_the_record_is_upserted_and_read_back(crm: Crm, http: httpx.AsyncClient) -> None:
    activities = CrmActivities(crm.settings, http)

    outcome = await ActivityEnvironment().run(activities.reconcile, record())

    assert outcome == CrmOutcome(matched=True, attempt=1)
    stored = crm.stub.records["vlens:br-1"]
    assert stored["status"] == "COUNTERSIGNED"
    assert stored["parties"] == [
        {
            "party_id": "p1",
            "state": "SIGNED",
            "email": "p1@example.com",
            "name": None,
            "role": None,
            "updated_at": None,
        }
    ]
    assert [(method, status) for method, _, status in crm.stub.requests] == [
        ("PUT", 201),
        ("GET", 200),
    ]
    assert crm.stub.requests[0][1] == "/contracts/vlens:br-1"


async def test_repeated_reconciles_keep_one_record(crm: Crm, http: httpx.AsyncClient) -> None:
    activities = CrmActivities(crm.settings, http)

    for attempt in (1, 2, 3):
        await on_attempt(attempt).run(activities.reconcile, record())

    assert crm.stub.puts["vlens:br-1"] == 3
    assert crm.stub.created["vlens:br-1"] == 1
    assert list(crm.stub.records) == ["vlens:br-1"]


async def test_a_failing_crm_is_retried_until_it_answers(crm: Crm, http: httpx.AsyncClient) -> None:
    crm.stub.fail_next(2, status=503)
    activities = CrmActivities(crm.settings, http)

    for attempt in (1, 2):
        with pytest.raises(ApplicationError) as raised:
            await on_attempt(attempt).run(activities.reconcile, record())
        assert raised.value.type == "CrmUnavailable"
        assert not raised.value.non_retryable
    outcome = await on_attempt(3).run(activities.reconcile, record())

    assert outcome == CrmOutcome(matched=True, attempt=3)
    assert crm.stub.created["vlens:br-1"] == 1


async def test_a_crm_rate_limit_sets_the_next_retry_delay(
    crm: Crm, http: httpx.AsyncClient
) -> None:
    crm.stub.fail_next(1, status=429, retry_after=30)

    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(CrmActivities(crm.settings, http).reconcile, record())

    assert raised.value.type == "CrmRateLimited"
    assert raised.value.next_retry_delay == timedelta(seconds=30)
    assert not raised.value.non_retryable


async def test_a_record_edited_behind_our_back_is_written_again(
    crm: Crm, http: httpx.AsyncClient
) -> None:
    crm.stub.drift("vlens:br-1")
    activities = CrmActivities(crm.settings, http)

    with pytest.raises(ApplicationError) as raised:
        await on_attempt(1).run(activities.reconcile, record())
    assert raised.value.type == "CrmMismatch"
    assert "status" in raised.value.message
    assert not raised.value.non_retryable
    assert crm.stub.records["vlens:br-1"]["status"] == "EDITED_IN_CRM"

    outcome = await on_attempt(2).run(activities.reconcile, record())

    assert outcome == CrmOutcome(matched=True, attempt=2)
    assert crm.stub.records["vlens:br-1"]["status"] == "COUNTERSIGNED"
    assert crm.stub.created["vlens:br-1"] == 1


async def test_the_same_instant_written_differently_still_matches(
    crm: Crm, http: httpx.AsyncClient
) -> None:
    crm.stub.drift(changes={"completed_at": "2026-01-05T11:30:00+02:00", "name": "CRM's own"})

    outcome = await ActivityEnvironment().run(CrmActivities(crm.settings, http).reconcile, record())

    assert outcome.matched


@pytest.mark.parametrize(
    ("token", "failure"), [("wrong-token", None), (TOKEN, 400), (TOKEN, 404), (TOKEN, 302)]
)
async def test_what_a_retry_cannot_fix_is_final(
    crm: Crm, http: httpx.AsyncClient, token: str, failure: int | None
) -> None:
    if failure is not None:
        crm.stub.fail_next(1, status=failure)
    settings = Settings(
        CONTRACTSYNC_ENV="test", CRM_BASE_URL=crm.settings.crm_base_url, CRM_API_TOKEN=token
    )

    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(CrmActivities(settings, http).reconcile, record())

    assert raised.value.type == "CrmRejected"
    assert raised.value.non_retryable
    assert crm.stub.records == {}


async def test_a_crm_that_does_not_answer_is_retried(http: httpx.AsyncClient) -> None:
    async with serve(CrmStub().app) as base_url:
        pass  # closed again: connections are refused
    settings = Settings(CONTRACTSYNC_ENV="test", CRM_BASE_URL=base_url)

    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(CrmActivities(settings, http).reconcile, record())

    assert raised.value.type == "CrmUnavailable"
    assert not raised.value.non_retryable


async def test_an_unusable_crm_url_is_final(http: httpx.AsyncClient) -> None:
    settings = Settings(CONTRACTSYNC_ENV="test", CRM_BASE_URL="ftp://crm.example")

    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(CrmActivities(settings, http).reconcile, record())

    assert raised.value.type == "CrmRejected"
    assert raised.value.non_retryable


@workflow.defn(sandboxed=False)
class ReconcileOnce:
    """Just the activity call, retried by Temporal as the lifecycle would."""

    @workflow.run
    async def run(self, record: CrmRecord) -> CrmOutcome:
        result: CrmOutcome = await workflow.execute_activity(
            "reconcile_crm",
            record,
            result_type=CrmOutcome,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=10),
                backoff_coefficient=1.0,
                maximum_attempts=10,
            ),
        )
        return result


async def test_temporal_retries_until_the_crm_matches(
    crm: Crm, http: httpx.AsyncClient, time_env: WorkflowEnvironment
) -> None:
    crm.stub.fail_next(2, status=503)  # attempts 1 and 2: the PUT fails
    crm.stub.drift("vlens:br-9")  # attempt 3: written, then edited in the CRM
    task_queue = f"crm-{uuid.uuid4().hex[:8]}"

    async with Worker(
        time_env.client,
        task_queue=task_queue,
        workflows=[ReconcileOnce],
        activities=[CrmActivities(crm.settings, http).reconcile],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        outcome = await time_env.client.execute_workflow(
            ReconcileOnce.run,
            record("br-9"),
            id=f"crm-{uuid.uuid4().hex}",
            task_queue=task_queue,
        )

    assert outcome == CrmOutcome(matched=True, attempt=4)
    assert crm.stub.records["vlens:br-9"]["status"] == "COUNTERSIGNED"
    assert crm.stub.created["vlens:br-9"] == 1
    assert crm.stub.puts["vlens:br-9"] == 2
