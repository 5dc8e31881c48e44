"""Vlens E-Contracting: one `App.BusinessRequestStatusChange` POST per status change."""

import dataclasses
import json
import random
from datetime import datetime

from core.statuses import ContractStatus
from tools.simulators.delivery import JSON_HEADERS, Contract, Delivery, require_outcome
from tools.simulators.scenario import Outcome, Scenario
from tools.simulators.wire import dotnet_time, encode, later, new_uuid

VENDOR = "vlens"
PATH = "/webhooks/vlens"
EVENT = "App.BusinessRequestStatusChange"

HAPPY = ("Created", "PendingApproval", "Approved", "CustomerSigned", "ServiceProviderSigned")
# outcome -> (the status that ends it, how many happy steps may come before it)
ENDINGS: dict[Outcome, tuple[str, tuple[int, ...]]] = {
    Outcome.DECLINED: ("Rejected", (2, 3, 4)),  # the approver or a signer refuses
    Outcome.CANCELLED: ("Cancelled", (1, 2, 3, 4)),
    Outcome.EXPIRED: ("Expired", (3, 4)),  # the deadline runs once it is out for signing
}
ABANDONED_CUTS = (1, 2, 3, 4)
OUTCOMES = frozenset({Outcome.COMPLETED, Outcome.ABANDONED, *ENDINGS})

# Written from API.md section 2, not imported from the adapter, so that each checks the other.
CANONICAL: dict[str, ContractStatus] = {
    "Created": ContractStatus.CREATED,
    "PendingApproval": ContractStatus.PENDING_APPROVAL,
    "Approved": ContractStatus.APPROVED,
    "CustomerSigned": ContractStatus.SIGNED,
    "ServiceProviderSigned": ContractStatus.COUNTERSIGNED,
    "Rejected": ContractStatus.DECLINED,
    "Cancelled": ContractStatus.CANCELLED,
    "Expired": ContractStatus.EXPIRED,
}


def new_id(rng: random.Random) -> str:
    return new_uuid(rng)


def lifecycle(
    external_id: str, outcome: Outcome, rng: random.Random, start: datetime, scenario: Scenario
) -> Contract:
    require_outcome(VENDOR, outcome, OUTCOMES)
    events: list[Delivery] = []
    at = start
    modified = ""
    for sequence, status in enumerate(_statuses(outcome, rng)):
        if sequence:
            at = later(rng, at, 5, 900)
        modified = dotnet_time(at, rng.randrange(10))
        body = {
            "Id": new_uuid(rng),
            "WebhookEvent": EVENT,
            "Attempt": 1,
            "Data": {"Id": external_id, "NewStatus": status},
            "CreationTimeUtc": modified,
        }
        events.append(
            Delivery(
                vendor=VENDOR,
                method="POST",
                path=PATH,
                query={},
                headers=dict(JSON_HEADERS),
                body=encode(body),
                external_id=external_id,
                event=status,
                expected_status=CANONICAL[status],
                delivery_key=str(body["Id"]),
                sequence=sequence,
                attempt=1,
                at=later(rng, at, 0.05, 2),
            )
        )
    view = {"Id": external_id, "Status": events[-1].event, "LastModificationTimeUtc": modified}
    return Contract(VENDOR, external_id, outcome, tuple(events), view)


def retry(delivery: Delivery, attempt: int, at: datetime) -> Delivery:
    """The same event again: same `Id`, the next `Attempt`."""
    body = json.loads(delivery.body)
    body["Attempt"] = attempt
    return dataclasses.replace(delivery, body=encode(body), attempt=attempt, at=at)


def _statuses(outcome: Outcome, rng: random.Random) -> list[str]:
    if outcome is Outcome.COMPLETED:
        return list(HAPPY)
    if outcome is Outcome.ABANDONED:
        return list(HAPPY[: rng.choice(ABANDONED_CUTS)])
    status, cuts = ENDINGS[outcome]
    return [*HAPPY[: rng.choice(cuts)], status]
