"""FintechOS envelopes: the vendor calls the URL we configured, everything in its query string.

WebhookStatusUrl is called on each workstep change, WebhookUrl once when the envelope is
finished (with `FTOSIsFinishCallback=1`). Our custom values (`test`, `asdf`) come back as sent.
"""

import dataclasses
import random
from datetime import datetime
from typing import Any

from core.statuses import ContractStatus
from tools.simulators.delivery import Contract, Delivery, require_outcome
from tools.simulators.scenario import FINTECHOS_CUSTOM_QUERY, Outcome, Scenario
from tools.simulators.wire import later, new_token, new_uuid, seconds_time

VENDOR = "fintechos"
PATH = "/webhooks/fintechos"
FINISHED = "envelopeFinished"
FINISH_FLAG = "FTOSIsFinishCallback"

# From API.md section 2.
ACTIONS: dict[str, ContractStatus] = {
    "workstepOpened": ContractStatus.VIEWED,
    "workstepFinished": ContractStatus.SIGNED,
    "workstepRejected": ContractStatus.DECLINED,
    FINISHED: ContractStatus.COUNTERSIGNED,
    "envelopeExpired": ContractStatus.EXPIRED,
}
# (action, recipient index or None for the envelope); each recipient opens, then signs.
Step = tuple[str, int | None]
HAPPY: tuple[Step, ...] = (
    ("workstepOpened", 0),
    ("workstepFinished", 0),
    ("workstepOpened", 1),
    ("workstepFinished", 1),
)
# outcome -> how many happy steps may come before the ending
CUTS: dict[Outcome, tuple[int, ...]] = {
    Outcome.DECLINED: (1, 3),  # a recipient refuses the workstep they just opened
    Outcome.EXPIRED: (1, 2, 3, 4),
    Outcome.ABANDONED: (1, 2, 3, 4),
}
OUTCOMES = frozenset({Outcome.COMPLETED, *CUTS})  # an envelope is never cancelled by webhook

ENVELOPE_STATUS = {
    "workstepOpened": "InProgress",
    "workstepFinished": "InProgress",
    "workstepRejected": "Rejected",
    FINISHED: "Finished",
    "envelopeExpired": "Expired",
}
RECIPIENT_STATUS = {
    "workstepOpened": "Opened",
    "workstepFinished": "Finished",
    "workstepRejected": "Rejected",
}


def new_id(rng: random.Random) -> str:
    return new_uuid(rng)


def lifecycle(
    external_id: str, outcome: Outcome, rng: random.Random, start: datetime, scenario: Scenario
) -> Contract:
    require_outcome(VENDOR, outcome, OUTCOMES)
    recipients: list[dict[str, Any]] = [
        {
            "email": f"{role}.{new_token(rng, 6).lower()}@example.com",
            "order": order,
            "status": "Pending",
        }
        for order, role in ((1, "customer"), (2, "provider"))
    ]
    envelope_status = "Created"
    events: list[Delivery] = []
    at = start
    for sequence, (action, index) in enumerate(_steps(outcome, rng)):
        if sequence:
            at = later(rng, at, 5, 900)
        recipient = recipients[index] if index is not None else None
        if recipient is not None:
            recipient["status"] = RECIPIENT_STATUS[action]
        envelope_status = ENVELOPE_STATUS[action]
        query = {
            **FINTECHOS_CUSTOM_QUERY,
            "envelopeId": external_id,
            "recipientEmail": recipient["email"] if recipient else "",
            "recipientOrder": str(recipient["order"]) if recipient else "",
            "action": action,
        }
        if action == FINISHED:
            query[FINISH_FLAG] = "1"
        key = "|".join(
            query.get(name, "")
            for name in ("envelopeId", "action", "recipientEmail", "recipientOrder", FINISH_FLAG)
        )
        events.append(
            Delivery(
                vendor=VENDOR,
                method=scenario.fintechos_method,
                path=PATH,
                query=query,
                headers={},
                body=b"",
                external_id=external_id,
                event=action,
                expected_status=ACTIONS[action],
                delivery_key=key,
                sequence=sequence,
                attempt=1,
                at=later(rng, at, 0.05, 2),
            )
        )
    view = {
        "envelopeId": external_id,
        "status": envelope_status,
        "recipients": recipients,
        "updatedAt": seconds_time(at),
    }
    return Contract(VENDOR, external_id, outcome, tuple(events), view)


def retry(delivery: Delivery, attempt: int, at: datetime) -> Delivery:
    """The same call again: a URL carries no attempt count, so the request is identical."""
    return dataclasses.replace(delivery, attempt=attempt, at=at)


def _steps(outcome: Outcome, rng: random.Random) -> list[Step]:
    if outcome is Outcome.COMPLETED:
        return [*HAPPY, (FINISHED, None)]
    steps = list(HAPPY[: rng.choice(CUTS[outcome])])
    if outcome is Outcome.DECLINED:
        return [*steps, ("workstepRejected", steps[-1][1])]
    if outcome is Outcome.EXPIRED:
        return [*steps, ("envelopeExpired", None)]
    return steps
