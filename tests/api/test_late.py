"""A webhook for a contract whose workflow has completed: recorded as late, never a fresh run."""

import httpx
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from core.db import SessionFactory
from core.events import workflow_id_for
from core.settings import Settings
from core.transactions import Transactions
from tests.api.conftest import RunApi, api_settings
from tests.api.webhooks import applied, post_vlens, unique
from worker import Deps, build_worker
from workflows.contract import ContractLifecycle


def vlens(external: str, status: str) -> dict[str, object]:
    return {
        "Id": unique(),
        "WebhookEvent": "App.BusinessRequestStatusChange",
        "Attempt": 1,
        "Data": {"Id": external, "NewStatus": status},
        "CreationTimeUtc": "2026-03-01T10:00:00Z",
    }


async def test_a_late_webhook_is_kept_on_the_finished_contract(
    run_api: RunApi,
    dev_env: WorkflowEnvironment,
    database_url: str,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
) -> None:
    settings: Settings = api_settings(
        database_url, dev_env.client.service_client.config.target_host, TERMINAL_GRACE="1s"
    )
    external = unique("late-")
    async with (
        build_worker(dev_env.client, Deps(settings, sessions, transactions, http)),
        run_api(settings) as api,
    ):
        done = await applied(api, await post_vlens(api, vlens(external, "Rejected")))
        assert done["status"] == "DECLINED"
        handle = dev_env.client.get_workflow_handle_for(
            ContractLifecycle.run, workflow_id_for("vlens", external)
        )
        finished = await handle.result()  # the 1 s grace has passed
        assert finished.status == "DECLINED"

        late_ack = await post_vlens(api, vlens(external, "ServiceProviderSigned"))
        assert late_ack.status_code == 202
        view = await applied(api, late_ack)
    assert view["status"] == "DECLINED"
    [late] = [e for e in view["timeline"] if e["event_id"] == late_ack.json()["event_id"]]
    assert late["applied"] is False
    assert late["note"] == "late: the contract had already finished"
    description = await handle.describe()
    assert description.status == WorkflowExecutionStatus.COMPLETED  # no fresh, empty run
