"""Each vendor's status client against real HTTP: the vendor simulators' status APIs, and a
vendor that misbehaves on demand."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI, Request
from fastapi.responses import Response

from core.settings import Settings
from core.statuses import ContractStatus
from core.vendors import ADAPTERS
from core.vendors.status import (
    STATUS_CLIENTS,
    VendorAuthFailed,
    VendorBadResponse,
    VendorNotConfigured,
    VendorRateLimited,
    VendorSnapshot,
    VendorUnavailable,
    parse_retry_after,
)
from core.vendors.vlens_status import VlensStatusClient
from tools.serve import serve
from tools.simulators import (
    Outcome,
    Scenario,
    VendorState,
    create_status_app,
    generate,
    vendor_base_urls,
)


def vendor_settings(urls: dict[str, str], state: VendorState, **overrides: str) -> Settings:
    values = {
        "CONTRACTSYNC_ENV": "test",
        "VLENS_API_URL": urls["vlens"],
        "DOCUMENSO_API_URL": urls["documenso"],
        "DOCUMENSO_API_KEY": state.documenso_api_key,
        "SIGNLY_API_URL": urls["signly"],
        "SIGNLY_TENANT_ID": state.signly_tenant_id,
        "SIGNLY_API_KEY": state.signly_api_key,
        "FINTECHOS_API_URL": urls["fintechos"],
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class Vendors:
    state: VendorState
    urls: dict[str, str]
    settings: Settings


@pytest_asyncio.fixture
async def vendors() -> AsyncIterator[Vendors]:
    state = VendorState()
    async with serve(create_status_app(state)) as base_url:
        urls = vendor_base_urls(base_url)
        yield Vendors(state, urls, vendor_settings(urls, state))


async def fetch(
    vendors: Vendors, http: httpx.AsyncClient, vendor: str, external_id: str
) -> VendorSnapshot | None:
    return await STATUS_CLIENTS[vendor].fetch(http, vendors.settings, external_id)


def test_every_vendor_with_an_adapter_has_a_status_client() -> None:
    assert set(STATUS_CLIENTS) == set(ADAPTERS)
    assert all(client.vendor == name for name, client in STATUS_CLIENTS.items())


async def test_polling_the_vendor_gives_what_all_its_webhooks_add_up_to(
    vendors: Vendors, http: httpx.AsyncClient
) -> None:
    """The simulators' truth for every ending, lost webhooks included: a poll must reach the
    same status the full stream of webhooks folds to."""
    every_ending = dict.fromkeys(Outcome, 1.0)
    simulation = generate(
        Scenario(contracts=30, seed=11, outcomes=every_ending), state=vendors.state
    )

    seen: set[tuple[str, ContractStatus | None]] = set()
    for contract in simulation.contracts:
        snapshot = await fetch(vendors, http, contract.vendor, contract.external_id)
        assert snapshot is not None, contract.contract_id
        expected = contract.final_status
        assert snapshot.status == (expected.value if expected else None), (
            contract.contract_id,
            contract.outcome,
            contract.final_view,
        )
        seen.add((contract.vendor, expected))
    # the sample covers terminal and stalled contracts at every vendor
    for vendor in ADAPTERS:
        statuses = {status for name, status in seen if name == vendor}
        assert ContractStatus.COUNTERSIGNED in statuses
        assert any(status is not None and not status.terminal for status in statuses)


async def test_vlens_reads_the_business_request(vendors: Vendors, http: httpx.AsyncClient) -> None:
    vendors.state.set_view(
        "vlens",
        "br-1",
        {
            "Id": "br-1",
            "Status": "CustomerSigned",
            "LastModificationTimeUtc": "2026-01-05T09:00:01.1234567Z",
        },
    )
    vendors.state.set_view("vlens", "br-2", {"Id": "br-2", "Status": "OnHold"})

    signed = await fetch(vendors, http, "vlens", "br-1")
    unknown = await fetch(vendors, http, "vlens", "br-2")

    assert signed == VendorSnapshot(
        status="SIGNED",
        vendor_status="CustomerSigned",
        occurred_at=datetime(2026, 1, 5, 9, 0, 1, 123456, tzinfo=UTC),
    )
    # a status the mapping does not know is reported, not guessed
    assert unknown == VendorSnapshot(status=None, vendor_status="OnHold")


async def test_vlens_lists_current_business_requests(
    vendors: Vendors, http: httpx.AsyncClient
) -> None:
    vendors.state.set_view("vlens", "a", {"Id": "a", "Status": "Approved"})
    vendors.state.set_view("vlens", "b", {"Id": "b", "Status": "Canceled"})

    listed = await VlensStatusClient().current_list(http, vendors.settings)

    assert {id_: snapshot.status for id_, snapshot in listed.items()} == {
        "a": "APPROVED",
        "b": "CANCELLED",
    }
    assert vendors.state.requests[-1] == ("GET", "/vlens/api/BusinessRequest/CurrentListIds")


def documenso_recipient(id_: int, read: str, signing: str) -> dict[str, Any]:
    return {
        "id": id_,
        "email": f"r{id_}@example.com",
        "name": f"R {id_}",
        "role": "SIGNER",
        "readStatus": read,
        "signingStatus": signing,
        "sendStatus": "SENT",
    }


@pytest.mark.parametrize(
    ("status", "recipients", "expected"),
    [
        ("DRAFT", [], "CREATED"),
        ("PENDING", [("NOT_OPENED", "NOT_SIGNED"), ("NOT_OPENED", "NOT_SIGNED")], "SENT"),
        ("PENDING", [("OPENED", "NOT_SIGNED"), ("NOT_OPENED", "NOT_SIGNED")], "VIEWED"),
        ("PENDING", [("OPENED", "SIGNED"), ("NOT_OPENED", "NOT_SIGNED")], "SIGNED"),
        ("PENDING", [("OPENED", "SIGNED"), ("OPENED", "REJECTED")], "DECLINED"),
        ("COMPLETED", [("OPENED", "SIGNED"), ("OPENED", "SIGNED")], "COUNTERSIGNED"),
        ("ARCHIVED", [], None),
    ],
)
async def test_documenso_reads_the_document_snapshot(
    vendors: Vendors,
    http: httpx.AsyncClient,
    status: str,
    recipients: list[tuple[str, str]],
    expected: str | None,
) -> None:
    document = {
        "id": 42,
        "status": status,
        "updatedAt": "2026-01-05T09:00:00.250Z",
        "Recipient": [documenso_recipient(n, *states) for n, states in enumerate(recipients, 1)],
    }
    vendors.state.set_view("documenso", "42", document)

    snapshot = await fetch(vendors, http, "documenso", "42")

    assert snapshot is not None
    assert (snapshot.status, snapshot.vendor_status) == (expected, status)
    assert snapshot.occurred_at == datetime(2026, 1, 5, 9, 0, 0, 250000, tzinfo=UTC)
    assert [(p.party_id, p.email) for p in snapshot.parties] == [
        (str(n), f"r{n}@example.com") for n in range(1, len(recipients) + 1)
    ]


async def test_documenso_sends_its_bare_api_key(vendors: Vendors, http: httpx.AsyncClient) -> None:
    vendors.state.set_view("documenso", "7", {"id": 7, "status": "DRAFT"})
    wrong = vendor_settings(vendors.urls, vendors.state, DOCUMENSO_API_KEY="not-the-key")

    with pytest.raises(VendorAuthFailed):
        await STATUS_CLIENTS["documenso"].fetch(http, wrong, "7")
    assert await fetch(vendors, http, "documenso", "7") is not None


@pytest.mark.parametrize(
    ("status", "recipients", "expected"),
    [
        ("Created", ["Pending", "Pending"], "CREATED"),
        ("InProgress", ["Pending", "Pending"], "SENT"),
        ("InProgress", ["Opened", "Pending"], "VIEWED"),
        ("InProgress", ["Finished", "Opened"], "SIGNED"),
        ("Finished", ["Finished", "Finished"], "COUNTERSIGNED"),
        ("Rejected", ["Finished", "Rejected"], "DECLINED"),
        ("Expired", ["Opened", "Pending"], "EXPIRED"),
        ("Suspended", [], None),
    ],
)
async def test_fintechos_reads_the_envelope(
    vendors: Vendors,
    http: httpx.AsyncClient,
    status: str,
    recipients: list[str],
    expected: str | None,
) -> None:
    envelope = {
        "envelopeId": "env-1",
        "status": status,
        "recipients": [
            {"email": f"r{order}@example.com", "order": order, "status": state}
            for order, state in enumerate(recipients, 1)
        ],
        "updatedAt": "2026-01-05T09:00:00Z",
    }
    vendors.state.set_view("fintechos", "env-1", envelope)

    snapshot = await fetch(vendors, http, "fintechos", "env-1")

    assert snapshot is not None
    assert (snapshot.status, snapshot.vendor_status) == (expected, status)
    # a recipient who has not acted yet says nothing, as in the callbacks
    party_states = {"Opened": "VIEWED", "Finished": "SIGNED", "Rejected": "DECLINED"}
    assert [(p.party_id, p.state) for p in snapshot.parties] == [
        (f"r{order}@example.com", party_states[state])
        for order, state in enumerate(recipients, 1)
        if state in party_states
    ]


@pytest.mark.parametrize(
    ("status", "participants", "expected"),
    [
        ("CREATED", ["OTP_SENT"], "CREATED"),
        ("STARTED", ["VIEWED"], "VIEWED"),
        ("STARTED", ["SIGNED", "VIEWED"], "SIGNED"),
        ("COMPLETED", ["COMPLETED"], "COUNTERSIGNED"),
        ("FAILED", ["OTP_FAILED"], "FAILED"),
        ("CANCELLED", ["CREATED"], "CANCELLED"),
        ("EXPIRED", ["STARTED"], "EXPIRED"),
        ("PAUSED", [], None),
    ],
)
async def test_signly_reads_the_document(
    vendors: Vendors,
    http: httpx.AsyncClient,
    status: str,
    participants: list[str],
    expected: str | None,
) -> None:
    view = {
        "documentId": "doc-1",
        "status": status,
        "participants": [
            {"participantId": f"p{n}", "status": state} for n, state in enumerate(participants)
        ],
        "updatedAt": "2026-01-05T09:00:00Z",
    }
    vendors.state.set_view("signly", "doc-1", view)

    snapshot = await fetch(vendors, http, "signly", "doc-1")

    assert snapshot is not None
    assert (snapshot.status, snapshot.vendor_status) == (expected, status)
    assert [(p.party_id, p.state) for p in snapshot.parties] == [
        (f"p{n}", state) for n, state in enumerate(participants)
    ]


@pytest.mark.parametrize("vendor", sorted(ADAPTERS))
async def test_a_contract_the_vendor_does_not_know_is_none(
    vendors: Vendors, http: httpx.AsyncClient, vendor: str
) -> None:
    assert await fetch(vendors, http, vendor, "never-seen") is None


async def test_an_id_stays_one_path_segment(vendors: Vendors, http: httpx.AsyncClient) -> None:
    vendors.state.set_view("vlens", "../x", {"Id": "../x", "Status": "Created"})

    for external_id in ("../x", ".."):
        await fetch(vendors, http, "vlens", external_id)

    assert vendors.state.requests == [
        ("GET", "/vlens/api/BusinessRequest/../x"),
        ("GET", "/vlens/api/BusinessRequest/.."),
    ]


async def test_a_rate_limit_says_how_long_the_vendor_asked_to_wait(
    vendors: Vendors, http: httpx.AsyncClient
) -> None:
    vendors.state.set_view("vlens", "br-1", {"Id": "br-1", "Status": "Created"})
    vendors.state.rate_limit_next(1, retry_after_seconds=7)

    with pytest.raises(VendorRateLimited) as raised:
        await fetch(vendors, http, "vlens", "br-1")

    assert raised.value.retry_after == timedelta(seconds=7)
    assert raised.value.retryable
    assert await fetch(vendors, http, "vlens", "br-1") is not None


def test_unconfigured_vendors_are_said_so() -> None:
    bare = Settings(CONTRACTSYNC_ENV="test")
    half = Settings(
        CONTRACTSYNC_ENV="test", DOCUMENSO_API_URL="http://127.0.0.1:1", SIGNLY_API_URL="http://x"
    )

    assert not any(client.configured(bare) for client in STATUS_CLIENTS.values())
    # without their credentials these two could only ever be refused
    assert not STATUS_CLIENTS["documenso"].configured(half)
    assert not STATUS_CLIENTS["signly"].configured(half)


async def test_fetching_an_unconfigured_vendor_raises(http: httpx.AsyncClient) -> None:
    with pytest.raises(VendorNotConfigured):
        await STATUS_CLIENTS["vlens"].fetch(http, Settings(CONTRACTSYNC_ENV="test"), "x")


@dataclass
class Answer:
    status: int
    body: bytes = b"{}"
    headers: dict[str, str] | None = None


class Misbehaving:
    """A vendor API that answers every request with whatever the test set."""

    def __init__(self) -> None:
        self.answer = Answer(200)
        self.app = FastAPI()

        @self.app.get("/{path:path}")
        async def anything(path: str, request: Request) -> Response:
            return Response(self.answer.body, self.answer.status, headers=self.answer.headers)


@pytest_asyncio.fixture
async def misbehaving() -> AsyncIterator[tuple[Misbehaving, Settings]]:
    vendor = Misbehaving()
    async with serve(vendor.app) as base_url:
        yield vendor, Settings(CONTRACTSYNC_ENV="test", VLENS_API_URL=f"{base_url}/vlens")


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (Answer(503), VendorUnavailable),
        (Answer(500), VendorUnavailable),
        (Answer(408), VendorUnavailable),
        (Answer(401), VendorAuthFailed),
        (Answer(403), VendorAuthFailed),
        (Answer(400), VendorBadResponse),
        (Answer(302, headers={"Location": "http://example.com/"}), VendorBadResponse),
        (Answer(200, b"<html>maintenance</html>"), VendorBadResponse),
        (Answer(200, b"[1, 2]"), VendorBadResponse),
        (Answer(200, b'{"Status": 5}'), VendorBadResponse),
    ],
)
async def test_failures_say_whether_a_retry_can_help(
    misbehaving: tuple[Misbehaving, Settings],
    http: httpx.AsyncClient,
    answer: Answer,
    error: type[Exception],
) -> None:
    vendor, settings = misbehaving
    vendor.answer = answer

    with pytest.raises(error) as raised:
        await STATUS_CLIENTS["vlens"].fetch(http, settings, "br-1")

    assert raised.value.retryable == (error is VendorUnavailable)  # type: ignore[attr-defined]


async def test_a_rate_limit_until_an_http_date(
    misbehaving: tuple[Misbehaving, Settings], http: httpx.AsyncClient
) -> None:
    vendor, settings = misbehaving
    until = datetime.now(UTC) + timedelta(minutes=2)
    vendor.answer = Answer(429, headers={"Retry-After": format_datetime(until, usegmt=True)})

    with pytest.raises(VendorRateLimited) as raised:
        await STATUS_CLIENTS["vlens"].fetch(http, settings, "br-1")

    assert raised.value.retry_after is not None
    assert timedelta(seconds=100) < raised.value.retry_after <= timedelta(minutes=2)


async def test_a_vendor_that_does_not_answer_is_unavailable(http: httpx.AsyncClient) -> None:
    async with serve(FastAPI()) as base_url:
        pass  # the port is closed again: connections are refused
    settings = Settings(CONTRACTSYNC_ENV="test", VLENS_API_URL=base_url)

    with pytest.raises(VendorUnavailable):
        await STATUS_CLIENTS["vlens"].fetch(http, settings, "br-1")


def test_retry_after_is_seconds_or_an_http_date() -> None:
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    assert parse_retry_after("120", now) == timedelta(seconds=120)
    assert parse_retry_after("Mon, 05 Jan 2026 09:00:30 GMT", now) == timedelta(seconds=30)
    assert parse_retry_after("Mon, 05 Jan 2026 08:59:00 GMT", now) == timedelta(0)
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("-5", now) is None
    assert parse_retry_after(None, now) is None


@pytest.mark.parametrize("url", ["not a url", "ftp://vendor.example/api", "http://[::1/api"])
async def test_an_unusable_api_url_is_a_configuration_error(
    http: httpx.AsyncClient, url: str
) -> None:
    settings = Settings(CONTRACTSYNC_ENV="test", VLENS_API_URL=url)

    with pytest.raises(VendorNotConfigured) as raised:
        await STATUS_CLIENTS["vlens"].fetch(http, settings, "br-1")

    assert not raised.value.retryable
