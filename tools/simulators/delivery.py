"""What a simulator produces: wire-format deliveries, grouped into contracts."""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.statuses import ContractStatus
from tools.simulators.scenario import Outcome


@dataclass(frozen=True)
class Delivery:
    """One HTTP request a vendor makes, without its credentials (the sender adds those).

    `delivery_key` is the same for every attempt of one event; `expected_status` is what the
    event alone means under the public mapping (API section 2), whether or not it will apply.
    """

    vendor: str
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    external_id: str
    event: str  # the vendor's word for it: a status, an event type, an action
    expected_status: ContractStatus | None
    delivery_key: str
    sequence: int  # position of the event in its contract's lifecycle, from 0
    attempt: int
    at: datetime  # when the vendor sends this attempt

    @property
    def contract_id(self) -> str:
        return f"{self.vendor}:{self.external_id}"

    @property
    def is_retry(self) -> bool:
        return self.attempt > 1

    def json_body(self) -> Any:
        """The body as JSON (not for FintechOS, whose body is empty)."""
        return json.loads(self.body)


@dataclass(frozen=True)
class Contract:
    """One contract's whole lifecycle as the vendor lived it, and what it ends as."""

    vendor: str
    external_id: str
    outcome: Outcome
    events: tuple[Delivery, ...]  # first attempts, in the order they happened
    # What the vendor's status API answers once every event has happened.
    final_view: Mapping[str, Any]

    @property
    def contract_id(self) -> str:
        return f"{self.vendor}:{self.external_id}"

    @property
    def final_status(self) -> ContractStatus | None:
        """The canonical status once everything is known (webhooks plus polling)."""
        return fold_statuses(event.expected_status for event in self.events)


def fold_statuses(statuses: Iterable[ContractStatus | None]) -> ContractStatus | None:
    """The public lifecycle rules: forward only, the first terminal status is final."""
    current: ContractStatus | None = None
    for status in statuses:
        if status is None or (current is not None and current.terminal):
            continue
        if current is None or status.rank > current.rank:
            current = status
    return current


JSON_HEADERS: Mapping[str, str] = {"Content-Type": "application/json"}


def require_outcome(vendor: str, outcome: Outcome, supported: frozenset[Outcome]) -> None:
    if outcome not in supported:
        names = ", ".join(sorted(supported))
        raise ValueError(f"{vendor} has no `{outcome}` ending; it supports {names}")
