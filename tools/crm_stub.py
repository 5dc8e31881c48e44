"""A stand-in for the company's CRM, for tests and the dev stack: contracts kept in memory.

`PUT /contracts/{contract_id}` upserts, `GET` reads back (404 when unknown), both behind an
optional bearer token. Switches make it misbehave the way real CRMs do: fail the next requests,
or let "its own automation" edit a record right after a PUT so the read-back differs once.
`created` counts how often a contract's record was created: it must never pass one.

Run it alone with `python -m tools.crm_stub --port 8100 [--token TOKEN]`.
"""

import argparse
import hmac
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

DEFAULT_DRIFT: dict[str, Any] = {"status": "EDITED_IN_CRM"}


@dataclass
class _Drift:
    contract_id: str | None  # None: whichever contract is written next
    times: int
    changes: dict[str, Any]


class CrmStub:
    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.records: dict[str, dict[str, Any]] = {}
        self.created: Counter[str] = Counter()  # contract id -> records created for it
        self.puts: Counter[str] = Counter()  # contract id -> PUTs stored
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status) of every request
        self._failures: list[tuple[int, int | None]] = []  # (status, Retry-After) per request
        self._drifts: list[_Drift] = []
        self.app = self._create_app()

    def fail_next(self, requests: int, status: int = 503, retry_after: int | None = None) -> None:
        """Answer the next `requests` requests with `status` (and `Retry-After` when given)."""
        self._failures = [(status, retry_after)] * requests

    def drift(
        self, contract_id: str | None = None, times: int = 1, changes: dict[str, Any] | None = None
    ) -> None:
        """Edit the record out of band right after each of its next `times` PUTs."""
        self._drifts.append(_Drift(contract_id, times, dict(changes or DEFAULT_DRIFT)))

    def _after_put(self, contract_id: str) -> None:
        for drift in self._drifts:
            if drift.times > 0 and drift.contract_id in (None, contract_id):
                drift.times -= 1
                self.records[contract_id].update(drift.changes)
                return

    def _authorized(self, authorization: str | None) -> bool:
        if self.token is None:
            return True
        return hmac.compare_digest((authorization or "").encode(), f"Bearer {self.token}".encode())

    def _create_app(self) -> FastAPI:
        app = FastAPI(title="CRM stub", openapi_url=None)

        @app.middleware("http")
        async def record(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            if self._failures:
                status, retry_after = self._failures.pop()
                headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
                response: Response = JSONResponse({"error": "injected"}, status, headers=headers)
            elif not self._authorized(request.headers.get("authorization")):
                response = JSONResponse({"error": "unauthorized"}, 401)
            else:
                response = await call_next(request)
            self.requests.append((request.method, request.url.path, response.status_code))
            return response

        @app.put("/contracts/{contract_id}")
        async def upsert(contract_id: str, request: Request) -> JSONResponse:
            try:
                body = await request.json()
            except ValueError:
                return JSONResponse({"error": "the body is not JSON"}, 400)
            if not isinstance(body, dict):
                return JSONResponse({"error": "the body must be an object"}, 400)
            new = contract_id not in self.records
            stored = {**body, "contract_id": contract_id}
            self.records[contract_id] = stored
            if new:
                self.created[contract_id] += 1
            self.puts[contract_id] += 1
            answer = JSONResponse(dict(stored), 201 if new else 200)
            self._after_put(contract_id)  # the answer still shows what was written
            return answer

        @app.get("/contracts/{contract_id}")
        async def read(contract_id: str) -> JSONResponse:
            stored = self.records.get(contract_id)
            if stored is None:
                return JSONResponse({"error": "not found"}, 404)
            return JSONResponse(stored)

        return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--token", default=None, help="require `Authorization: Bearer TOKEN`")
    args = parser.parse_args()
    uvicorn.run(CrmStub(args.token).app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
