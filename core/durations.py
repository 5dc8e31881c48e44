"""Durations as operators write them: `30s`, `15m`, `6h`, `30d`, or ISO-8601 (`PT15M`)."""

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator

_SHORT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_UNITS = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}


def parse_duration(value: Any) -> Any:
    """Turn `15m` into a timedelta; anything else is left for pydantic (ISO-8601, seconds)."""
    if isinstance(value, str):
        match = _SHORT.match(value)
        if match:
            return float(match.group(1)) * _UNITS[match.group(2)]
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
