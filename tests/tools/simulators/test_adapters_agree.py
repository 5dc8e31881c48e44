"""The simulators and the ingress adapters are written separately from API.md section 2;
every generated delivery must mean to the adapter what the simulator says it means."""

import pytest

from core.vendors import adapter_for
from core.vendors.base import ParsedWebhook, RawWebhook
from tools.simulators import VENDORS, Delivery, Outcome, Scenario, generate

EVERY_ENDING = dict.fromkeys(Outcome, 1.0)


def parse(delivery: Delivery) -> ParsedWebhook:
    adapter = adapter_for(delivery.vendor)
    assert adapter is not None
    raw = RawWebhook(
        method=delivery.method,
        headers={name.lower(): value for name, value in delivery.headers.items()},
        query=dict(delivery.query),
        body=delivery.body,
    )
    return adapter.parse(raw)


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_adapter_reads_what_the_simulator_meant(vendor: str) -> None:
    scenario = Scenario(contracts=40, seed=41, duplicates=0.5, outcomes=EVERY_ENDING)
    simulation = generate(scenario, [vendor])

    keys: dict[str, str] = {}
    for delivery in simulation.deliveries:
        parsed = parse(delivery)
        assert parsed.external_id == delivery.external_id
        assert parsed.status == delivery.expected_status, delivery.event
        # Retries share the adapter's dedup key; different events never do.
        assert keys.setdefault(delivery.delivery_key, parsed.dedup_key) == parsed.dedup_key
    assert len(set(keys.values())) == len(keys)
