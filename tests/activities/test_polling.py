"""The `poll_vendor` activity against the vendor simulators' status APIs over real HTTP, run
in Temporal's activity environment and, for retries, by a real worker on the test server."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.polling import PollingActivities
from core.settings import Settings
from tools.serve import serve
from tools.simulators import VendorState, create_status_app, vendor_base_urls
from workflows.inputs import PollRequest, PollResult


@dataclass
class Vendors:
    state: VendorState
    settings: Settings


@pytest_asyncio.fixture
async def vendors() -> AsyncIterator[Vendors]:
    state = VendorState()
    async with serve(create_status_app(state)) as base_url:
        urls = vendor_base_urls(base_url)
        settings = Settings(
            CONTRACTSYNC_ENV="test",
            VLENS_API_URL=urls["vlens"],
            DOCUMENSO_API_URL=urls["documenso"],
            DOCUMENSO_API_KEY="not-the-key",
            SIGNLY_API_URL=urls["signly"],
            SIGNLY_TENANT_ID=state.signly_tenant_id,
            SIGNLY_API_KEY=state.signly_api_key,
        )
        yield Vendors(state, settings)


def signly_view(status: str) -> dict[str, object]:
    return {
        "documentId": "doc-1",
        "status": status,
        "participants": [{"participantId": "p1", "status": status}],
        "updatedAt": "2026-01-05T09:00:00Z",
    }


async def test_a_known_contract_comes_back_as_a_snapshot(
    vendors: Vendors, http: httpx.AsyncClient
) -> None:
    vendors.state.set_view("signly", "doc-1", signly_view("COMPLETED"))
    activities = PollingActivities(vendors.settings, http)

    result = await ActivityEnvironment().run(
        activities.poll, PollRequest(vendor="signly", external_id="doc-1")
    )

    assert result.configured
    assert result.found
    assert result.snapshot is not None
    assert (result.snapshot.status, result.snapshot.vendor_status) == ("COUNTERSIGNED", "COMPLETED")
    assert [(p.party_id, p.state) for p in result.snapshot.parties] == [("p1", "COMPLETED")]


async def test_a_contract_the_vendor_does_not_know_is_not_found(
    vendors: Vendors, http: httpx.AsyncClient
) -> None:
    activities = PollingActivities(vendors.settings, http)

    result = await ActivityEnvironment().run(
        activities.poll, PollRequest(vendor="vlens", external_id="nope")
    )

    assert result == PollResult(configured=True, found=False, snapshot=None)


@pytest.mark.parametrize("vendor", ["fintechos", "docusign"])
async def test_a_vendor_without_an_api_is_not_asked(
    vendors: Vendors, http: httpx.AsyncClient, vendor: str
) -> None:
    activities = PollingActivities(vendors.settings, http)  # no FINTECHOS_API_URL

    result = await ActivityEnvironment().run(
        activities.poll, PollRequest(vendor=vendor, external_id="e-1")
    )

    assert result == PollResult(configured=False)
    assert vendors.state.requests == []


async def test_a_rate_limit_sets_the_next_retry_delay(
    vendors: Vendors, http: httpx.AsyncClient
) -> None:
    vendors.state.rate_limit_next(1, retry_after_seconds=3)
    activities = PollingActivities(vendors.settings, http)

    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(
            activities.poll, PollRequest(vendor="vlens", external_id="br-1")
        )

    assert raised.value.message == "rate limited"
    assert raised.value.type == "VendorRateLimited"
    assert raised.value.next_retry_delay == timedelta(seconds=3)
    assert not raised.value.non_retryable


async def test_refused_credentials_are_final(vendors: Vendors, http: httpx.AsyncClient) -> None:
    vendors.state.set_view("documenso", "42", {"id": 42, "status": "DRAFT"})
    activities = PollingActivities(vendors.settings, http)  # with the wrong Documenso key

    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(
            activities.poll, PollRequest(vendor="documenso", external_id="42")
        )

    assert raised.value.type == "VendorAuthFailed"
    assert raised.value.non_retryable


async def test_a_vendor_that_does_not_answer_is_retried(http: httpx.AsyncClient) -> None:
    async with serve(create_status_app(VendorState())) as base_url:
        pass  # closed again: connections are refused
    settings = Settings(CONTRACTSYNC_ENV="test", VLENS_API_URL=f"{base_url}/vlens")

    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(
            PollingActivities(settings, http).poll, PollRequest(vendor="vlens", external_id="br-1")
        )

    assert raised.value.type == "VendorUnavailable"
    assert not raised.value.non_retryable


@workflow.defn(sandboxed=False)
class PollOnce:
    """Just the activity call, with the kind of retry policy the lifecycle gives it."""

    @workflow.run
    async def run(self, request: PollRequest) -> PollResult:
        result: PollResult = await workflow.execute_activity(
            "poll_vendor",
            request,
            result_type=PollResult,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=10), maximum_attempts=5
            ),
        )
        return result


async def test_temporal_waits_as_long_as_the_vendor_asked(
    vendors: Vendors, http: httpx.AsyncClient, time_env: WorkflowEnvironment
) -> None:
    vendors.state.set_view("signly", "doc-1", signly_view("STARTED"))
    vendors.state.rate_limit_next(1, retry_after_seconds=1)
    task_queue = f"poll-{uuid.uuid4().hex[:8]}"
    activities = PollingActivities(vendors.settings, http)

    async with Worker(
        time_env.client,
        task_queue=task_queue,
        workflows=[PollOnce],
        activities=[activities.poll],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await time_env.client.start_workflow(
            PollOnce.run,
            PollRequest(vendor="signly", external_id="doc-1"),
            id=f"poll-{uuid.uuid4().hex}",
            task_queue=task_queue,
        )
        result = await handle.result()

    assert result.found
    assert result.snapshot is not None
    assert result.snapshot.status == "VIEWED"
    assert len(vendors.state.requests) == 2  # throttled, then answered
    events = (await handle.fetch_history()).events
    scheduled = next(e for e in events if e.HasField("activity_task_scheduled_event_attributes"))
    started = next(e for e in events if e.HasField("activity_task_started_event_attributes"))
    assert started.activity_task_started_event_attributes.attempt == 2
    # the policy alone would have retried after 10 ms; the vendor asked for a second
    waited = started.event_time.ToDatetime() - scheduled.event_time.ToDatetime()
    assert waited >= timedelta(seconds=1)
