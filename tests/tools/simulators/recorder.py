"""A tiny stand-in for the ingress: records every request and answers like API section 2."""

import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

TOKENS = {
    "vlens": "vlens-token",
    "documenso": "documenso-secret",
    "fintechos": "fintechos-token",
    "signly": "signly-token",
}
SIGNLY_HEADER = "X-Partner-Key"


@dataclass(frozen=True)
class Recorded:
    method: str
    vendor: str
    headers: dict[str, str]
    query: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    requests: list[Recorded] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/webhooks/{vendor}", methods=["GET", "POST"])
        async def receive(vendor: str, request: Request) -> JSONResponse:
            recorded = Recorded(
                request.method,
                vendor,
                dict(request.headers),
                dict(request.query_params),
                await request.body(),
            )
            self.requests.append(recorded)
            if presented(recorded) != TOKENS[vendor]:
                return JSONResponse({"title": "Unauthorized"}, 401)
            key = identity(recorded)
            duplicate = key in self.seen
            self.seen.add(key)
            body = {"contract_id": vendor, "event_id": key, "duplicate": duplicate}
            return JSONResponse(body, 200 if duplicate else 202)

        return app


def presented(recorded: Recorded) -> str | None:
    headers, query = recorded.headers, recorded.query
    if recorded.vendor == "vlens":
        return query.get("token") or headers.get("x-webhook-token")
    if recorded.vendor == "documenso":
        return headers.get("x-documenso-secret")
    if recorded.vendor == "fintechos":
        return query.get("token")
    return headers.get(SIGNLY_HEADER.lower())


def identity(recorded: Recorded) -> str:
    """What makes two requests the same event, per vendor (API section 2)."""
    if recorded.vendor == "fintechos":
        return json.dumps(sorted(recorded.query.items()))
    body: dict[str, Any] = json.loads(recorded.body)
    if recorded.vendor == "vlens":
        return str(body["Id"])
    if recorded.vendor == "signly":
        return str(body["eventId"])
    return json.dumps([body["event"], body["payload"]], sort_keys=True)
