from collections.abc import AsyncIterator

import httpx
import pytest

from tools.serve import serve
from tools.simulators import (
    Outcome,
    Scenario,
    Simulation,
    VendorState,
    create_status_app,
    generate,
    vendor_base_urls,
)

DOCUMENSO_KEY = "api_documenso_key"
SIGNLY_TENANT = "11111111-2222-4333-8444-555555555555"
SIGNLY_KEY = "sk_live_partner_abc123"


@pytest.fixture
def state() -> VendorState:
    return VendorState(
        documenso_api_key=DOCUMENSO_KEY, signly_tenant_id=SIGNLY_TENANT, signly_api_key=SIGNLY_KEY
    )


@pytest.fixture
def simulation(state: VendorState) -> Simulation:
    # Every final webhook is lost: only the status APIs know how the contracts ended.
    scenario = Scenario(
        contracts=3,
        seed=71,
        drop_final=1.0,
        signly_tenant_id=SIGNLY_TENANT,
        outcomes={Outcome.COMPLETED: 1.0},
    )
    return generate(scenario, state=state)


@pytest.fixture
async def api(state: VendorState) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(create_status_app(state)) as base_url,
        httpx.AsyncClient(base_url=base_url) as client,
    ):
        yield client


async def test_vlens_lists_and_reads_business_requests(
    api: httpx.AsyncClient, simulation: Simulation
) -> None:
    listed = await api.get("/vlens/api/BusinessRequest/CurrentListIds")

    assert listed.status_code == 200
    contracts = simulation.for_vendor("vlens").contracts
    assert listed.json() == [
        {"Id": c.external_id, "Status": "ServiceProviderSigned"} for c in contracts
    ]
    one = await api.get(f"/vlens/api/BusinessRequest/{contracts[0].external_id}")
    assert one.json() == dict(contracts[0].final_view)
    assert set(one.json()) == {"Id", "Status", "LastModificationTimeUtc"}
    missing = await api.get("/vlens/api/BusinessRequest/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404


async def test_documenso_answers_the_snapshot_to_its_api_key(
    api: httpx.AsyncClient, simulation: Simulation
) -> None:
    contract = simulation.for_vendor("documenso").contracts[0]
    path = f"/documenso/api/v2/envelope/{contract.external_id}"

    found = await api.get(path, headers={"Authorization": DOCUMENSO_KEY})

    assert found.status_code == 200
    assert found.json() == contract.final_view
    assert found.json()["status"] == "COMPLETED"
    assert {r["signingStatus"] for r in found.json()["Recipient"]} == {"SIGNED"}
    assert (await api.get(path, headers={"Authorization": "wrong"})).status_code == 401
    assert (await api.get(path)).status_code == 401
    unknown = await api.get(
        "/documenso/api/v2/envelope/1", headers={"Authorization": DOCUMENSO_KEY}
    )
    assert unknown.status_code == 404


async def test_signly_answers_in_its_envelope_to_tenant_and_key(
    api: httpx.AsyncClient, simulation: Simulation
) -> None:
    contract = simulation.for_vendor("signly").contracts[0]
    path = f"/signly/v1/documents/{contract.external_id}"
    good = {"X-Tenant-Signly": SIGNLY_TENANT, "X-Auth-Signly": SIGNLY_KEY}

    found = await api.get(path, headers=good)

    assert found.status_code == 200
    body = found.json()
    assert body["success"] is True
    assert body["data"]["documentId"] == contract.external_id
    assert body["data"]["status"] == "COMPLETED"
    assert [p["status"] for p in body["data"]["participants"]] == ["COMPLETED"]
    assert "updatedAt" in body["data"]
    other_tenant = {**good, "X-Tenant-Signly": "someone-else"}
    refused = await api.get(path, headers=other_tenant)
    assert refused.status_code == 401
    assert refused.json()["success"] is False
    assert (await api.get(path, headers={**good, "X-Auth-Signly": "nope"})).status_code == 401
    unknown = await api.get("/signly/v1/documents/nope", headers=good)
    assert unknown.status_code == 404


async def test_fintechos_reports_envelope_and_recipients(
    api: httpx.AsyncClient, simulation: Simulation
) -> None:
    contract = simulation.for_vendor("fintechos").contracts[0]

    found = await api.get(f"/fintechos/api/envelopes/{contract.external_id}/status")

    assert found.status_code == 200
    assert found.json()["envelopeId"] == contract.external_id
    assert found.json()["status"] == "Finished"
    assert [(r["order"], r["status"]) for r in found.json()["recipients"]] == [
        (1, "Finished"),
        (2, "Finished"),
    ]
    assert (await api.get("/fintechos/api/envelopes/nope/status")).status_code == 404


async def test_the_rate_limit_switch_throttles_the_next_requests(
    api: httpx.AsyncClient, state: VendorState, simulation: Simulation
) -> None:
    state.rate_limit_next(2, retry_after_seconds=7)
    path = "/vlens/api/BusinessRequest/CurrentListIds"

    first, second, third = [await api.get(path) for _ in range(3)]

    assert [r.status_code for r in (first, second, third)] == [429, 429, 200]
    assert first.headers["Retry-After"] == second.headers["Retry-After"] == "7"
    assert state.requests[-3:] == [("GET", path)] * 3


async def test_tests_can_move_the_truth(api: httpx.AsyncClient, state: VendorState) -> None:
    state.set_view(
        "fintechos",
        "env-1",
        {"envelopeId": "env-1", "status": "Expired", "recipients": [], "updatedAt": "x"},
    )

    found = await api.get("/fintechos/api/envelopes/env-1/status")

    assert found.json()["status"] == "Expired"


def test_vendor_base_urls_point_at_each_prefix() -> None:
    assert vendor_base_urls("http://127.0.0.1:9000/") == {
        "vlens": "http://127.0.0.1:9000/vlens",
        "documenso": "http://127.0.0.1:9000/documenso",
        "fintechos": "http://127.0.0.1:9000/fintechos",
        "signly": "http://127.0.0.1:9000/signly",
    }
