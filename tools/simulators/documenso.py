"""Documenso: a POST per document event whose `payload` is the whole document at that moment."""

import copy
import dataclasses
import json
import random
from datetime import datetime
from typing import Any

from core.statuses import ContractStatus
from tools.simulators.delivery import JSON_HEADERS, Contract, Delivery, require_outcome
from tools.simulators.scenario import Outcome, Scenario
from tools.simulators.wire import encode, js_time, later, new_token

VENDOR = "documenso"
PATH = "/webhooks/documenso"

# outcome -> how many happy steps may come before the ending (a refusal needs it sent)
CUTS: dict[Outcome, tuple[int, ...]] = {
    Outcome.DECLINED: (2, 3, 4),
    Outcome.CANCELLED: (2, 3, 4),
    Outcome.ABANDONED: (1, 2, 3, 4),
}
OUTCOMES = frozenset({Outcome.COMPLETED, *CUTS})  # Documenso sends nothing when time runs out

# From API.md section 2: the snapshot outranks the event name (see `_canonical`).
EVENTS: dict[str, ContractStatus] = {
    "DOCUMENT_CREATED": ContractStatus.CREATED,
    "DOCUMENT_SENT": ContractStatus.SENT,
    "DOCUMENT_OPENED": ContractStatus.VIEWED,
    "DOCUMENT_SIGNED": ContractStatus.SIGNED,
    "DOCUMENT_COMPLETED": ContractStatus.COUNTERSIGNED,
    "DOCUMENT_REJECTED": ContractStatus.DECLINED,
    "DOCUMENT_CANCELLED": ContractStatus.CANCELLED,
}
HAPPY = ("DOCUMENT_CREATED", "DOCUMENT_SENT", "DOCUMENT_OPENED", "DOCUMENT_SIGNED")
ENDINGS = {
    Outcome.COMPLETED: "DOCUMENT_COMPLETED",
    Outcome.DECLINED: "DOCUMENT_REJECTED",
    Outcome.CANCELLED: "DOCUMENT_CANCELLED",
}


def new_id(rng: random.Random) -> str:
    return str(rng.randrange(1_000, 100_000_000))


class _Document:
    """The document as Documenso holds it; each event changes it, then it is photographed."""

    def __init__(self, document_id: int, rng: random.Random, at: datetime) -> None:
        data_id = new_token(rng, 25).lower()
        path = f"{new_token(rng, 4)}/{new_token(rng, 12).lower()}"
        self.fields: dict[str, Any] = {
            "id": document_id,
            "userId": 1,
            "authOptions": None,
            "formValues": None,
            "title": f"contract-{document_id}.pdf",
            "status": "DRAFT",
            "documentDataId": data_id,
            "createdAt": js_time(at),
            "updatedAt": js_time(at),
            "completedAt": None,
            "deletedAt": None,
            "teamId": None,
        }
        self.data = {
            "id": data_id,
            "type": "S3_PATH",
            "data": f"{path}/contract.pdf",
            "initialData": f"{path}/contract.pdf",
        }
        self.recipients = [
            {
                "id": rng.randrange(1, 10_000_000),
                "documentId": document_id,
                "templateId": None,
                "email": f"signer{number}.{new_token(rng, 6).lower()}@example.com",
                "name": f"Signer {number}",
                "token": new_token(rng, 21),
                "expired": None,
                "signedAt": None,
                "authOptions": {"accessAuth": None, "actionAuth": None},
                "role": "SIGNER",
                "readStatus": "NOT_OPENED",
                "signingStatus": "NOT_SIGNED",
                "sendStatus": "NOT_SENT",
            }
            for number in (1, 2)
        ]

    def apply(self, event: str, at: datetime) -> None:
        stamp = js_time(at)
        self.fields["updatedAt"] = stamp
        first, second = self.recipients
        if event == "DOCUMENT_SENT":
            self.fields["status"] = "PENDING"
            for recipient in self.recipients:
                recipient["sendStatus"] = "SENT"
        elif event == "DOCUMENT_OPENED":
            first["readStatus"] = "OPENED"
        elif event == "DOCUMENT_SIGNED":
            first.update(readStatus="OPENED", signingStatus="SIGNED", signedAt=stamp)
        elif event == "DOCUMENT_COMPLETED":
            second.update(readStatus="OPENED", signingStatus="SIGNED", signedAt=stamp)
            self.fields.update(status="COMPLETED", completedAt=stamp)
            self.data["data"] = self.data["data"].replace(".pdf", "-signed.pdf")
        elif event == "DOCUMENT_REJECTED":
            # Whoever has not signed yet refuses.
            refuser = second if first["signingStatus"] == "SIGNED" else first
            refuser.update(
                readStatus="OPENED", signingStatus="REJECTED", rejectionReason="Terms changed"
            )
            self.fields["status"] = "REJECTED"
        elif event == "DOCUMENT_CANCELLED":
            self.fields["deletedAt"] = stamp

    def snapshot(self, *, with_recipients: bool = True) -> dict[str, Any]:
        document = copy.deepcopy(self.fields)
        if with_recipients:
            document["documentData"] = dict(self.data)
            document["Recipient"] = copy.deepcopy(self.recipients)
        return document


def lifecycle(
    external_id: str, outcome: Outcome, rng: random.Random, start: datetime, scenario: Scenario
) -> Contract:
    require_outcome(VENDOR, outcome, OUTCOMES)
    document = _Document(int(external_id), rng, start)
    endpoint = scenario.webhook_base_url.rstrip("/") + PATH
    events: list[Delivery] = []
    at = start
    for sequence, event in enumerate(_events(outcome, rng)):
        if sequence:
            at = later(rng, at, 5, 900)
        document.apply(event, at)
        # Like the vendor's own DOCUMENT_CREATED example: no recipients in a draft's payload.
        payload = document.snapshot(with_recipients=event != "DOCUMENT_CREATED")
        sent_at = later(rng, at, 0.2, 2)
        body = {
            "event": event,
            "payload": payload,
            "createdAt": js_time(sent_at),
            "webhookEndpoint": endpoint,
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
                event=event,
                expected_status=_canonical(event, payload),
                delivery_key=f"{external_id}:{sequence}:{event}",
                sequence=sequence,
                attempt=1,
                at=sent_at,
            )
        )
    return Contract(VENDOR, external_id, outcome, tuple(events), document.snapshot())


def retry(delivery: Delivery, attempt: int, at: datetime) -> Delivery:
    """The same event again: the same payload, a new top-level `createdAt`, no attempt count."""
    body = json.loads(delivery.body)
    body["createdAt"] = js_time(at)
    return dataclasses.replace(delivery, body=encode(body), attempt=attempt, at=at)


def _events(outcome: Outcome, rng: random.Random) -> list[str]:
    if outcome is Outcome.COMPLETED:
        return [*HAPPY, ENDINGS[outcome]]
    steps = list(HAPPY[: rng.choice(CUTS[outcome])])
    return steps if outcome is Outcome.ABANDONED else [*steps, ENDINGS[outcome]]


def _canonical(event: str, payload: dict[str, Any]) -> ContractStatus | None:
    recipients = payload.get("Recipient", [])
    if any(recipient["signingStatus"] == "REJECTED" for recipient in recipients):
        return ContractStatus.DECLINED
    if payload["status"] == "COMPLETED":
        return ContractStatus.COUNTERSIGNED
    return EVENTS.get(event)
