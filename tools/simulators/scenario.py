"""The knobs of a simulation, shared by every vendor."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

VENDORS = ("vlens", "documenso", "fintechos", "signly")


class Outcome(StrEnum):
    """How a contract's lifecycle ends at the vendor."""

    COMPLETED = "completed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    FAILED = "failed"
    # No terminal event ever comes: the contract stops part-way, and only the TTL ends it.
    # Also what an outcome becomes at a vendor that has no event for it.
    ABANDONED = "abandoned"


DEFAULT_OUTCOMES: Mapping[Outcome, float] = {
    Outcome.COMPLETED: 0.7,
    Outcome.DECLINED: 0.1,
    Outcome.CANCELLED: 0.1,
    Outcome.EXPIRED: 0.1,
}
# A fixed default keeps every byte of a run reproducible from the seed alone.
DEFAULT_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SIGNLY_TENANT_ID = "58bff266-cdad-46db-b373-1b06476146cd"
FINTECHOS_CUSTOM_QUERY: Mapping[str, str] = {"test": "12345", "asdf": "abc"}


@dataclass(frozen=True)
class Scenario:
    """What to generate. Fractions are between 0 and 1; `contracts` is per vendor."""

    contracts: int = 10
    seed: int = 1
    duplicates: float = 0.0  # share of delivered events that the vendor sends a second time
    shuffle: bool = False  # deliver in random order, within and across contracts
    drop: float = 0.0  # share of events whose webhook is lost (the vendor still knows)
    drop_final: float = 0.0  # share of contracts whose last event is lost: polling must find it
    outcomes: Mapping[Outcome, float] = field(default_factory=lambda: dict(DEFAULT_OUTCOMES))
    start: datetime = DEFAULT_START
    # Documenso echoes the endpoint it called in every body.
    webhook_base_url: str = "http://127.0.0.1:8000"
    fintechos_method: str = "GET"
    signly_tenant_id: str = SIGNLY_TENANT_ID

    def __post_init__(self) -> None:
        if self.contracts < 0:
            raise ValueError("contracts must not be negative")
        for name in ("duplicates", "drop", "drop_final"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        if not self.outcomes or any(weight < 0 for weight in self.outcomes.values()):
            raise ValueError("outcomes needs at least one outcome and no negative weight")
        if sum(self.outcomes.values()) <= 0:
            raise ValueError("outcomes needs a positive weight")
        if self.fintechos_method not in ("GET", "POST"):
            raise ValueError("fintechos_method is GET or POST")
        if self.start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
