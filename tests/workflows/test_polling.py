"""The polling schedule: backoff to the ceiling, and jitter that spreads a burst of contracts."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from workflows.inputs import LifecycleConfig
from workflows.polling import backoff, expires_at, jittered

CONFIG = LifecycleConfig(poll_after=timedelta(minutes=15), poll_max=timedelta(hours=6))


def test_backoff_doubles_up_to_the_ceiling() -> None:
    waits = []
    current = None
    for _ in range(8):
        current = backoff(current, CONFIG)
        waits.append(current)
    assert waits[:5] == [timedelta(minutes=m) for m in (15, 30, 60, 120, 240)]
    assert waits[5:] == [timedelta(hours=6)] * 3


def test_expiry_is_ttl_after_creation() -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    assert expires_at(created, LifecycleConfig(contract_ttl=timedelta(days=30))) == datetime(
        2026, 1, 31, tzinfo=UTC
    )


def test_a_thousand_contracts_started_together_spread_their_polls() -> None:
    """Each workflow has its own seeded random; 1,000 of them, first poll after 15 minutes."""
    interval = CONFIG.poll_after
    polls = [jittered(interval, random.Random(seed)) for seed in range(1000)]
    assert min(polls) >= interval * 0.5
    assert max(polls) <= interval * 1.5
    # one-minute buckets across the 15-minute window the polls fall in
    histogram = Counter(int(p.total_seconds() // 60) for p in polls)
    buckets = [histogram.get(minute, 0) for minute in range(7, 23)]
    mean = 1000 / 15
    print("first polls per minute (minute 7..22):", buckets)
    assert max(buckets) <= 2 * mean  # no burst above twice the mean
    assert sum(1 for count in buckets if count > 0) >= 15
