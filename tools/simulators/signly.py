"""Signly: a POST per process, identity or document event of one participant."""

import dataclasses
import json
import random
from datetime import datetime, timedelta
from typing import Any

from core.statuses import ContractStatus
from tools.simulators.delivery import JSON_HEADERS, Contract, Delivery, require_outcome
from tools.simulators.scenario import Outcome, Scenario
from tools.simulators.wire import encode, later, new_ulid, new_uuid, seconds_time

VENDOR = "signly"
PATH = "/webhooks/signly"

# From API.md section 2, for a document with one participant (PROCESS_COMPLETED at once).
# OTP_*, BIOMETRIC_*, LIVENESS_* are identity milestones: no contract status.
CANONICAL: dict[str, ContractStatus] = {
    "PROCESS_CREATED": ContractStatus.CREATED,
    "PROCESS_STARTED": ContractStatus.VIEWED,
    "DOCUMENT_VIEWED": ContractStatus.VIEWED,
    "FIELD_SIGNED": ContractStatus.SIGNED,
    "PROCESS_COMPLETED": ContractStatus.COUNTERSIGNED,
    "PROCESS_FAILED": ContractStatus.FAILED,
    "PROCESS_CANCELLED": ContractStatus.CANCELLED,
    "PROCESS_EXPIRED": ContractStatus.EXPIRED,
}
HAPPY = (
    "PROCESS_CREATED",
    "OTP_SENT",
    "OTP_VERIFIED",
    "PROCESS_STARTED",
    "DOCUMENT_VIEWED",
    "FIELD_SIGNED",
)
# outcome -> (the event that ends it, how many happy steps may come before it)
ENDINGS: dict[Outcome, tuple[str, tuple[int, ...]]] = {
    Outcome.FAILED: ("PROCESS_FAILED", (2, 3, 4, 5, 6)),
    Outcome.CANCELLED: ("PROCESS_CANCELLED", (1, 2, 3, 4, 5, 6)),
    Outcome.EXPIRED: ("PROCESS_EXPIRED", (1, 2, 3, 4, 5, 6)),
}
ABANDONED_CUTS = (1, 2, 3, 4, 5, 6)
OUTCOMES = frozenset({Outcome.COMPLETED, Outcome.ABANDONED, *ENDINGS})  # nobody "declines"

# What the status API says of the process after an event; events not listed leave it as is.
PROCESS_STATUS = {
    "PROCESS_CREATED": "CREATED",
    "PROCESS_STARTED": "STARTED",
    "PROCESS_COMPLETED": "COMPLETED",
    "PROCESS_FAILED": "FAILED",
    "PROCESS_CANCELLED": "CANCELLED",
    "PROCESS_EXPIRED": "EXPIRED",
}
PARTICIPANT_STATUS = {
    **PROCESS_STATUS,
    "DOCUMENT_VIEWED": "VIEWED",
    "FIELD_SIGNED": "SIGNED",
}


def new_id(rng: random.Random) -> str:
    return new_uuid(rng)


def lifecycle(
    external_id: str, outcome: Outcome, rng: random.Random, start: datetime, scenario: Scenario
) -> Contract:
    require_outcome(VENDOR, outcome, OUTCOMES)
    participant_id = new_uuid(rng)
    template_id = new_uuid(rng)
    process_status = participant_status = "CREATED"
    events: list[Delivery] = []
    at = start
    for sequence, kind in enumerate(_events(outcome, rng)):
        if sequence:
            at = later(rng, at, 2, 600)
        process_status = PROCESS_STATUS.get(kind, process_status)
        participant_status = PARTICIPANT_STATUS.get(kind, kind)
        body = {
            "eventId": f"evt_{new_ulid(rng)}",
            "type": kind,
            "occurredAt": seconds_time(at),
            "tenantId": scenario.signly_tenant_id,
            "documentId": external_id,
            "participantId": participant_id,
            "attempt": 1,
            "data": _data(kind, at, template_id),
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
                event=kind,
                expected_status=CANONICAL.get(kind),
                delivery_key=str(body["eventId"]),
                sequence=sequence,
                attempt=1,
                at=later(rng, at, 0.05, 2),
            )
        )
    view = {
        "documentId": external_id,
        "status": process_status,
        "participants": [{"participantId": participant_id, "status": participant_status}],
        "updatedAt": seconds_time(at),
    }
    return Contract(VENDOR, external_id, outcome, tuple(events), view)


def retry(delivery: Delivery, attempt: int, at: datetime) -> Delivery:
    """The same event again: same `eventId`, the next `attempt`."""
    body = json.loads(delivery.body)
    body["attempt"] = attempt
    return dataclasses.replace(delivery, body=encode(body), attempt=attempt, at=at)


def _events(outcome: Outcome, rng: random.Random) -> list[str]:
    if outcome is Outcome.COMPLETED:
        return [*HAPPY, "PROCESS_COMPLETED"]
    if outcome is Outcome.ABANDONED:
        return list(HAPPY[: rng.choice(ABANDONED_CUTS)])
    ending, cuts = ENDINGS[outcome]
    steps = list(HAPPY[: rng.choice(cuts)])
    if outcome is Outcome.FAILED and steps[-1] == "OTP_SENT":
        steps.append("OTP_FAILED")  # the usual way a process dies: the code never matches
    return [*steps, ending]


def _data(kind: str, at: datetime, template_id: str) -> dict[str, Any]:
    if kind == "PROCESS_CREATED":
        return {"status": "CREATED", "templateId": template_id}
    if kind == "PROCESS_COMPLETED":
        completed = seconds_time(at - timedelta(seconds=2))
        return {"status": "COMPLETED", "templateId": template_id, "completedAt": completed}
    if kind in PROCESS_STATUS:
        return {"status": PROCESS_STATUS[kind]}
    if kind.startswith("OTP_"):
        return {"channel": "SMS"}
    if kind == "FIELD_SIGNED":
        return {"fieldId": "signature-1", "fieldType": "SIGNATURE"}
    return {}
