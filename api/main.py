"""Composition root of the API: settings -> database -> Temporal client -> relay -> routes."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from api import problems
from api.ingress import Ingress
from api.metrics import ApiMetrics
from api.relay import Relay
from api.routes import contracts, deliveries, health, inbound, metrics, subscriptions, ui, webhooks
from api.webhook_endpoint import WebhookEndpoint
from core.db import open_database
from core.settings import Settings, get_settings
from core.temporal import connect
from core.tracing import instrument_app, temporal_interceptors, tracer_provider_for
from core.transactions import Transactions

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

log = logging.getLogger("contractsync.api")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str


def create_app(
    settings: Settings | None = None, *, tracer_provider: "TracerProvider | None" = None
) -> FastAPI:
    """`tracer_provider` overrides the one the OTEL_* settings would build (tests)."""
    settings = settings or get_settings()
    settings.require_production_secrets()
    if not settings.dev_mode and not settings.secrets_keys:
        log.warning("SECRETS_KEYS is not set: subscription secrets are stored unsealed")
    tracing = tracer_provider or tracer_provider_for(settings, "contractsync-api")
    app_metrics = ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_database(settings.database_url) as sessions:
            client = await connect(settings, lazy=True, interceptors=temporal_interceptors(tracing))
            transactions = Transactions.of(sessions)
            relay = Relay(settings, transactions, client)
            app.state.settings = settings
            app.state.sessions = sessions
            app.state.temporal = client
            app.state.relay = relay
            app.state.transactions = transactions
            app.state.ingress = Ingress(settings, transactions, app_metrics)
            relay.start()
            log.info(
                "api ready (env=%s, database=%s)", settings.env, sessions.kw["bind"].url.drivername
            )
            try:
                yield
            finally:
                await relay.stop()
                await transactions.close()
                if tracing is not None:
                    tracing.force_flush()

    app = FastAPI(
        title="ContractSync",
        summary="One canonical contract lifecycle across e-signature vendors.",
        version="0.1.0",
        lifespan=lifespan,
        # Tracing is OpenTelemetry's FastAPI instrumentation with our own provider
        # (core.tracing), metrics are Prometheus: FastAPI's native telemetry stays off, and
        # does not look up the global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.metrics = app_metrics
    app.state.tracing = tracing
    problems.install(app)
    for module in (webhooks, contracts, inbound, health, metrics, ui, subscriptions, deliveries):
        app.include_router(module.router)
    app.add_middleware(WebhookEndpoint, state=app.state, metrics=app_metrics)
    if tracing is not None:
        instrument_app(app, tracing)

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
