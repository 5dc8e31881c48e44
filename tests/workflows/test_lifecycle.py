"""The pure lifecycle: property tests over any order and duplication of a contract's events."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from core.events import ContractEvent, PartyUpdate
from core.statuses import ContractStatus
from tests.support import make_event
from workflows.lifecycle import ContractState, Outcome, apply

NON_TERMINAL = [status for status in ContractStatus if not status.terminal]
TERMINAL = [status for status in ContractStatus if status.terminal]
BASE = datetime(2026, 3, 1, tzinfo=UTC)
NOW = BASE + timedelta(days=1)


def new_state() -> ContractState:
    return ContractState(contract_id="vlens:c1", vendor="vlens", external_id="c1")


@st.composite
def lifecycles(draw: st.DrawFn) -> list[ContractEvent]:
    """An ordered, realistic lifecycle: rising statuses, at most one terminal at the end, with
    unknown vendor events and party-only milestones in between."""
    steps = sorted(draw(st.sets(st.sampled_from(NON_TERMINAL))), key=lambda s: s.rank)
    names: list[str | None] = [status.value for status in steps]
    for _ in range(draw(st.integers(0, 3))):
        names.insert(draw(st.integers(0, len(names))), draw(st.sampled_from(["BOGUS", None])))
    if draw(st.booleans()):
        names.append(draw(st.sampled_from(TERMINAL)).value)  # nothing happens after the end
    events = []
    for index, name in enumerate(names):
        parties = [PartyUpdate(party_id="p1", state=f"step-{index}")] if name is None else []
        events.append(
            make_event(
                "c1",
                name,
                key=f"key-{index}",
                at=BASE + timedelta(minutes=index),
                vendor_event=name or "IDENTITY_MILESTONE",
                parties=parties,
            )
        )
    return events


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[ContractEvent], list[ContractEvent]]:
    """The ordered events, and a shuffled delivery of them with any number of duplicates."""
    ordered = draw(lifecycles())
    extra = draw(st.lists(st.sampled_from(ordered), max_size=10)) if ordered else []
    delivered = draw(st.permutations(ordered + extra))
    return ordered, delivered


def run(events: list[ContractEvent]) -> tuple[ContractState, list[int]]:
    state = new_state()
    ranks = []
    for event in events:
        apply(state, event, NOW)
        ranks.append(state.status.rank if state.status else 0)
    return state, ranks


@settings(max_examples=300, deadline=None)
@given(deliveries())
def test_any_order_and_duplication_ends_in_the_ordered_state(
    case: tuple[list[ContractEvent], list[ContractEvent]],
) -> None:
    ordered, delivered = case
    expected, _ = run(ordered)
    actual, _ = run(delivered)
    assert actual.status == expected.status
    assert actual.completed_at == expected.completed_at
    assert sorted(e.event_id for e in actual.timeline) == sorted(e.event_id for e in ordered)
    assert actual.parties == expected.parties


@settings(max_examples=300, deadline=None)
@given(deliveries())
def test_rank_never_decreases_and_terminal_never_changes(
    case: tuple[list[ContractEvent], list[ContractEvent]],
) -> None:
    _, delivered = case
    state = new_state()
    previous_rank, terminal_status = 0, None
    for event in delivered:
        apply(state, event, NOW)
        rank = state.status.rank if state.status else 0
        assert rank >= previous_rank
        if terminal_status is not None:
            assert state.status == terminal_status
        elif state.terminal:
            terminal_status = state.status
        previous_rank = rank


@given(lifecycles())
def test_in_order_every_known_status_is_applied(ordered: list[ContractEvent]) -> None:
    state, _ = run(ordered)
    for entry in state.timeline:
        known = ContractStatus.parse(entry.status) is not None
        assert entry.applied == known


def test_outcomes_are_named() -> None:
    state = new_state()
    signed = make_event("c1", "SIGNED", key="a", at=BASE)
    assert apply(state, signed, NOW).outcome is Outcome.APPLIED
    assert apply(state, signed, NOW).outcome is Outcome.DUPLICATE
    assert apply(state, make_event("c1", "VIEWED", key="b", at=BASE), NOW).outcome is Outcome.STALE
    assert apply(state, make_event("c1", "NEW_THING", key="c"), NOW).outcome is Outcome.UNKNOWN
    assert apply(state, make_event("c1", "EXPIRED", key="d"), NOW).outcome is Outcome.APPLIED
    late = apply(state, make_event("c1", "COUNTERSIGNED", key="e"), NOW)
    assert late.outcome is Outcome.AFTER_TERMINAL
    assert state.status is ContractStatus.EXPIRED
    assert [entry.applied for entry in state.timeline] == [True, False, False, True, False]


def test_completion_waits_for_every_known_party() -> None:
    state = new_state()

    def party_event(key: str, party: str, status: str | None, party_state: str) -> ContractEvent:
        return make_event(
            "c1",
            status,
            key=key,
            at=BASE,
            parties=[PartyUpdate(party_id=party, state=party_state)],
            requires_all_parties=status == "COUNTERSIGNED",
        )

    apply(state, party_event("1", "alice", "CREATED", "CREATED"), NOW)
    apply(state, party_event("2", "bob", "CREATED", "CREATED"), NOW)
    assert apply(state, party_event("3", "alice", "COUNTERSIGNED", "COMPLETED"), NOW).status == (
        ContractStatus.SIGNED
    )
    assert apply(state, party_event("4", "bob", "COUNTERSIGNED", "COMPLETED"), NOW).status == (
        ContractStatus.COUNTERSIGNED
    )
    assert {party.party_id: party.state for party in state.parties} == {
        "alice": "COMPLETED",
        "bob": "COMPLETED",
    }


def test_an_older_event_does_not_overwrite_a_newer_party_state() -> None:
    state = new_state()
    newer = make_event(
        "c1",
        "SIGNED",
        key="n",
        at=BASE + timedelta(hours=1),
        parties=[PartyUpdate(party_id="p", state="SIGNED")],
    )
    older = make_event(
        "c1", "VIEWED", key="o", at=BASE, parties=[PartyUpdate(party_id="p", state="VIEWED")]
    )
    apply(state, newer, NOW)
    apply(state, older, NOW)
    assert state.parties[0].state == "SIGNED"
