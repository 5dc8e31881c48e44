from collections.abc import AsyncIterator

import httpx
import pytest

from tests.tools.simulators.recorder import SIGNLY_HEADER, TOKENS, Recorder
from tools.serve import serve
from tools.simulators import Scenario, Secrets, generate, send

SECRETS = Secrets(
    vlens=TOKENS["vlens"],
    documenso=TOKENS["documenso"],
    fintechos=TOKENS["fintechos"],
    signly=TOKENS["signly"],
    signly_header=SIGNLY_HEADER,
)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


async def test_every_delivery_arrives_with_its_vendors_credential(
    client: httpx.AsyncClient,
) -> None:
    simulation = generate(Scenario(contracts=3, seed=51, duplicates=0.4))
    recorder = Recorder()

    async with serve(recorder.app()) as base_url:
        report = await send(simulation.deliveries, base_url, client, SECRETS, concurrency=4)

    retries = sum(d.is_retry for d in simulation.deliveries)
    assert report.sent == len(simulation.deliveries) == len(recorder.requests)
    assert report.acked == report.sent
    assert report.duplicates == retries > 0
    assert report.rejected == {}
    assert report.errors == 0
    assert len(report.latencies) == report.acked
    assert all(latency > 0 for latency in report.latencies)
    for request in recorder.requests:
        if request.vendor == "vlens":
            assert request.headers["x-webhook-token"] == TOKENS["vlens"]
            assert "token" not in request.query
        elif request.vendor == "documenso":
            assert request.headers["x-documenso-secret"] == TOKENS["documenso"]
        elif request.vendor == "signly":
            assert request.headers[SIGNLY_HEADER.lower()] == TOKENS["signly"]
        else:
            assert request.method == "GET"
            assert request.body == b""
            assert request.query["token"] == TOKENS["fintechos"]
            assert (request.query["test"], request.query["asdf"]) == ("12345", "abc")
            assert "recipientEmail" in request.query


async def test_bodies_arrive_byte_for_byte_in_order_with_one_at_a_time(
    client: httpx.AsyncClient,
) -> None:
    simulation = generate(Scenario(contracts=2, seed=53, shuffle=True), ["vlens", "signly"])
    recorder = Recorder()

    async with serve(recorder.app()) as base_url:
        await send(simulation.deliveries, base_url, client, SECRETS, concurrency=1)

    assert [r.body for r in recorder.requests] == [d.body for d in simulation.deliveries]
    assert {r.headers["content-type"] for r in recorder.requests} == {"application/json"}


async def test_vlens_token_can_ride_in_the_query(client: httpx.AsyncClient) -> None:
    simulation = generate(Scenario(contracts=1, seed=55), ["vlens"])
    recorder = Recorder()
    secrets = Secrets(vlens=TOKENS["vlens"], vlens_in_query=True)

    async with serve(recorder.app()) as base_url:
        report = await send(simulation.deliveries, base_url, client, secrets)

    assert report.acked == report.sent
    assert all(r.query == {"token": TOKENS["vlens"]} for r in recorder.requests)
    assert all("x-webhook-token" not in r.headers for r in recorder.requests)


async def test_fintechos_can_post_an_empty_body(client: httpx.AsyncClient) -> None:
    simulation = generate(Scenario(contracts=1, seed=57, fintechos_method="POST"), ["fintechos"])
    recorder = Recorder()

    async with serve(recorder.app()) as base_url:
        report = await send(simulation.deliveries, base_url, client, SECRETS)

    assert report.acked == report.sent
    assert {(r.method, r.body) for r in recorder.requests} == {("POST", b"")}


async def test_refusals_are_counted_by_status_code(client: httpx.AsyncClient) -> None:
    simulation = generate(Scenario(contracts=2, seed=59), ["documenso", "signly"])
    recorder = Recorder()
    wrong = Secrets(documenso="not-it", signly=TOKENS["signly"])  # default Signly header

    async with serve(recorder.app()) as base_url:
        report = await send(simulation.deliveries, base_url, client, wrong)

    assert report.acked == 0
    assert report.rejected == {401: report.sent}
    assert report.latencies == []
    assert report.for_vendor("signly").sent == sum(
        d.vendor == "signly" for d in simulation.deliveries
    )


async def test_a_target_that_is_not_there_is_reported_not_raised(
    client: httpx.AsyncClient,
) -> None:
    simulation = generate(Scenario(contracts=1, seed=61), ["vlens"])
    async with serve(Recorder().app()) as base_url:
        pass  # the port is closed again

    report = await send(simulation.deliveries, base_url, client, SECRETS)

    assert report.errors == report.sent > 0
    assert report.acked == 0
    assert all(r.error and "ConnectError" in r.error for r in report.results)


async def test_nothing_to_send_is_an_empty_report(client: httpx.AsyncClient) -> None:
    report = await send([], "http://127.0.0.1:9", client, SECRETS)

    assert (report.sent, report.acked, report.rejected) == (0, 0, {})
