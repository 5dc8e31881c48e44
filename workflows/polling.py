"""When to poll a quiet contract: pure functions, so the schedule is testable without Temporal.

No event for `poll_after` -> poll; nothing new -> double the wait up to `poll_max`; a new event
resets it. Each wait is jittered over half an interval either side, so contracts created in the
same second spread their polls over the whole interval instead of polling in one burst.
"""

from datetime import datetime, timedelta
from typing import Protocol

from workflows.inputs import LifecycleConfig

JITTER = 0.5


class Uniform(Protocol):
    """What a jittered wait draws from: `workflow.random()` in the workflow, seeded in tests."""

    def uniform(self, a: float, b: float) -> float: ...


def jittered(interval: timedelta, rng: Uniform) -> timedelta:
    return interval * rng.uniform(1 - JITTER, 1 + JITTER)


def within_jitter(at: datetime, now: datetime, interval: timedelta) -> bool:
    """Whether `at` is a time a jittered wait of `interval` from `now` could have drawn."""
    return now + interval * (1 - JITTER) <= at <= now + interval * (1 + JITTER)


def backoff(current: timedelta | None, config: LifecycleConfig) -> timedelta:
    """The next wait after a poll that found nothing new."""
    if current is None:
        return config.poll_after
    return min(current * 2, config.poll_max)


def expires_at(created_at: datetime, config: LifecycleConfig) -> datetime:
    return created_at + config.contract_ttl
