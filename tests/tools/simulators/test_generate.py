from collections import Counter

import pytest

from core.statuses import ContractStatus
from tools.simulators import VENDORS, Delivery, Outcome, Scenario, VendorState, generate

ALL_COMPLETED = {Outcome.COMPLETED: 1.0}


def wire(delivery: Delivery) -> tuple[object, ...]:
    return (delivery.method, delivery.path, tuple(delivery.query.items()), delivery.body)


def test_the_same_seed_gives_the_same_bytes_in_the_same_order() -> None:
    scenario = Scenario(contracts=6, seed=42, duplicates=0.3, shuffle=True, drop=0.1)

    first, second = generate(scenario), generate(scenario)

    assert [wire(d) for d in first.deliveries] == [wire(d) for d in second.deliveries]
    assert [wire(d) for d in first.dropped] == [wire(d) for d in second.dropped]
    assert first.final_statuses() == second.final_statuses()


def test_another_seed_gives_other_contracts() -> None:
    first = generate(Scenario(contracts=3, seed=1))
    second = generate(Scenario(contracts=3, seed=2))

    assert not {c.contract_id for c in first.contracts} & {c.contract_id for c in second.contracts}


def test_delivery_knobs_do_not_change_which_contracts_exist() -> None:
    plain = generate(Scenario(contracts=5, seed=7))
    noisy = generate(Scenario(contracts=5, seed=7, duplicates=0.5, shuffle=True, drop=0.2))

    assert plain.contracts == noisy.contracts


def test_contracts_are_per_vendor_with_unique_ids() -> None:
    simulation = generate(Scenario(contracts=25, seed=3))

    assert Counter(c.vendor for c in simulation.contracts) == dict.fromkeys(VENDORS, 25)
    assert len({c.contract_id for c in simulation.contracts}) == 100


def test_without_knobs_every_event_is_sent_once_in_time_order() -> None:
    simulation = generate(Scenario(contracts=4, seed=5))

    events = [e for c in simulation.contracts for e in c.events]
    assert sorted(map(wire, simulation.deliveries)) == sorted(map(wire, events))
    assert [d.at for d in simulation.deliveries] == sorted(d.at for d in simulation.deliveries)
    assert all(d.attempt == 1 for d in simulation.deliveries)
    assert simulation.dropped == ()


def test_shuffle_reorders_within_contracts_and_across_them() -> None:
    simulation = generate(Scenario(contracts=10, seed=9, shuffle=True))

    sent = simulation.deliveries
    assert [d.at for d in sent] != sorted(d.at for d in sent)
    out_of_order = [
        contract
        for contract in simulation.contracts
        if [d.sequence for d in sent if d.contract_id == contract.contract_id]
        != sorted(d.sequence for d in sent if d.contract_id == contract.contract_id)
    ]
    assert out_of_order


def test_duplicates_are_second_attempts_of_a_share_of_events() -> None:
    simulation = generate(Scenario(contracts=10, seed=11, duplicates=0.25))

    events = sum(len(c.events) for c in simulation.contracts)
    retries = [d for d in simulation.deliveries if d.is_retry]
    assert len(retries) == round(0.25 * events)
    assert all(d.attempt == 2 for d in retries)
    firsts = {(d.contract_id, d.delivery_key): d for d in simulation.deliveries if not d.is_retry}
    for retry in retries:
        first = firsts[(retry.contract_id, retry.delivery_key)]
        assert retry.at > first.at
        assert (retry.sequence, retry.expected_status) == (first.sequence, first.expected_status)


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_retry_keeps_the_vendors_dedup_identity(vendor: str) -> None:
    simulation = generate(Scenario(contracts=5, seed=13, duplicates=1.0), [vendor])

    pairs = [
        (first, retry)
        for retry in simulation.deliveries
        if retry.is_retry
        for first in simulation.deliveries
        if not first.is_retry and first.delivery_key == retry.delivery_key
    ]
    assert len(pairs) == sum(len(c.events) for c in simulation.contracts)
    for first, retry in pairs:
        if vendor == "fintechos":
            assert wire(retry) == wire(first)  # a URL has nowhere to count attempts
            continue
        before, after = first.json_body(), retry.json_body()
        if vendor == "vlens":
            assert (after["Id"], after["Attempt"]) == (before["Id"], before["Attempt"] + 1)
            assert {**after, "Attempt": 1} == before
        elif vendor == "signly":
            assert (after["eventId"], after["attempt"]) == (before["eventId"], 2)
            assert {**after, "attempt": 1} == before
        else:
            assert after["createdAt"] != before["createdAt"]
            assert {**after, "createdAt": before["createdAt"]} == before


