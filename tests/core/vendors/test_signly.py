import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from core.events import PartyUpdate
from core.statuses import ContractStatus
from core.vendors.base import InvalidWebhook
from core.vendors.signly import SignlyAdapter
from tests.core.vendors import fixture_json, request, settings

adapter = SignlyAdapter()
COMPLETED = fixture_json("signly", "process_completed.json")
PARTICIPANT = "a244be1a-98c5-4faa-bcb7-55218983a731"


def event(**changes: object) -> dict[str, Any]:
    body = copy.deepcopy(COMPLETED)
    body.update(changes)
    return body


def test_vendor_example_completes_once_every_party_has() -> None:
    parsed = adapter.parse(request(COMPLETED))

    assert parsed.external_id == "0e51e6ee-4643-4381-97e0-5164c00a0142"
    assert parsed.dedup_key == "evt_01J8XQ7M8VW2A6G2B0N7J5AZ7Q"
    assert parsed.vendor_event == "PROCESS_COMPLETED"
    assert parsed.vendor_status == "COMPLETED"
    assert parsed.status is ContractStatus.COUNTERSIGNED
    assert parsed.requires_all_parties is True
    assert parsed.parties == [PartyUpdate(party_id=PARTICIPANT, state="COMPLETED")]
    assert parsed.occurred_at == datetime(2026, 4, 23, 14, 21, 33, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "status", "state"),
    [
        ("PROCESS_CREATED", ContractStatus.CREATED, "CREATED"),
        ("PROCESS_STARTED", ContractStatus.VIEWED, "STARTED"),
        ("DOCUMENT_VIEWED", ContractStatus.VIEWED, "VIEWED"),
        ("FIELD_SIGNED", ContractStatus.SIGNED, "SIGNED"),
        ("PROCESS_FAILED", ContractStatus.FAILED, "FAILED"),
        ("PROCESS_CANCELLED", ContractStatus.CANCELLED, "CANCELLED"),
        ("PROCESS_EXPIRED", ContractStatus.EXPIRED, "EXPIRED"),
    ],
)
def test_process_and_document_events(kind: str, status: ContractStatus, state: str) -> None:
    parsed = adapter.parse(request(event(type=kind)))

    assert parsed.status is status
    assert parsed.parties == [PartyUpdate(party_id=PARTICIPANT, state=state)]
    assert parsed.requires_all_parties is False


@pytest.mark.parametrize(
    "kind", ["OTP_SENT", "OTP_VERIFIED", "BIOMETRIC_FAILED", "LIVENESS_VERIFIED"]
)
def test_identity_milestones_only_touch_the_party(kind: str) -> None:
    parsed = adapter.parse(request(event(type=kind)))

    assert parsed.status is None
    assert parsed.vendor_event == kind
    assert parsed.parties == [PartyUpdate(party_id=PARTICIPANT, state=kind)]


def test_unknown_type_is_recorded_without_status_or_party_state() -> None:
    parsed = adapter.parse(request(event(type="SIGNATURE_REVOKED")))

    assert parsed.status is None
    assert parsed.vendor_event == "SIGNATURE_REVOKED"
    assert parsed.parties == []


def test_missing_type_is_recorded_without_a_status() -> None:
    body = event()
    del body["type"]

    parsed = adapter.parse(request(body))

    assert parsed.status is None
    assert parsed.vendor_event is None


def test_completion_without_a_participant_speaks_for_the_document() -> None:
    body = event()
    del body["participantId"]
    del body["data"]

    parsed = adapter.parse(request(body))

    assert parsed.status is ContractStatus.COUNTERSIGNED
    assert parsed.requires_all_parties is False
    assert parsed.parties == []
    assert parsed.vendor_status is None


def test_dedup_key_is_the_event_id_across_attempts() -> None:
    assert adapter.parse(request(event(attempt=4))).dedup_key == COMPLETED["eventId"]


def _without(key: str) -> dict[str, Any]:
    body = event()
    del body[key]
    return body


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b"{'eventId': 1}",
        b"\x80",
        _without("eventId"),
        _without("documentId"),
        event(eventId=""),
        event(documentId=None),
        event(documentId={"id": "x"}),
        event(type=12),
        event(participantId=42),
        event(data="COMPLETED"),
        event(data={"status": 1}),
        event(occurredAt=1776954093),
        event(occurredAt="not a time"),
    ],
)
def test_requests_not_in_the_vendor_shape_are_invalid(body: bytes | dict[str, Any]) -> None:
    with pytest.raises(InvalidWebhook):
        adapter.parse(request(body))


def test_secret_header_defaults_to_x_client_auth() -> None:
    config = settings(SIGNLY_WEBHOOK_TOKEN="sg-secret")

    assert adapter.configured_secret(config) == "sg-secret"
    assert adapter.presented_secret(request(headers={"X-Client-Auth": "abc"}), config) == "abc"
    assert adapter.masked_headers(config) == {"x-client-auth"}


def test_secret_header_name_comes_from_settings() -> None:
    config = settings(SIGNLY_WEBHOOK_HEADER="X-Other", SIGNLY_WEBHOOK_TOKEN="sg-secret")

    assert adapter.presented_secret(request(headers={"x-other": "abc"}), config) == "abc"
    assert adapter.presented_secret(request(headers={"X-Client-Auth": "abc"}), config) is None
    assert adapter.masked_headers(config) == {"x-other"}
    assert adapter.configured_secret(settings(SIGNLY_WEBHOOK_TOKEN=None)) is None
