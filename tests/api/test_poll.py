"""`POST /contracts/{id}/poll`: ask the vendor now; what it says is applied like a webhook."""

import httpx
from temporalio.testing import WorkflowEnvironment

from core.db import SessionFactory
from core.transactions import Transactions
from tests.api.conftest import RunApi, api_settings
from tests.api.webhooks import applied, post_vlens, unique
from tools.serve import serve
from tools.simulators import VendorState, create_status_app, vendor_base_urls
from worker import Deps, build_worker


async def test_poll_now_applies_what_the_vendor_says(
    run_api: RunApi,
    dev_env: WorkflowEnvironment,
    database_url: str,
    sessions: SessionFactory,
    transactions: Transactions,
    http: httpx.AsyncClient,
) -> None:
    state = VendorState()
    external = unique()
    async with serve(create_status_app(state)) as vendor_api:
        settings = api_settings(
            database_url,
            dev_env.client.service_client.config.target_host,
            VLENS_API_URL=vendor_base_urls(vendor_api)["vlens"],
        )
        deps = Deps(settings, sessions, transactions, http)
        async with build_worker(dev_env.client, deps), run_api(settings) as api:
            body = {
                "Id": unique(),
                "WebhookEvent": "App.BusinessRequestStatusChange",
                "Attempt": 1,
                "Data": {"Id": external, "NewStatus": "Approved"},
                "CreationTimeUtc": "2026-04-01T08:00:00Z",
            }
            view = await applied(api, await post_vlens(api, body))
            assert view["status"] == "APPROVED"
            # the countersignature webhook never came; the vendor knows
            state.set_view(
                "vlens",
                external,
                {
                    "Id": external,
                    "Status": "ServiceProviderSigned",
                    "LastModificationTimeUtc": "2026-04-02T08:00:00Z",
                },
            )
            polled = await api.post(f"/contracts/vlens:{external}/poll")
            assert polled.status_code == 200, polled.text
            again = await api.post(f"/contracts/vlens:{external}/poll")
            missing = await api.post("/contracts/vlens:never-seen/poll")
    view = polled.json()
    assert view["status"] == "COUNTERSIGNED"
    [found] = [e for e in view["timeline"] if e["status"] == "COUNTERSIGNED"]
    assert (found["source"], found["applied"]) == ("poll", True)
    assert again.status_code == 200  # a finished contract in its grace period: nothing new
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
