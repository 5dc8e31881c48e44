"""The contract lifecycle as a pure state machine: no Temporal, no I/O, no clock.

Rules (public contract, section 1): status only moves forward by rank; a terminal status is
final; a dedup key is applied once; an unknown event is recorded, never applied. Every event
that is not a duplicate gets a timeline entry.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, PrivateAttr

from core.events import ContractEvent, ContractView, Party, PartyUpdate, TimelineEntry
from core.statuses import ContractStatus

TIMELINE_KEEP = 1000
DEDUP_KEYS_KEEP = 50_000
COMPLETED_PARTY_STATES = frozenset({"COMPLETED"})


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    STALE = "stale"
    AFTER_TERMINAL = "after_terminal"
    UNKNOWN = "unknown"
    PARTIES_ONLY = "parties_only"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    previous: ContractStatus | None
    status: ContractStatus | None

    @property
    def status_changed(self) -> bool:
        return self.outcome is Outcome.APPLIED and self.previous != self.status

    @property
    def recorded(self) -> bool:
        return self.outcome is not Outcome.DUPLICATE


class ContractState(BaseModel):
    """Everything the workflow keeps about one contract; carried across continue-as-new."""

    contract_id: str
    vendor: str
    external_id: str
    status: ContractStatus | None = None
    vendor_status: str | None = None
    parties: list[Party] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None
    last_event_at: datetime | None = None
    next_poll_at: datetime | None = None
    # when this service saw the terminal status (completed_at is the vendor's time)
    finalized_at: datetime | None = None
    timeline: list[TimelineEntry] = Field(default_factory=list)
    events_recorded: int = 0
    seen_keys: list[str] = Field(default_factory=list)
    _seen: set[str] | None = PrivateAttr(default=None)

    @property
    def terminal(self) -> bool:
        return self.status is not None and self.status.terminal

    def has_seen(self, key: str) -> bool:
        if self._seen is None:
            self._seen = set(self.seen_keys)
        return key in self._seen

    def remember(self, key: str) -> None:
        self.has_seen(key)
        assert self._seen is not None
        self._seen.add(key)
        self.seen_keys.append(key)
        if len(self.seen_keys) > DEDUP_KEYS_KEEP:
            dropped = self.seen_keys[: len(self.seen_keys) - DEDUP_KEYS_KEEP]
            del self.seen_keys[: len(dropped)]
            self._seen.difference_update(dropped)

    def record(self, entry: TimelineEntry) -> None:
        self.timeline.append(entry)
        self.events_recorded += 1
        if len(self.timeline) > TIMELINE_KEEP:
            del self.timeline[: len(self.timeline) - TIMELINE_KEEP]

    def view(self, workflow_id: str, temporal_ui_url: str | None = None) -> ContractView:
        return ContractView(
            contract_id=self.contract_id,
            vendor=self.vendor,
            external_id=self.external_id,
            status=self.status.value if self.status else None,
            vendor_status=self.vendor_status,
            parties=self.parties,
            created_at=self.created_at,
            updated_at=self.updated_at,
            completed_at=self.completed_at,
            last_event_at=self.last_event_at,
            next_poll_at=self.next_poll_at,
            timeline=self.timeline,
            workflow_id=workflow_id,
            temporal_ui_url=temporal_ui_url,
        )


def apply(state: ContractState, event: ContractEvent, now: datetime) -> Result:
    """Fold one event into the state (in place) and say what happened."""
    previous = state.status
    if state.has_seen(event.dedup_key):
        return Result(Outcome.DUPLICATE, previous, previous)
    state.remember(event.dedup_key)
    if state.created_at is None:
        state.created_at = now
    at = event.occurred_at or event.received_at
    state.last_event_at = max(state.last_event_at or at, at)

    target = ContractStatus.parse(event.status)
    # Party news counts whenever it arrives: a party's state only moves forward.
    _merge_parties(state, event.parties, at)
    if not state.terminal and target is ContractStatus.COUNTERSIGNED and event.requires_all_parties:
        target = _all_parties_target(state)
    outcome = _judge(state, event, target)
    if outcome is Outcome.APPLIED and target is not None:
        state.status = target
        state.vendor_status = event.vendor_status or event.vendor_event
        if target.terminal:
            state.completed_at = event.occurred_at or now
            state.finalized_at = now
    if outcome in (Outcome.APPLIED, Outcome.PARTIES_ONLY):
        state.updated_at = now

    state.record(
        TimelineEntry(
            event_id=event.event_id,
            source=event.source,
            vendor_event=event.vendor_event,
            status=event.status,
            applied=outcome is Outcome.APPLIED,
            occurred_at=event.occurred_at,
            received_at=event.received_at,
            note=None if outcome is Outcome.APPLIED else outcome.value,
        )
    )
    return Result(outcome, previous, state.status)


def record_note(
    state: ContractState, event_id: str, note: str, now: datetime, source: str = "timer"
) -> None:
    """A timeline line that is not a vendor event (a reconcile, a skipped step)."""
    state.record(
        TimelineEntry(
            event_id=event_id,
            source="manual" if source == "manual" else "timer",
            applied=False,
            received_at=now,
            note=note,
        )
    )


def _judge(state: ContractState, event: ContractEvent, target: ContractStatus | None) -> Outcome:
    if state.terminal:
        return Outcome.AFTER_TERMINAL
    if target is None:
        return Outcome.PARTIES_ONLY if event.parties and event.status is None else Outcome.UNKNOWN
    if state.status is not None and target.rank <= state.status.rank:
        return Outcome.STALE
    return Outcome.APPLIED


def _all_parties_target(state: ContractState) -> ContractStatus:
    done = all(party.state in COMPLETED_PARTY_STATES for party in state.parties)
    return ContractStatus.COUNTERSIGNED if done and state.parties else ContractStatus.SIGNED


PARTY_RANKS = {
    "PENDING": 0,
    "CREATED": 5,
    "SENT": 10,
    "STARTED": 20,
    "VIEWED": 30,
    "DELEGATED": 40,
    "SIGNED": 50,
    "COMPLETED": 60,
    "DECLINED": 70,
    "FAILED": 70,
    "CANCELLED": 70,
    "EXPIRED": 70,
}
IDENTITY_RANK = 15  # OTP_*, BIOMETRIC_*, LIVENESS_*: after creation, before the party starts


def party_rank(state: str) -> int:
    if state in PARTY_RANKS:
        return PARTY_RANKS[state]
    return IDENTITY_RANK if "_" in state else 0


def _merge_parties(state: ContractState, updates: list[PartyUpdate], at: datetime) -> None:
    """A party's state only moves forward (vendors' own flows do), so any delivery order ends
    in the same parties; time, then the name, only break ties between equal ranks."""
    by_id = {party.party_id: party for party in state.parties}
    for update in updates:
        known = by_id.get(update.party_id)
        if known is None:
            party = Party(**update.model_dump(), updated_at=at)
            state.parties.append(party)
            by_id[party.party_id] = party
            continue
        known.email = known.email or update.email
        known.name = known.name or update.name
        known.role = known.role or update.role
        new_key = (party_rank(update.state), at, update.state)
        known_key = (party_rank(known.state), known.updated_at or at, known.state)
        if new_key > known_key:
            known.state = update.state
            known.updated_at = at