def test_dropped_events_are_not_sent_but_the_vendor_knows_them() -> None:
    state = VendorState()
    simulation = generate(Scenario(contracts=10, seed=17, drop=0.2), state=state)

    events = sum(len(c.events) for c in simulation.contracts)
    assert len(simulation.dropped) == round(0.2 * events)
    sent = {(d.contract_id, d.sequence) for d in simulation.deliveries}
    assert not sent & {(d.contract_id, d.sequence) for d in simulation.dropped}
    for contract in simulation.contracts:
        assert state.view(contract.vendor, contract.external_id) == contract.final_view


def test_dropping_every_final_event_leaves_polling_to_find_the_ending() -> None:
    scenario = Scenario(contracts=4, seed=19, drop_final=1.0, outcomes=ALL_COMPLETED)

    simulation = generate(scenario)

    assert {(d.contract_id, d.sequence) for d in simulation.dropped} == {
        (c.contract_id, len(c.events) - 1) for c in simulation.contracts
    }
    assert set(simulation.final_statuses().values()) == {ContractStatus.COUNTERSIGNED}
    # Every vendor's last step before the ending is a signature.
    assert set(simulation.delivered_statuses().values()) == {ContractStatus.SIGNED}


# What each outcome ends as at each vendor; None: the vendor has no event for it, so the
# contract stalls (Outcome.ABANDONED) and only the TTL would end it.
ENDINGS: dict[Outcome, dict[str, ContractStatus | None]] = {
    Outcome.COMPLETED: dict.fromkeys(VENDORS, ContractStatus.COUNTERSIGNED),
    Outcome.DECLINED: {
        "vlens": ContractStatus.DECLINED,
        "documenso": ContractStatus.DECLINED,
        "fintechos": ContractStatus.DECLINED,
        "signly": None,
    },
    Outcome.CANCELLED: {
        "vlens": ContractStatus.CANCELLED,
        "documenso": ContractStatus.CANCELLED,
        "fintechos": None,
        "signly": ContractStatus.CANCELLED,
    },
    Outcome.EXPIRED: {
        "vlens": ContractStatus.EXPIRED,
        "documenso": None,
        "fintechos": ContractStatus.EXPIRED,
        "signly": ContractStatus.EXPIRED,
    },
    Outcome.FAILED: {
        "vlens": None,
        "documenso": None,
        "fintechos": None,
        "signly": ContractStatus.FAILED,
    },
}


@pytest.mark.parametrize("outcome", list(ENDINGS))
def test_the_expected_final_status_follows_the_outcome(outcome: Outcome) -> None:
    simulation = generate(Scenario(contracts=8, seed=23, outcomes={outcome: 1.0}))

    for contract in simulation.contracts:
        expected = ENDINGS[outcome][contract.vendor]
        if expected is None:
            assert contract.outcome is Outcome.ABANDONED
            assert contract.final_status is not None
            assert not contract.final_status.terminal
        else:
            assert contract.outcome is outcome
            assert contract.final_status is expected
            assert contract.events[-1].expected_status is expected
        # Without losses, the webhooks alone get there.
        assert simulation.delivered_statuses()[contract.contract_id] is contract.final_status


def test_the_outcome_mix_is_drawn_by_weight() -> None:
    mix = {Outcome.COMPLETED: 3.0, Outcome.CANCELLED: 1.0}

    simulation = generate(Scenario(contracts=200, seed=29, outcomes=mix), ["vlens"])

    counts = Counter(c.outcome for c in simulation.contracts)
    assert set(counts) == {Outcome.COMPLETED, Outcome.CANCELLED}
    assert 110 < counts[Outcome.COMPLETED] < 190


def test_unknown_vendor_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown vendor"):
        generate(Scenario(contracts=1), ["docusign"])


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"contracts": -1}, "contracts"),
        ({"duplicates": 1.5}, "duplicates"),
        ({"drop": -0.1}, "drop"),
        ({"drop_final": 2.0}, "drop_final"),
        ({"outcomes": {}}, "outcomes"),
        ({"outcomes": {Outcome.COMPLETED: 0.0}}, "outcomes"),
        ({"fintechos_method": "PUT"}, "fintechos_method"),
    ],
)
def test_scenario_refuses_nonsense(changes: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        Scenario(**changes)  # type: ignore[arg-type]
