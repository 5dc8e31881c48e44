"""Prometheus metrics of the API, in one registry per app (several apps in one process, as in
the tests, never collide in the global registry).

Counters and the ack histogram move as requests happen; the gauges that describe the whole
system (unrelayed events, contracts by status, deliveries by outcome) are read from the
database at scrape time, so every replica reports the same truth without keeping state.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import Contract, DeliveryAttempt, StoredEvent
from core.outbound import verdict_for
from core.vendors import ADAPTERS

OUTCOMES = ("accepted", "duplicate", "rejected", "unavailable")
# An ack is a stored row and a commit: milliseconds, with a tail when the database is busy.
ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

Counts = Mapping[tuple[str, ...], int]  # label values -> count


@dataclass(frozen=True)
class RelayState:
    queued: int  # events in this process not yet handed off (queued or held)
    held: bool
    task_backlog: int | None  # Temporal's workflow task backlog, last reading


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.received = Counter(
            "contractsync_webhooks_received",
            "Vendor webhook requests received, counted before they are judged.",
            ["vendor"],
            registry=self.registry,
        )
        self.outcomes = Counter(
            "contractsync_webhooks",
            "Vendor webhook requests by outcome (accepted, duplicate, rejected, unavailable).",
            ["vendor", "outcome"],
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            "contractsync_webhook_ack_seconds",
            "Time from a webhook request's arrival to the start of its response.",
            ["vendor"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.relay_backlog = Gauge(
            "contractsync_relay_backlog",
            "Events in this API process waiting to be handed to Temporal (queued or held).",
            registry=self.registry,
        )
        self.relay_held = Gauge(
            "contractsync_relay_held",
            "1 while this process holds its hand-offs: Temporal's workflow task backlog is over "
            "RELAY_MAX_BACKLOG.",
            registry=self.registry,
        )
        self.task_backlog = Gauge(
            "contractsync_temporal_workflow_task_backlog",
            "Workflow tasks waiting for a worker, as the relay last read it (-1: not read).",
            registry=self.registry,
        )
        self.unrelayed = Gauge(
            "contractsync_events_unrelayed",
            "Stored events not yet handed to their workflow (all replicas, from the database).",
            registry=self.registry,
        )
        self.contracts = Gauge(
            "contractsync_contracts",
            "Contracts in the read model by vendor and status.",
            ["vendor", "status"],
            registry=self.registry,
        )
        self.deliveries = Gauge(
            "contractsync_deliveries",
            "Outbound delivery attempts by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.database_up = Gauge(
            "contractsync_metrics_database_up",
            "1 when the last scrape could read the database, else 0.",
            registry=self.registry,
        )
        # Every known series exists from the start, so rate() sees the first event; the
        # children are kept, as `labels()` costs a lock and a lookup on every webhook.
        self._received = {vendor: self.received.labels(vendor) for vendor in ADAPTERS}
        self._acks = {vendor: self.ack_seconds.labels(vendor) for vendor in ADAPTERS}
        self._outcomes = {
            (vendor, outcome): self.outcomes.labels(vendor, outcome)
            for vendor in ADAPTERS
            for outcome in OUTCOMES
        }

    def webhook_received(self, vendor: str) -> None:
        self._received[vendor].inc()

    def webhook_outcome(self, vendor: str, outcome: str) -> None:
        self._outcomes[vendor, outcome].inc()

    def webhook_acked(self, vendor: str, seconds: float) -> None:
        self._acks[vendor].observe(seconds)

    async def refresh(self, session: AsyncSession, relay: RelayState) -> None:
        """Read the database-wide gauges; call right before rendering. A database that does
        not answer leaves them as they were and reports itself down, so a scrape still works."""
        self.relay_backlog.set(relay.queued)
        self.relay_held.set(int(relay.held))
        self.task_backlog.set(-1 if relay.task_backlog is None else relay.task_backlog)
        try:
            unrelayed = await session.exec(
                select(func.count())
                .select_from(StoredEvent)
                .where(col(StoredEvent.relayed_at).is_(None))
            )
            self.unrelayed.set(unrelayed.one())
            by_status = await session.exec(
                select(Contract.vendor, Contract.status, func.count()).group_by(
                    col(Contract.vendor), col(Contract.status)
                )
            )
            contracts: Counts = {(vendor, status or "NONE"): n for vendor, status, n in by_status}
            deliveries: Counts = {
                (outcome,): n for outcome, n in (await count_deliveries(session)).items()
            }
        except (OperationalError, DBAPIError, OSError):
            self.database_up.set(0)
            return
        _replace(self.contracts, contracts)
        _replace(self.deliveries, deliveries)
        self.database_up.set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)


async def count_deliveries(session: AsyncSession) -> dict[str, int]:
    """Outbound delivery attempts by outcome: the delivery verdict of the answer's status code
    (delivered, retry, final, gone), or `no_response` when the subscriber never answered."""
    by_code = await session.exec(
        select(DeliveryAttempt.status_code, func.count()).group_by(col(DeliveryAttempt.status_code))
    )
    counts: dict[str, int] = {}
    for code, n in by_code:
        outcome = verdict_for(code).value if code is not None else "no_response"
        counts[outcome] = counts.get(outcome, 0) + n
    return counts


def _replace(gauge: Gauge, counts: Counts) -> None:
    """Set a labelled gauge to exactly these counts (series that vanished are dropped)."""
    gauge.clear()
    for labels, value in counts.items():
        gauge.labels(*labels).set(value)
