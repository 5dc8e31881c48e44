"""Composition root of the API: settings -> database -> Temporal client -> relay -> routes."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from api import problems
from api.ingress import Ingress
from api.relay import Relay
from api.routes import contracts, health, inbound, webhooks
from core.db import open_database
from core.settings import Settings, get_settings
from core.temporal import connect

log = logging.getLogger("contractsync.api")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.require_production_secrets()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_database(settings.database_url) as sessions:
            client = await connect(settings, lazy=True)
            relay = Relay(settings, sessions, client)
            app.state.settings = settings
            app.state.sessions = sessions
            app.state.temporal = client
            app.state.relay = relay
            app.state.ingress = Ingress(settings, sessions)
            relay.start()
            log.info(
                "api ready (env=%s, database=%s)", settings.env, sessions.kw["bind"].url.drivername
            )
            try:
                yield
            finally:
                await relay.stop()

    app = FastAPI(
        title="ContractSync",
        summary="One canonical contract lifecycle across e-signature vendors.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    problems.install(app)
    for module in (webhooks, contracts, inbound, health):
        app.include_router(module.router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = (
                Problem.model_json_schema()
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
