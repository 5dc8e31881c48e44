import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from core.events import PartyUpdate
from core.statuses import ContractStatus
from core.vendors.base import InvalidWebhook
from core.vendors.documenso import DocumensoAdapter
from tests.core.vendors import fixture_json, request, settings

adapter = DocumensoAdapter()
SENT = fixture_json("documenso", "document_sent.json")


def example(name: str) -> dict[str, Any]:
    return fixture_json("documenso", f"{name}.json")


@pytest.mark.parametrize(
    ("name", "event", "vendor_status", "expected"),
    [
        ("document_created", "DOCUMENT_CREATED", "DRAFT", ContractStatus.CREATED),
        ("document_sent", "DOCUMENT_SENT", "PENDING", ContractStatus.SENT),
        ("document_opened", "DOCUMENT_OPENED", "PENDING", ContractStatus.VIEWED),
        # the vendor's DOCUMENT_SIGNED example is a snapshot of a completed document
        ("document_signed", "DOCUMENT_SIGNED", "COMPLETED", ContractStatus.COUNTERSIGNED),
        ("document_completed", "DOCUMENT_COMPLETED", "COMPLETED", ContractStatus.COUNTERSIGNED),
    ],
)
def test_vendor_examples(
    name: str, event: str, vendor_status: str, expected: ContractStatus
) -> None:
    parsed = adapter.parse(request(example(name)))

    assert parsed.external_id == "10"
    assert parsed.vendor_event == event
    assert parsed.vendor_status == vendor_status
    assert parsed.status is expected
    assert len(parsed.dedup_key) == 64


def test_occurred_at_is_the_document_update_time() -> None:
    parsed = adapter.parse(request(example("document_completed")))

    assert parsed.occurred_at == datetime(2024, 4, 22, 11, 52, 5, 708000, tzinfo=UTC)


def test_occurred_at_falls_back_to_the_document_creation_time() -> None:
    body = example("document_created")
    del body["payload"]["updatedAt"]

    parsed = adapter.parse(request(body))

    assert parsed.occurred_at == datetime(2024, 4, 22, 11, 44, 43, 341000, tzinfo=UTC)


def test_created_has_no_parties() -> None:
    assert adapter.parse(request(example("document_created"))).parties == []


def test_parties_follow_each_recipient() -> None:
    sent = adapter.parse(request(SENT)).parties
    opened = adapter.parse(request(example("document_opened"))).parties
    completed = adapter.parse(request(example("document_completed"))).parties

    assert sent == [
        PartyUpdate(
            party_id="52",
            state="SENT",
            email="signer2@documenso.com",
            name="Signer 2",
            role="VIEWER",
        ),
        PartyUpdate(
            party_id="53",
            state="SENT",
            email="signer1@documenso.com",
            name="Signer 1",
            role="SIGNER",
        ),
    ]
    assert [(party.party_id, party.state) for party in opened] == [("52", "VIEWED")]
    assert [(party.party_id, party.state) for party in completed] == [
        ("50", "SIGNED"),
        ("51", "SIGNED"),
    ]


def test_unsent_recipient_is_pending() -> None:
    body = copy.deepcopy(SENT)
    body["payload"]["Recipient"][0]["sendStatus"] = "NOT_SENT"

    assert adapter.parse(request(body)).parties[0].state == "PENDING"


def test_a_rejecting_recipient_declines_whatever_the_event() -> None:
    body = copy.deepcopy(SENT)
    body["payload"]["Recipient"][1]["signingStatus"] = "REJECTED"

    parsed = adapter.parse(request(body))

    assert parsed.status is ContractStatus.DECLINED
    assert parsed.parties[1].state == "DECLINED"


