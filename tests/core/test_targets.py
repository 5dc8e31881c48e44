"""Which URLs an outbound webhook may target, without a network: literals and loopback names."""

import ipaddress

import pytest

from core.targets import TargetRefused, TargetUnresolvable, is_public, parse_url, resolve_target


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),  # noqa: S104  (an address to refuse, not to bind)
        ("224.0.0.1", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:93.184.215.14", True),
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
    ],
)
def test_only_globally_routable_unicast_is_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    "url",
    ["", "hooks.example.com/x", "mailto:a@b.c", "ftp://h/x", "http://", "http://a b/", "h" * 3000],
)
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused):
        parse_url(url)


async def test_a_public_literal_is_sent_to_as_is() -> None:
    target = await resolve_target("https://93.184.215.14:8443/in?x=1", allow_private=False)
    assert str(target.url) == "https://93.184.215.14:8443/in?x=1"
    assert target.headers == {}
    assert target.extensions == {}


@pytest.mark.parametrize(
    "url", ["http://localhost:9/x", "http://127.0.0.1/x", "http://[::1]/x", "http://10.0.0.1/"]
)
async def test_private_targets_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(TargetRefused):
        await resolve_target(url, allow_private=False)
    assert str((await resolve_target(url, allow_private=True)).url) == url


async def test_a_name_that_does_not_resolve_may_resolve_later() -> None:
    with pytest.raises(TargetUnresolvable):
        await resolve_target("https://no-such-host.invalid/x", allow_private=False)
