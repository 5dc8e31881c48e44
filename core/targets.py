"""Where outbound webhooks may go: absolute http(s) URLs whose host is a public address.

Checked when a subscription is saved, and again before every attempt after DNS resolution.
The attempt then connects to the very address that was checked (the Host header and TLS
server name keep the original name), so a name that resolves to a public address for the
check and to a private one a moment later (DNS rebinding) cannot reach the internal network.
"""

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass

import httpx

MAX_URL_LENGTH = 2048
_HOSTNAME = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_-]+)*\.?$")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(ValueError):
    """The URL is malformed or points somewhere a webhook may not go (final)."""


class TargetUnresolvable(OSError):
    """DNS gave no answer; it may next time (retried at delivery, refused at creation)."""


@dataclass(frozen=True)
class Target:
    """Where to send: `url` may carry the checked IP address in place of the name."""

    url: httpx.URL
    host_header: str | None = None
    sni_hostname: str | None = None

    @property
    def extensions(self) -> dict[str, str]:
        return {"sni_hostname": self.sni_hostname} if self.sni_hostname else {}

    @property
    def headers(self) -> dict[str, str]:
        return {"Host": self.host_header} if self.host_header else {}


def parse_url(url: str) -> httpx.URL:
    """Syntax only: an absolute http or https URL with a plausible host."""
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise TargetRefused(f"not a valid URL: {error}") from error
    if parsed.scheme not in ("http", "https"):
        raise TargetRefused("the URL must be absolute and use http or https")
    host = parsed.raw_host.decode("ascii", errors="replace")
    if not host or not (_ip_literal(host) or (len(host) <= 253 and _HOSTNAME.match(host))):
        raise TargetRefused("the URL has no valid host")
    return parsed


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast; IPv6 forms that embed an IPv4 address are judged by it."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo:
            embedded = address.teredo[1]
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
    return address.is_global and not address.is_multicast


async def resolve_target(url: str, allow_private: bool) -> Target:
    """The checked target for one request; raises TargetRefused or TargetUnresolvable."""
    parsed = parse_url(url)
    if allow_private:
        return Target(parsed)
    host = parsed.raw_host.decode("ascii")
    literal = _ip_literal(host)
    addresses = [literal] if literal else await _resolve(host, parsed.port or _port(parsed))
    refused = [address for address in addresses if not is_public(address)]
    if refused:
        raise TargetRefused(f"{host} is not a public address ({refused[0]})")
    if literal:
        return Target(parsed)
    port = f":{parsed.port}" if parsed.port else ""
    return Target(
        parsed.copy_with(host=str(addresses[0])),
        host_header=f"{host}{port}",
        sni_hostname=host if parsed.scheme == "https" else None,
    )


def _port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except (socket.gaierror, UnicodeError) as error:
        raise TargetUnresolvable(f"{host} does not resolve: {error}") from error
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise TargetUnresolvable(f"{host} does not resolve")
    return list(dict.fromkeys(addresses))
