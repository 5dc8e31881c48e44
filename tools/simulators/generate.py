"""Turn a scenario into contracts and the stream of deliveries a test or benchmark sends."""

import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.statuses import ContractStatus
from tools.simulators import documenso, fintechos, signly, vlens
from tools.simulators.delivery import Contract, Delivery, fold_statuses
from tools.simulators.scenario import VENDORS, Outcome, Scenario
from tools.simulators.state import VendorState
from tools.simulators.wire import later


class VendorSimulator(Protocol):
    """What each vendor module provides."""

    VENDOR: str
    PATH: str
    OUTCOMES: frozenset[Outcome]

    def new_id(self, rng: random.Random) -> str: ...

    def lifecycle(
        self,
        external_id: str,
        outcome: Outcome,
        rng: random.Random,
        start: datetime,
        scenario: Scenario,
    ) -> Contract: ...

    def retry(self, delivery: Delivery, attempt: int, at: datetime) -> Delivery: ...


SIMULATORS: dict[str, VendorSimulator] = {
    "vlens": vlens,
    "documenso": documenso,
    "fintechos": fintechos,
    "signly": signly,
}


@dataclass(frozen=True)
class Simulation:
    scenario: Scenario
    contracts: tuple[Contract, ...]
    deliveries: tuple[Delivery, ...]  # what reaches the target, in sending order
    dropped: tuple[Delivery, ...]  # events whose webhook never arrives

    def contract(self, contract_id: str) -> Contract:
        for contract in self.contracts:
            if contract.contract_id == contract_id:
                return contract
        raise KeyError(contract_id)

    def final_statuses(self) -> dict[str, ContractStatus | None]:
        """What each contract must end as once polling has caught up with the vendor."""
        return {contract.contract_id: contract.final_status for contract in self.contracts}

    def delivered_statuses(self) -> dict[str, ContractStatus | None]:
        """What each contract ends as from the delivered webhooks alone (in any order)."""
        seen: dict[str, list[Delivery]] = defaultdict(list)
        for delivery in self.deliveries:
            seen[delivery.contract_id].append(delivery)
        return {
            contract.contract_id: fold_statuses(
                delivery.expected_status
                for delivery in sorted(seen[contract.contract_id], key=_in_lifecycle_order)
            )
            for contract in self.contracts
        }

    def for_vendor(self, vendor: str) -> "Simulation":
        return Simulation(
            self.scenario,
            tuple(c for c in self.contracts if c.vendor == vendor),
            tuple(d for d in self.deliveries if d.vendor == vendor),
            tuple(d for d in self.dropped if d.vendor == vendor),
        )


def generate(
    scenario: Scenario, vendors: Iterable[str] = VENDORS, state: VendorState | None = None
) -> Simulation:
    """Contracts for each vendor, then losses, retries and order applied to their events.

    Every event has happened at the vendor by the time this returns, so `state` (what the
    vendors' status APIs answer) gets each contract's final truth, lost webhooks included.
    """
    chosen = list(dict.fromkeys(vendors))
    unknown = [vendor for vendor in chosen if vendor not in SIMULATORS]
    if unknown:
        raise ValueError(f"unknown vendor {unknown[0]!r}; known: {', '.join(VENDORS)}")
    contracts = [c for vendor in chosen for c in _contracts(SIMULATORS[vendor], scenario)]
    if state is not None:
        for contract in contracts:
            state.record(contract)
    # One RNG per concern, so adding duplicates does not change which contracts exist.
    rng = random.Random(f"{scenario.seed}:deliveries")
    events = [event for contract in contracts for event in contract.events]
    lost = _lost(rng, scenario, contracts, events)
    delivered = [event for event in events if _identity(event) not in lost]
    repeated = rng.sample(delivered, round(scenario.duplicates * len(delivered)))
    retries = [
        SIMULATORS[event.vendor].retry(event, 2, later(rng, event.at, 5, 300)) for event in repeated
    ]
    sending = delivered + retries
    if scenario.shuffle:
        rng.shuffle(sending)
    else:
        sending.sort(key=lambda d: (d.at, d.vendor, d.external_id, d.sequence, d.attempt))
    dropped = tuple(event for event in events if _identity(event) in lost)
    return Simulation(scenario, tuple(contracts), tuple(sending), dropped)


def _contracts(simulator: VendorSimulator, scenario: Scenario) -> Iterator[Contract]:
    rng = random.Random(f"{scenario.seed}:{simulator.VENDOR}")
    outcomes = list(scenario.outcomes)
    weights = [scenario.outcomes[outcome] for outcome in outcomes]
    used: set[str] = set()
    at = scenario.start
    for _ in range(scenario.contracts):
        external_id = simulator.new_id(rng)
        while external_id in used:
            external_id = simulator.new_id(rng)
        used.add(external_id)
        outcome = rng.choices(outcomes, weights)[0]
        if outcome not in simulator.OUTCOMES:
            outcome = Outcome.ABANDONED  # the vendor has no event for it: the contract stalls
        at = later(rng, at, 0.1, 3)
        yield simulator.lifecycle(external_id, outcome, rng, at, scenario)


def _identity(event: Delivery) -> tuple[str, int]:
    return event.contract_id, event.sequence


def _in_lifecycle_order(delivery: Delivery) -> tuple[int, int]:
    return delivery.sequence, delivery.attempt


def _lost(
    rng: random.Random, scenario: Scenario, contracts: list[Contract], events: list[Delivery]
) -> set[tuple[str, int]]:
    lost = {_identity(event) for event in rng.sample(events, round(scenario.drop * len(events)))}
    for contract in rng.sample(contracts, round(scenario.drop_final * len(contracts))):
        lost.add(_identity(contract.events[-1]))
    return lost
