import random
import re
import uuid
from urllib.parse import urlencode

import pytest

from core.statuses import ContractStatus
from tools.simulators import SIMULATORS, Contract, Outcome, Scenario, generate, signly, vlens

DOTNET_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")
JS_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SECONDS_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
SCENARIO = Scenario(contracts=1, seed=31)


def one(vendor: str, outcome: Outcome, seed: int = 1) -> Contract:
    simulator = SIMULATORS[vendor]
    rng = random.Random(seed)
    return simulator.lifecycle(simulator.new_id(rng), outcome, rng, SCENARIO.start, SCENARIO)


def test_vlens_sends_one_status_change_per_status() -> None:
    contract = one("vlens", Outcome.COMPLETED)

    bodies = [event.json_body() for event in contract.events]
    assert [body["Data"]["NewStatus"] for body in bodies] == list(vlens.HAPPY)
    assert [event.expected_status for event in contract.events] == [
        ContractStatus.CREATED,
        ContractStatus.PENDING_APPROVAL,
        ContractStatus.APPROVED,
        ContractStatus.SIGNED,
        ContractStatus.COUNTERSIGNED,
    ]
    for event, body in zip(contract.events, bodies, strict=True):
        assert set(body) == {"Id", "WebhookEvent", "Attempt", "Data", "CreationTimeUtc"}
        assert (event.method, event.path, event.query) == ("POST", "/webhooks/vlens", {})
        assert body["WebhookEvent"] == "App.BusinessRequestStatusChange"
        assert body["Attempt"] == 1
        assert body["Data"]["Id"] == contract.external_id
        assert event.delivery_key == body["Id"]
        uuid.UUID(body["Id"])
        assert DOTNET_TIME.match(body["CreationTimeUtc"])
    assert len({body["Id"] for body in bodies}) == len(bodies)
    assert contract.final_view == {
        "Id": contract.external_id,
        "Status": "ServiceProviderSigned",
        "LastModificationTimeUtc": bodies[-1]["CreationTimeUtc"],
    }


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (Outcome.DECLINED, "Rejected"),
        (Outcome.CANCELLED, "Cancelled"),
        (Outcome.EXPIRED, "Expired"),
    ],
)
def test_vlens_endings(outcome: Outcome, status: str) -> None:
    contract = one("vlens", outcome)

    assert contract.events[-1].json_body()["Data"]["NewStatus"] == status
    assert contract.final_view["Status"] == status


def test_documenso_payload_is_a_snapshot_that_grows() -> None:
    contract = one("documenso", Outcome.COMPLETED)

    bodies = [event.json_body() for event in contract.events]
    assert [body["event"] for body in bodies] == [
        "DOCUMENT_CREATED",
        "DOCUMENT_SENT",
        "DOCUMENT_OPENED",
        "DOCUMENT_SIGNED",
        "DOCUMENT_COMPLETED",
    ]
    assert [body["payload"]["status"] for body in bodies] == [
        "DRAFT",
        "PENDING",
        "PENDING",
        "PENDING",
        "COMPLETED",
    ]
    assert "Recipient" not in bodies[0]["payload"]  # like the vendor's DOCUMENT_CREATED
    signing = [[r["signingStatus"] for r in body["payload"]["Recipient"]] for body in bodies[1:]]
    assert signing == [
        ["NOT_SIGNED", "NOT_SIGNED"],
        ["NOT_SIGNED", "NOT_SIGNED"],
        ["SIGNED", "NOT_SIGNED"],
        ["SIGNED", "SIGNED"],
    ]
    assert bodies[2]["payload"]["Recipient"][0]["readStatus"] == "OPENED"
    for body in bodies:
        assert set(body) == {"event", "payload", "createdAt", "webhookEndpoint"}
        assert body["payload"]["id"] == int(contract.external_id)
        assert body["webhookEndpoint"] == "http://127.0.0.1:8000/webhooks/documenso"
        assert JS_TIME.match(body["createdAt"])
        assert JS_TIME.match(body["payload"]["updatedAt"])
    assert [e.expected_status for e in contract.events][-2:] == [
        ContractStatus.SIGNED,
        ContractStatus.COUNTERSIGNED,
    ]
    assert contract.final_view == bodies[-1]["payload"]


def test_documenso_rejection_is_a_recipient_who_refuses() -> None:
    contract = one("documenso", Outcome.DECLINED)

    last = contract.events[-1].json_body()
    assert last["event"] == "DOCUMENT_REJECTED"
    refusals = [r for r in last["payload"]["Recipient"] if r["signingStatus"] == "REJECTED"]
    assert len(refusals) == 1
    assert contract.events[-1].expected_status is ContractStatus.DECLINED


def test_documenso_cancellation_deletes_the_document() -> None:
    contract = one("documenso", Outcome.CANCELLED)

    last = contract.events[-1].json_body()
    assert last["event"] == "DOCUMENT_CANCELLED"
    assert last["payload"]["deletedAt"] is not None
    assert contract.final_status is ContractStatus.CANCELLED


