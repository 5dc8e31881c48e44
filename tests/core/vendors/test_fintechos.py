from urllib.parse import parse_qsl

import pytest

from core.events import PartyUpdate
from core.statuses import ContractStatus
from core.vendors.base import InvalidWebhook
from core.vendors.fintechos import FintechosAdapter
from tests.core.vendors import fixture_path, request, settings

adapter = FintechosAdapter()
ENVELOPE = "7bfa100a-f52c-4915-b25d-210e6bb82f48"


def _readme_queries() -> list[dict[str, str]]:
    """The vendor's callbacks, as the query strings listed in the fixtures README."""
    lines = fixture_path("fintechos", "README.md").read_text("utf-8").splitlines()
    return [
        dict(parse_qsl(line.strip()[1:], keep_blank_values=True))
        for line in lines
        if line.strip().startswith("?")
    ]


OPENED, FINISHED = _readme_queries()


def callback(**params: str) -> dict[str, str]:
    return {"envelopeId": ENVELOPE, "recipientEmail": "", "recipientOrder": "", **params}


def test_readme_workstep_opened() -> None:
    parsed = adapter.parse(request(query=OPENED, method="GET"))

    assert parsed.external_id == ENVELOPE
    assert parsed.vendor_event == "workstepOpened"
    assert parsed.status is ContractStatus.VIEWED
    assert parsed.parties == []  # the example leaves recipient email and order empty
    assert parsed.occurred_at is None


def test_readme_envelope_finished() -> None:
    parsed = adapter.parse(request(query=FINISHED, method="GET"))

    assert parsed.external_id == ENVELOPE
    assert parsed.vendor_event == "envelopeFinished"
    assert parsed.status is ContractStatus.COUNTERSIGNED
    assert parsed.dedup_key != adapter.parse(request(query=OPENED)).dedup_key


def test_post_body_is_ignored() -> None:
    via_post = adapter.parse(request(b"\xff not json", query=OPENED, method="POST"))

    assert via_post == adapter.parse(request(query=OPENED, method="GET"))


def test_custom_params_and_token_do_not_change_the_event() -> None:
    bare = {name: value for name, value in OPENED.items() if name not in ("test", "asdf")}
    with_token = {**OPENED, "token": "another"}

    assert adapter.parse(request(query=bare)) == adapter.parse(request(query=OPENED))
    assert adapter.parse(request(query=with_token)) == adapter.parse(request(query=OPENED))


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("workstepOpened", ContractStatus.VIEWED),
        ("workstepFinished", ContractStatus.SIGNED),
        ("workstepRejected", ContractStatus.DECLINED),
        ("envelopeFinished", ContractStatus.COUNTERSIGNED),
        ("envelopeExpired", ContractStatus.EXPIRED),
        ("workstepDelegated", None),
        ("somethingNew", None),
    ],
)
def test_action_mapping(action: str, expected: ContractStatus | None) -> None:
    parsed = adapter.parse(request(query=callback(action=action)))

    assert parsed.status is expected
    assert parsed.vendor_event == action


def test_finish_flag_completes_whatever_the_action() -> None:
    parsed = adapter.parse(request(query=callback(action="", FTOSIsFinishCallback="1")))

    assert parsed.status is ContractStatus.COUNTERSIGNED
    assert parsed.vendor_event is None


def test_missing_action_is_recorded_without_a_status() -> None:
    parsed = adapter.parse(request(query={"envelopeId": ENVELOPE}))

    assert parsed.status is None
    assert parsed.vendor_event is None
    assert parsed.external_id == ENVELOPE


@pytest.mark.parametrize(
    ("action", "state"),
    [
        ("workstepOpened", "VIEWED"),
        ("workstepFinished", "SIGNED"),
        ("workstepRejected", "DECLINED"),
        ("workstepDelegated", "DELEGATED"),
    ],
)
def test_recipient_by_email(action: str, state: str) -> None:
    query = callback(action=action, recipientEmail="ana@example.com", recipientOrder="2")

    parties = adapter.parse(request(query=query)).parties

    assert parties == [
        PartyUpdate(party_id="ana@example.com", state=state, email="ana@example.com")
    ]


def test_recipient_by_order_when_no_email() -> None:
    parties = adapter.parse(
        request(query=callback(action="workstepFinished", recipientOrder="2"))
    ).parties

    assert parties == [PartyUpdate(party_id="order-2", state="SIGNED", email=None)]


def test_envelope_level_action_names_no_party() -> None:
    query = callback(action="envelopeFinished", recipientEmail="ana@example.com")

    assert adapter.parse(request(query=query)).parties == []


@pytest.mark.parametrize(
    "changed",
    [
        {"action": "workstepFinished"},
        {"recipientEmail": "ana@example.com"},
        {"recipientOrder": "1"},
        {"FTOSIsFinishCallback": "1"},
        {"envelopeId": "another"},
    ],
)
def test_dedup_key_follows_its_parameters(changed: dict[str, str]) -> None:
    base = callback(action="workstepOpened")

    assert (
        adapter.parse(request(query={**base, **changed})).dedup_key
        != adapter.parse(request(query=base)).dedup_key
    )


def test_dedup_key_values_cannot_run_into_each_other() -> None:
    left = callback(action="workstepOpened", recipientEmail="a|b", recipientOrder="")
    right = callback(action="workstepOpened", recipientEmail="a", recipientOrder="b")

    assert adapter.parse(request(query=left)).dedup_key != (
        adapter.parse(request(query=right)).dedup_key
    )


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"action": "workstepOpened"},
        {"envelopeId": "", "action": "workstepOpened"},
        {"envelopeId": "  ", "action": "workstepOpened"},
        {"envelopeId": "##EnvelopeId##", "action": "##Action##"},
    ],
)
def test_missing_envelope_is_invalid(query: dict[str, str]) -> None:
    with pytest.raises(InvalidWebhook):
        adapter.parse(request(query=query, method="GET"))


def test_secret_is_the_token_param() -> None:
    config = settings(FINTECHOS_WEBHOOK_TOKEN="ft-secret")

    assert adapter.configured_secret(config) == "ft-secret"
    assert adapter.presented_secret(request(query={**OPENED, "token": "t"}), config) == "t"
    assert adapter.presented_secret(request(headers={"token": "t"}), config) is None
    assert adapter.configured_secret(settings(FINTECHOS_WEBHOOK_TOKEN=None)) is None
    assert adapter.secret_params == {"token"}
    assert adapter.methods == ("GET", "POST")
