"""Webhook deliveries as raw HTTP/1.1 requests, and the file the load process reads them from."""

import struct
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, urlencode

from tools.simulators import Delivery, Secrets

_PREFIX = struct.Struct(">I")


def render(delivery: Delivery, secrets: Secrets, host: str) -> bytes:
    """The request a vendor would send, credentials included, byte for byte."""
    query, headers = secrets.credentials(delivery)
    target = delivery.path + (f"?{urlencode(query)}" if query else "")
    body = delivery.body if delivery.method != "GET" else b""
    lines = [f"{delivery.method} {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def render_get(path: str, host: str, api_key: str) -> bytes:
    head = f"GET {quote(path)} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {api_key}\r\n\r\n"
    return head.encode("latin-1")


def write_requests(path: Path, requests: Iterable[bytes]) -> int:
    """Length-prefixed records: no parsing cost in the load process, any bytes allowed."""
    count = 0
    with path.open("wb") as out:
        for raw in requests:
            out.write(_PREFIX.pack(len(raw)))
            out.write(raw)
            count += 1
    return count


def read_requests(path: Path) -> list[bytes]:
    data = path.read_bytes()
    requests: list[bytes] = []
    offset = 0
    while offset < len(data):
        (length,) = _PREFIX.unpack_from(data, offset)
        offset += _PREFIX.size
        requests.append(data[offset : offset + length])
        offset += length
    return requests