def test_fintechos_calls_the_configured_url_with_its_placeholders_filled() -> None:
    contract = one("fintechos", Outcome.COMPLETED)

    actions = [(e.query["action"], e.query["recipientOrder"]) for e in contract.events]
    assert actions == [
        ("workstepOpened", "1"),
        ("workstepFinished", "1"),
        ("workstepOpened", "2"),
        ("workstepFinished", "2"),
        ("envelopeFinished", ""),
    ]
    envelope = contract.external_id
    # The exact shape of the vendor's callbacks (fixtures/fintechos/README.md).
    assert urlencode(contract.events[-1].query) == (
        f"test=12345&asdf=abc&envelopeId={envelope}&recipientEmail=&recipientOrder="
        "&action=envelopeFinished&FTOSIsFinishCallback=1"
    )
    opened = contract.events[0].query
    assert list(opened) == [
        "test",
        "asdf",
        "envelopeId",
        "recipientEmail",
        "recipientOrder",
        "action",
    ]
    assert opened["recipientEmail"].endswith("@example.com")
    for event in contract.events:
        assert (event.method, event.path, event.body) == ("GET", "/webhooks/fintechos", b"")
    assert contract.final_view["status"] == "Finished"
    assert [r["status"] for r in contract.final_view["recipients"]] == ["Finished", "Finished"]


def test_fintechos_can_call_with_an_empty_post() -> None:
    scenario = Scenario(contracts=2, seed=3, fintechos_method="POST")

    simulation = generate(scenario, ["fintechos"])

    assert {(d.method, d.body) for d in simulation.deliveries} == {("POST", b"")}


def test_fintechos_rejection_comes_from_the_recipient_who_opened() -> None:
    for seed in range(10):
        contract = one("fintechos", Outcome.DECLINED, seed)
        *before, last = contract.events
        assert last.query["action"] == "workstepRejected"
        assert before[-1].query["action"] == "workstepOpened"
        assert last.query["recipientEmail"] == before[-1].query["recipientEmail"]
        assert contract.final_view["status"] == "Rejected"


def test_fintechos_expiry_is_an_envelope_action() -> None:
    contract = one("fintechos", Outcome.EXPIRED)

    last = contract.events[-1].query
    assert (last["action"], last["recipientEmail"]) == ("envelopeExpired", "")
    assert contract.final_view["status"] == "Expired"


def test_signly_walks_one_participant_through_identity_and_signature() -> None:
    contract = one("signly", Outcome.COMPLETED)

    bodies = [event.json_body() for event in contract.events]
    assert [body["type"] for body in bodies] == [*signly.HAPPY, "PROCESS_COMPLETED"]
    assert [event.expected_status for event in contract.events] == [
        ContractStatus.CREATED,
        None,
        None,
        ContractStatus.VIEWED,
        ContractStatus.VIEWED,
        ContractStatus.SIGNED,
        ContractStatus.COUNTERSIGNED,
    ]
    keys = {"eventId", "type", "occurredAt", "tenantId", "documentId", "participantId"}
    for event, body in zip(contract.events, bodies, strict=True):
        assert set(body) == {*keys, "attempt", "data"}
        assert body["eventId"].startswith("evt_")
        assert event.delivery_key == body["eventId"]
        assert body["documentId"] == contract.external_id
        assert body["tenantId"] == SCENARIO.signly_tenant_id
        assert body["attempt"] == 1
        assert SECONDS_TIME.match(body["occurredAt"])
    assert len({body["participantId"] for body in bodies}) == 1
    assert bodies[-1]["data"]["status"] == "COMPLETED"
    assert contract.final_view["status"] == "COMPLETED"
    assert contract.final_view["participants"] == [
        {"participantId": bodies[0]["participantId"], "status": "COMPLETED"}
    ]


@pytest.mark.parametrize(
    ("outcome", "kind", "status"),
    [
        (Outcome.FAILED, "PROCESS_FAILED", "FAILED"),
        (Outcome.CANCELLED, "PROCESS_CANCELLED", "CANCELLED"),
        (Outcome.EXPIRED, "PROCESS_EXPIRED", "EXPIRED"),
    ],
)
def test_signly_endings(outcome: Outcome, kind: str, status: str) -> None:
    contract = one("signly", outcome)

    assert contract.events[-1].json_body()["type"] == kind
    assert contract.final_view["status"] == status


@pytest.mark.parametrize(
    ("vendor", "outcome"),
    [
        ("documenso", Outcome.EXPIRED),
        ("fintechos", Outcome.CANCELLED),
        ("signly", Outcome.DECLINED),
    ],
)
def test_an_ending_the_vendor_cannot_send_is_refused(vendor: str, outcome: Outcome) -> None:
    with pytest.raises(ValueError, match="no `"):
        one(vendor, outcome)


def test_event_ids_are_unique_across_a_run() -> None:
    simulation = generate(Scenario(contracts=50, seed=37))

    keys = [(d.vendor, d.delivery_key) for d in simulation.deliveries]
    assert len(keys) == len(set(keys))
