"""Tracing is off unless OTEL_* asks for it; on, a webhook request leaves a server span (with
no secret from the query string) and the relay's hand-off to Temporal leaves a client span."""

import asyncio
import json
import uuid

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from api.main import create_app
from core.settings import Settings
from core.tracing import (
    TracingConfigError,
    exporter_for,
    temporal_interceptors,
    tracer_provider_for,
)
from tests.api.conftest import SECRETS
from tools.serve import serve


def with_otel(settings: Settings, **values: str) -> Settings:
    return Settings(**(settings.model_dump(by_alias=True) | values))


def instrumented(app: FastAPI) -> bool:
    return bool(getattr(app, "_is_instrumented_by_opentelemetry", False))


def test_tracing_is_off_by_default(settings: Settings) -> None:
    assert exporter_for(settings) is None
    assert tracer_provider_for(settings, "test") is None
    assert temporal_interceptors(None) == ()
    app = create_app(settings)
    assert app.state.tracing is None
    assert not instrumented(app)


def test_otel_variables_choose_the_exporter(settings: Settings) -> None:
    console = exporter_for(with_otel(settings, OTEL_TRACES_EXPORTER="console"))
    assert isinstance(console, ConsoleSpanExporter)
    assert exporter_for(with_otel(settings, OTEL_TRACES_EXPORTER="none")) is None
    otlp = exporter_for(with_otel(settings, OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318/"))
    assert isinstance(otlp, OTLPSpanExporter)
    assert otlp._endpoint == "http://collector:4318/v1/traces"
    with pytest.raises(TracingConfigError):
        exporter_for(with_otel(settings, OTEL_TRACES_EXPORTER="zipkin"))
    provider = tracer_provider_for(with_otel(settings, OTEL_TRACES_EXPORTER="console"), "svc")
    assert provider is not None
    assert provider.resource.attributes["service.name"] == "svc"
    assert len(temporal_interceptors(provider)) == 1
    provider.shutdown()


@pytest.mark.e2e
async def test_a_webhook_request_and_its_hand_off_are_traced(stack_settings: Settings) -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    app = create_app(stack_settings, tracer_provider=provider)
    assert instrumented(app)

    token = SECRETS["VLENS_WEBHOOK_TOKEN"]
    body = {
        "Id": f"d-{uuid.uuid4()}",
        "WebhookEvent": "App.BusinessRequestStatusChange",
        "Data": {"Id": f"t-{uuid.uuid4().hex[:8]}", "NewStatus": "Created"},
    }
    async with serve(app) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        ack = await http.post(f"/webhooks/vlens?token={token}", content=json.dumps(body))
        assert ack.status_code == 202, ack.text
        async with asyncio.timeout(10):  # the relay hands the event off after the ack
            while True:
                if [span for span in spans.get_finished_spans() if "Workflow:" in span.name]:
                    break
                await asyncio.sleep(0.05)

    finished = spans.get_finished_spans()
    names = [span.name for span in finished]
    server = [span for span in finished if span.name == "POST /webhooks/vlens"]
    assert server, names
    assert server[0].attributes
    assert server[0].attributes.get("http.status_code") == 202
    assert any(name.endswith("Workflow:ContractLifecycle") for name in names), names
    for span in finished:
        assert token not in json.dumps(dict(span.attributes or {}), default=str), span.name
    provider.shutdown()
