"""The canonical lifecycle: statuses and their ranks (public contract, section 1)."""

from enum import StrEnum


class ContractStatus(StrEnum):
    CREATED = "CREATED"
    SENT = "SENT"
    VIEWED = "VIEWED"
    PENDING_APPROVAL = "PENDING_APPROVAL"
    APPROVED = "APPROVED"
    SIGNED = "SIGNED"
    COUNTERSIGNED = "COUNTERSIGNED"
    DECLINED = "DECLINED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    FAILED = "FAILED"

    @property
    def rank(self) -> int:
        return RANKS[self]

    @property
    def terminal(self) -> bool:
        return RANKS[self] >= TERMINAL_RANK

    @property
    def event_type(self) -> str:
        return f"contract.{self.value.lower()}"

    @classmethod
    def parse(cls, value: str | None) -> "ContractStatus | None":
        try:
            return cls(value) if value is not None else None
        except ValueError:
            return None


TERMINAL_RANK = 100
RANKS: dict[ContractStatus, int] = {
    ContractStatus.CREATED: 10,
    ContractStatus.SENT: 20,
    ContractStatus.VIEWED: 30,
    ContractStatus.PENDING_APPROVAL: 40,
    ContractStatus.APPROVED: 50,
    ContractStatus.SIGNED: 60,
    ContractStatus.COUNTERSIGNED: TERMINAL_RANK,
    ContractStatus.DECLINED: TERMINAL_RANK,
    ContractStatus.CANCELLED: TERMINAL_RANK,
    ContractStatus.EXPIRED: TERMINAL_RANK,
    ContractStatus.FAILED: TERMINAL_RANK,
}
EVENT_TYPES = frozenset(status.event_type for status in ContractStatus)
