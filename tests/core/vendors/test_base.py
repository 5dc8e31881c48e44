"""The JSON loader every JSON vendor shares: whatever the body, a parsed object or
InvalidWebhook (a 400 at the ingress), never another exception (a 500)."""

import pytest

from core.vendors.base import InvalidWebhook, load_json_object


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"Id": ' + b"9" * 5000 + b"}", "not usable JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"Data":' * 100_000 + b"1" + b"}" * 100_000, "nested too deeply"),
        (b'{"Id": "\\ud800"}', "not valid Unicode"),
        (b'{"Data": {"Id": "x\\udfffy"}}', "not valid Unicode"),
        (b'{"Id": "\\uD800"}', "not valid Unicode"),
        (b'{"\\udc00": 1}', "not valid Unicode"),
    ],
    ids=[
        "integer-over-4300-digits",
        "deep-array",
        "deep-object",
        "lone-high",
        "lone-low",
        "upper-case-escape",
        "in-a-key",
    ],
)
def test_bodies_python_cannot_hold_are_invalid_webhooks(body: bytes, detail: str) -> None:
    """Found by the fault suite's fuzz stage: each of these used to escape as a 500."""
    with pytest.raises(InvalidWebhook, match=detail):
        load_json_object(body)


def test_a_surrogate_pair_is_one_character_and_fine() -> None:
    assert load_json_object(b'{"name": "\\ud83d\\ude42"}') == {"name": "\U0001f642"}


def test_nesting_a_vendor_could_send_is_fine() -> None:
    body = b'{"a":' * 50 + b"1" + b"}" * 50
    assert "a" in load_json_object(body)