def test_rejected_document_status_declines() -> None:
    body = copy.deepcopy(SENT)
    body["payload"]["status"] = "REJECTED"

    assert adapter.parse(request(body)).status is ContractStatus.DECLINED


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ("DOCUMENT_SIGNED", ContractStatus.SIGNED),
        ("DOCUMENT_REJECTED", ContractStatus.DECLINED),
        ("DOCUMENT_CANCELLED", ContractStatus.CANCELLED),
        ("document.signed", ContractStatus.SIGNED),
        ("document.opened", ContractStatus.VIEWED),
    ],
)
def test_event_mapping_while_pending(event: str, expected: ContractStatus) -> None:
    parsed = adapter.parse(request({**SENT, "event": event}))

    assert parsed.status is expected
    assert parsed.vendor_event == event.replace(".", "_").upper()


def test_unknown_event_is_recorded_without_a_status() -> None:
    parsed = adapter.parse(request({**SENT, "event": "DOCUMENT_REMINDER_SENT"}))

    assert parsed.status is None
    assert parsed.vendor_event == "DOCUMENT_REMINDER_SENT"
    assert parsed.vendor_status == "PENDING"


def test_dotted_and_upper_case_event_names_are_the_same_delivery() -> None:
    dotted = adapter.parse(request({**SENT, "event": "document.sent"}))

    assert dotted.dedup_key == adapter.parse(request(SENT)).dedup_key


def test_dedup_key_ignores_the_delivery_timestamp() -> None:
    retry = {**SENT, "createdAt": "2024-04-22T11:58:00.000Z"}

    assert adapter.parse(request(retry)).dedup_key == adapter.parse(request(SENT)).dedup_key


def test_dedup_key_ignores_recipient_order() -> None:
    body = copy.deepcopy(SENT)
    body["payload"]["Recipient"].reverse()

    assert adapter.parse(request(body)).dedup_key == adapter.parse(request(SENT)).dedup_key


@pytest.mark.parametrize(
    ("field", "value"),
    [("signingStatus", "SIGNED"), ("readStatus", "OPENED")],
)
def test_dedup_key_changes_with_a_recipient(field: str, value: str) -> None:
    body = copy.deepcopy(SENT)
    body["payload"]["Recipient"][0][field] = value

    assert adapter.parse(request(body)).dedup_key != adapter.parse(request(SENT)).dedup_key


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "COMPLETED"), ("updatedAt", "2024-04-22T11:49:00.000Z"), ("id", 11)],
)
def test_dedup_key_changes_with_the_document(field: str, value: object) -> None:
    body = copy.deepcopy(SENT)
    body["payload"][field] = value

    assert adapter.parse(request(body)).dedup_key != adapter.parse(request(SENT)).dedup_key


def _changed(**payload: object) -> dict[str, Any]:
    body = copy.deepcopy(SENT)
    body["payload"].update(payload)
    return body


def _recipient(**fields: object) -> dict[str, Any]:
    body = copy.deepcopy(SENT)
    body["payload"]["Recipient"][0].update(fields)
    return body


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"\xc3\x28",
        b'"DOCUMENT_SENT"',
        {"event": "DOCUMENT_SENT"},
        {**SENT, "payload": [1]},
        {**SENT, "event": 5},
        _changed(id=None),
        _changed(id=""),
        _changed(id=True),
        _changed(id=10.5),
        _changed(status=3),
        _changed(updatedAt=1713786727),
        _changed(updatedAt="soon"),
        _changed(Recipient={"id": 52}),
        _changed(Recipient=[52]),
        _recipient(id=None),
        _recipient(signingStatus=1),
        _recipient(email=["a@b.c"]),
    ],
)
def test_requests_not_in_the_vendor_shape_are_invalid(body: bytes | dict[str, Any]) -> None:
    with pytest.raises(InvalidWebhook):
        adapter.parse(request(body))


def test_secret_is_the_plain_header() -> None:
    config = settings(DOCUMENSO_WEBHOOK_SECRET="doc-secret")

    assert adapter.configured_secret(config) == "doc-secret"
    presented = adapter.presented_secret(request(headers={"X-Documenso-Secret": "s3"}), config)
    assert presented == "s3"
    assert adapter.presented_secret(request(query={"token": "s3"}), config) is None
    assert adapter.configured_secret(settings(DOCUMENSO_WEBHOOK_SECRET=None)) is None
    assert adapter.masked_headers(config) == {"x-documenso-secret"}
