"""What the benchmark sends: simulated vendor webhooks, rendered for the load process."""

from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlencode

from core.statuses import ContractStatus
from tools.bench.wire import render, write_requests
from tools.simulators import Delivery, Outcome, Scenario, Secrets, Simulation, generate
from tools.stack import SECRETS

BENCH_SECRETS = Secrets(
    vlens=SECRETS["VLENS_WEBHOOK_TOKEN"],
    documenso=SECRETS["DOCUMENSO_WEBHOOK_SECRET"],
    fintechos=SECRETS["FINTECHOS_WEBHOOK_TOKEN"],
    signly=SECRETS["SIGNLY_WEBHOOK_TOKEN"],
)


def simulation(contracts_per_vendor: int, seed: int) -> Simulation:
    """Every vendor, lifecycles in the order they happen, no duplicates: each delivery is a
    new event that the ingress stores and relays (a duplicate would take the cheaper path)."""
    return generate(Scenario(contracts=contracts_per_vendor, seed=seed))


def open_contracts(count: int, seed: int) -> Simulation:
    """`count` contracts that stall after their first event and never finish: the vendor's
    status API then answers exactly what the webhook said, so every poll finds no change."""
    chosen: list[Delivery] = []
    contracts = []
    attempt = 0
    while len(chosen) < count:
        batch = generate(
            Scenario(contracts=count, seed=seed + attempt, outcomes={Outcome.ABANDONED: 1})
        )
        for contract in batch.contracts:
            if len(contract.events) == 1 and len(chosen) < count:
                chosen.append(contract.events[0])
                contracts.append(contract)
        attempt += 1
    return Simulation(batch.scenario, tuple(contracts), tuple(chosen), ())


def write_file(path: Path, deliveries: Iterable[Delivery], port: int) -> Path:
    write_requests(path, (render(d, BENCH_SECRETS, f"127.0.0.1:{port}") for d in deliveries))
    return path


def status_changes(deliveries: Sequence[Delivery]) -> list[bool]:
    """For each delivery sent in this order, whether it moves its contract's status."""
    current: dict[str, ContractStatus | None] = {}
    changes = []
    for delivery in deliveries:
        before = current.get(delivery.contract_id)
        status = delivery.expected_status
        moves = status is not None and (
            before is None or (not before.terminal and status.rank > before.rank)
        )
        if moves:
            current[delivery.contract_id] = status
        changes.append(moves)
    return changes


def payload(delivery: Delivery) -> str:
    """The webhook's body (FintechOS: its query string), as big as what the relay signals."""
    return delivery.body.decode() if delivery.body else urlencode(dict(delivery.query))
