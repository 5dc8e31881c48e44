import copy
from datetime import UTC, datetime

import pytest

from core.statuses import ContractStatus
from core.vendors.base import InvalidWebhook
from core.vendors.vlens import VlensAdapter
from tests.core.vendors import fixture_json, request, settings

adapter = VlensAdapter()
EXAMPLE = fixture_json("vlens", "business_request_status_change.json")


def with_changes(**data: object) -> dict[str, object]:
    body = copy.deepcopy(EXAMPLE)
    body["Data"].update(data)
    return body


def test_vendor_example_maps_to_pending_approval() -> None:
    parsed = adapter.parse(request(EXAMPLE))

    assert parsed.external_id == "c2f27bd2-bb49-4dde-bb5f-22a6b8e0d20d"
    assert parsed.dedup_key == "2b020a26-ec12-4f59-8e6a-7d4bf941372b"
    assert parsed.vendor_event == "App.BusinessRequestStatusChange"
    assert parsed.vendor_status == "PendingApproval"
    assert parsed.status is ContractStatus.PENDING_APPROVAL
    assert parsed.occurred_at == datetime(2025, 12, 11, 11, 27, 18, 619700, tzinfo=UTC)
    assert parsed.parties == []
    assert parsed.requires_all_parties is False


@pytest.mark.parametrize(
    ("new_status", "expected"),
    [
        ("Created", ContractStatus.CREATED),
        ("PendingApproval", ContractStatus.PENDING_APPROVAL),
        ("Approved", ContractStatus.APPROVED),
        ("CustomerSigned", ContractStatus.SIGNED),
        ("ServiceProviderSigned", ContractStatus.COUNTERSIGNED),
        ("Rejected", ContractStatus.DECLINED),
        ("Cancelled", ContractStatus.CANCELLED),
        ("Canceled", ContractStatus.CANCELLED),
        ("Expired", ContractStatus.EXPIRED),
    ],
)
def test_new_status_mapping(new_status: str, expected: ContractStatus) -> None:
    assert adapter.parse(request(with_changes(NewStatus=new_status))).status is expected


def test_dedup_key_is_stable_across_attempts() -> None:
    retry = copy.deepcopy(EXAMPLE)
    retry["Attempt"] = 3
    retry["CreationTimeUtc"] = "2025-12-11T11:32:18.0000000Z"

    assert adapter.parse(request(retry)).dedup_key == adapter.parse(request(EXAMPLE)).dedup_key


def test_unknown_status_is_recorded_without_a_status() -> None:
    parsed = adapter.parse(request(with_changes(NewStatus="OnHold")))

    assert parsed.status is None
    assert parsed.vendor_status == "OnHold"


def test_unknown_event_has_no_status_even_with_a_known_new_status() -> None:
    body = with_changes(NewStatus="Approved")
    body["WebhookEvent"] = "App.BusinessRequestDeleted"

    parsed = adapter.parse(request(body))

    assert parsed.status is None
    assert parsed.vendor_event == "App.BusinessRequestDeleted"
    assert parsed.vendor_status == "Approved"


def test_missing_new_status_is_recorded_without_a_status() -> None:
    body = copy.deepcopy(EXAMPLE)
    del body["Data"]["NewStatus"]

    parsed = adapter.parse(request(body))

    assert parsed.status is None
    assert parsed.vendor_status is None


def _without(key: str) -> dict[str, object]:
    body = copy.deepcopy(EXAMPLE)
    del body[key]
    return body


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"not json",
        b"\xff\xfe{}",
        b"[1, 2]",
        _without("Id"),
        _without("Data"),
        {**EXAMPLE, "Id": ""},
        {**EXAMPLE, "Id": None},
        {**EXAMPLE, "Data": "c2f27bd2"},
        {**EXAMPLE, "Data": {"NewStatus": "Approved"}},
        {**EXAMPLE, "Data": {"Id": ["x"], "NewStatus": "Approved"}},
        with_changes(NewStatus=7),
        {**EXAMPLE, "WebhookEvent": 1},
        {**EXAMPLE, "CreationTimeUtc": 1765452438},
        {**EXAMPLE, "CreationTimeUtc": "yesterday"},
    ],
)
def test_requests_not_in_the_vendor_shape_are_invalid(body: bytes | dict[str, object]) -> None:
    with pytest.raises(InvalidWebhook):
        adapter.parse(request(body))


def test_secret_from_query_or_header() -> None:
    config = settings(VLENS_WEBHOOK_TOKEN="vl-secret")

    assert adapter.configured_secret(config) == "vl-secret"
    assert adapter.presented_secret(request(query={"token": "from-query"}), config) == "from-query"
    presented = adapter.presented_secret(request(headers={"X-Webhook-Token": "hdr"}), config)
    assert presented == "hdr"
    assert adapter.presented_secret(request(), config) is None


def test_unset_or_blank_secret_is_not_configured() -> None:
    assert adapter.configured_secret(settings(VLENS_WEBHOOK_TOKEN=None)) is None
    assert adapter.configured_secret(settings(VLENS_WEBHOOK_TOKEN="  ")) is None


def test_secret_names_are_masked() -> None:
    assert adapter.masked_headers(settings()) == {"x-webhook-token"}
    assert adapter.secret_params == {"token"}
    assert adapter.methods == ("POST",)
