"""The pure parts of an outbound attempt: ids, secrets, signatures, verdicts, pauses."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from core.outbound import (
    Endpoint,
    Message,
    Verdict,
    message_id_for,
    new_secret,
    parse_retry_after,
    render_body,
    retry_delay,
    signed_headers,
    subscribes_to,
    verdict_for,
)


def test_the_webhook_id_is_stable_per_event_and_subscription() -> None:
    assert message_id_for("e1", "wh_a") == message_id_for("e1", "wh_a")
    assert message_id_for("e1", "wh_a") != message_id_for("e1", "wh_b")
    assert message_id_for("e1", "wh_a") != message_id_for("e2", "wh_a")
    assert message_id_for("e1", "wh_a").startswith("msg_")


def test_a_signed_request_verifies_with_the_secret_and_only_with_it() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert secret != new_secret()
    body = render_body("contract.signed", datetime(2026, 3, 1, tzinfo=UTC), {"status": "SIGNED"})
    headers = signed_headers(
        Endpoint("https://h/x", secret, {"X-A": "1"}, 1000), Message("m", body)
    )
    assert headers["X-A"] == "1"
    assert Webhook(secret).verify(body, headers) == {
        "type": "contract.signed",
        "timestamp": "2026-03-01T00:00:00Z",
        "data": {"status": "SIGNED"},
    }
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(new_secret()).verify(body, headers)


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.DELIVERED),
        (204, Verdict.DELIVERED),
        (301, Verdict.FINAL),
        (400, Verdict.FINAL),
        (404, Verdict.FINAL),
        (408, Verdict.RETRY),
        (410, Verdict.GONE),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (503, Verdict.RETRY),
    ],
)
def test_verdicts(status: int, verdict: Verdict) -> None:
    assert verdict_for(status) is verdict


def test_retry_after_is_read_as_seconds_or_a_date_and_bounded() -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert parse_retry_after("30", now) == timedelta(seconds=30)
    assert parse_retry_after("Sun, 01 Mar 2026 12:02:00 GMT", now) == timedelta(minutes=2)
    assert parse_retry_after("0", now) == timedelta(seconds=1)
    assert parse_retry_after("99999999", now) == timedelta(hours=6)
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_pauses_double_from_5_seconds_to_an_hour_with_jitter() -> None:
    rng = random.Random(7)
    for attempt, nominal in [(1, 5), (2, 10), (3, 20), (10, 2560), (11, 3600), (150, 3600)]:
        pauses = [retry_delay(attempt, rng).total_seconds() for _ in range(200)]
        assert nominal * 0.8 <= min(pauses) < max(pauses) <= nominal * 1.2
        assert max(pauses) - min(pauses) > nominal * 0.2  # really spread, not one value


def test_star_means_every_event() -> None:
    assert subscribes_to(["*"], "contract.expired")
    assert subscribes_to(["contract.signed"], "contract.signed")
    assert not subscribes_to(["contract.signed"], "contract.countersigned")
