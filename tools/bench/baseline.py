"""The yardstick for the ingress: a bare FastAPI endpoint that parses the same JSON and does
nothing else, served by uvicorn with the options `contractsync api` uses.

Run as its own process (`python -m tools.bench.baseline PORT`), like the API it is held against.
"""

import json
import sys

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

ACK = {"contract_id": "bench:0", "event_id": "evt_0", "duplicate": False}


def create_bare_app() -> FastAPI:
    app = FastAPI(openapi_url=None)

    @app.api_route("/webhooks/{vendor}", methods=["GET", "POST"], status_code=202)
    async def receive(vendor: str, request: Request) -> JSONResponse:
        body = await request.body()
        # FintechOS calls back with a query string and no body: that is its payload.
        parsed = json.loads(body) if body else dict(request.query_params)
        if not parsed:
            return JSONResponse({"detail": "empty"}, status_code=400)
        return JSONResponse(ACK, status_code=202)

    return app


def main(port: int) -> None:
    # The same as `contractsync api` (core/cli.py), so only the work per request differs:
    # uvicorn's defaults pick uvloop and httptools when they are installed, for both.
    uvicorn.run(
        create_bare_app(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
