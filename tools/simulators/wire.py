"""Identifiers, timestamps and JSON the way the vendors write them, drawn from a seeded RNG."""

import json
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def new_ulid(rng: random.Random) -> str:
    return "".join(rng.choice(_CROCKFORD) for _ in range(26))


def new_token(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(_ALPHANUMERIC) for _ in range(length))


def later(rng: random.Random, at: datetime, low: float, high: float) -> datetime:
    """A moment `low` to `high` seconds after `at`."""
    return at + timedelta(seconds=rng.uniform(low, high))


def dotnet_time(at: datetime, tick: int) -> str:
    """.NET's round-trip format: seven fractional digits, the last one a 100 ns tick."""
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond:06d}{tick % 10}Z"


def js_time(at: datetime) -> str:
    """JavaScript's `toISOString()`: milliseconds."""
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond // 1000:03d}Z"


def seconds_time(at: datetime) -> str:
    return f"{at:%Y-%m-%dT%H:%M:%S}Z"


def encode(value: Any) -> bytes:
    """Compact JSON, as both .NET and Node serialise it on the wire."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
