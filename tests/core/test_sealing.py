"""Credentials sealed at rest: round trips, rotation, plain values from before, wrong keys."""

import pytest

from core.sealing import PREFIX, Sealer, SealError, is_secret_header, new_key

HEADERS = {"Authorization": "Bearer abc", "X-Api-Key": "k", "X-Tenant": "acme"}


def test_a_sealed_value_hides_the_text_and_opens_again() -> None:
    sealer = Sealer([new_key()])
    sealed = sealer.seal("whsec_c2VjcmV0")
    assert sealed.startswith(PREFIX)
    assert "c2VjcmV0" not in sealed
    assert sealer.open(sealed) == "whsec_c2VjcmV0"
    assert sealer.seal(sealed) == sealed  # sealing twice does not wrap it twice


def test_without_keys_values_are_stored_as_given_and_sealed_ones_refused() -> None:
    plain = Sealer([])
    assert not plain.enabled
    assert plain.seal("whsec_x") == "whsec_x"
    assert plain.open("whsec_x") == "whsec_x"
    with pytest.raises(SealError):
        plain.open(Sealer([new_key()]).seal("whsec_x"))


def test_values_stored_before_sealing_open_as_they_are() -> None:
    assert Sealer([new_key()]).open("whsec_old") == "whsec_old"


def test_a_rotated_key_opens_the_old_values_and_reseals_under_the_new() -> None:
    old, new = new_key(), new_key()
    sealed_old = Sealer([old]).seal("whsec_x")
    rotated = Sealer([new, old])
    assert rotated.open(sealed_old) == "whsec_x"
    resealed = rotated.reseal(sealed_old)
    assert Sealer([new]).open(resealed) == "whsec_x"
    with pytest.raises(SealError):
        Sealer([old]).open(resealed)
    with pytest.raises(SealError):
        Sealer([new_key()]).open(sealed_old)


def test_only_the_credentials_among_custom_headers_are_sealed() -> None:
    sealer = Sealer([new_key()])
    sealed = sealer.seal_headers(HEADERS)
    assert sealed["X-Tenant"] == "acme"
    assert sealed["Authorization"].startswith(PREFIX)
    assert sealed["X-Api-Key"].startswith(PREFIX)
    assert sealer.open_headers(sealed) == HEADERS


def test_which_header_names_carry_credentials() -> None:
    for name in ("Authorization", "cookie", "X-Api-Key", "X-Auth-Token", "X-Client-Secret"):
        assert is_secret_header(name), name
    for name in ("X-Tenant", "Accept-Language", "X-Request-Source"):
        assert not is_secret_header(name), name


def test_a_key_that_is_not_a_fernet_key_is_refused() -> None:
    with pytest.raises(ValueError, match="Fernet key"):
        Sealer(["not-a-key"])
